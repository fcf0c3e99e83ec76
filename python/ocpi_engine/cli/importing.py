"""`ocpi-engine import KIND FILE.jsonl`: the platform's own objects into the store (validated like OCPI input)."""

from __future__ import annotations

import click

from ocpi_engine.cli._common import admin_call, load_settings, open_context, run


@click.command("import")
@click.argument("kind")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def import_(ctx: click.Context, kind: str, path: str) -> None:
    """Import KIND objects (locations, tariffs, tokens, ...) from a JSON Lines file, all or nothing."""
    from ocpi_engine.services.importer import import_lines

    settings = load_settings(ctx)
    with open(path, "rb") as handle:
        content = handle.read()

    async def _import() -> dict[str, object]:
        body = await admin_call(settings, "POST", f"/import/{kind}", content=content, timeout=3600)
        if body is not None:
            return body["data"]  # type: ignore[no-any-return]

        def progress(n: int) -> None:
            click.echo(f"\rvalidated {n} lines", err=True, nl=False)

        async with open_context(settings) as context:
            result = await import_lines(
                kind, content.splitlines(), store=context.store, settings=settings, context=context,
                progress=progress,
            )
        return {"kind": result.kind, "imported": result.imported, "created": result.created}

    data = run(_import())
    click.echo(f"imported {data['imported']} {kind} ({data['created']} new)")


COMMANDS = [import_]
