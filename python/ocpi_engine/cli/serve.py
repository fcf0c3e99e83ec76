"""`ocpi-engine serve`: run the OCPI server with granian; prints the versions URL and a Token A."""

from __future__ import annotations

import os

import click

from ocpi_engine.cli._common import load_settings, open_context, run, settings_options

BOOTSTRAP_KEY = "bootstrap_partner"


async def _bootstrap(settings) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A Token A for the first partner: kept until that partner registers, then a new one is made."""
    from ocpi_engine.api.lifespan import ensure_admin_token

    async with open_context(settings) as context:
        await ensure_admin_token(context.store, settings.admin_token)
        saved = await context.store.get_meta(BOOTSTRAP_KEY)
        if saved:
            partner_id, _, token_a = saved.partition(":")
            partner = await context.store.get_partner(int(partner_id))
            if partner is not None and partner.status == "PENDING" and partner.token_kind == "A":
                return settings.versions_url, token_a
        partner, token_a = await context.credentials.issue_token_a("first partner")
        await context.store.set_meta(BOOTSTRAP_KEY, f"{partner.id}:{token_a}")
        return settings.versions_url, token_a


@click.command()
@settings_options
@click.option("--workers", type=int, default=None, help="Granian worker processes (OCPI_ENGINE_WORKERS).")
@click.option("--access-log/--no-access-log", default=True, help="One JSON line per request (never tokens).")
@click.pass_context
def serve(ctx: click.Context, workers: int | None, access_log: bool, **overrides: object) -> None:
    """Serve OCPI 2.2.1 and 2.1.1 (granian, ASGI)."""
    settings = load_settings(ctx, workers=workers, **overrides)
    versions_url, token_a = run(_bootstrap(settings))
    for name in settings.__struct_fields__:
        value = getattr(settings, name)
        if value is not None:
            os.environ["OCPI_ENGINE_" + name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    os.environ["OCPI_ENGINE_ACCESS_LOG"] = "1" if access_log else "0"
    click.echo(f"ocpi-engine {settings.country_code}*{settings.party_id} roles {','.join(settings.roles)}")
    click.echo(f"  versions URL : {versions_url}")
    click.echo(f"  Token A      : {token_a}   (give both to a partner to register with us)")
    click.echo(f"  store        : {settings.database_url}   cache: {settings.redis_url and 'redis' or 'in-process'}")
    click.echo("  admin token  : `ocpi-engine admin-token`    stop: Ctrl-C")
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "ocpi_engine.api.asgi:app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        # loop `auto`: uvloop (a dependency on Linux and macOS); the benchmarks in benches/RESULTS.md use it too
        log_access=False,
    ).serve()


@click.command("admin-token")
@click.pass_context
def admin_token(ctx: click.Context) -> None:
    """Print the admin API token (Authorization: Bearer ...)."""
    from ocpi_engine.api.lifespan import ensure_admin_token

    settings = load_settings(ctx)

    async def _token() -> str:
        async with open_context(settings) as context:
            return await ensure_admin_token(context.store, settings.admin_token)

    click.echo(run(_token()))


COMMANDS = [serve, admin_token]
