"""`ocpi-engine partners ...`: Token A, registration, credentials update (token rotation), unregistration.

Commands go through the admin API of the running server (so its caches see every change at once);
when no server answers they work on the store directly (`register` needs the server: the partner calls
us back during registration).
"""

from __future__ import annotations

import json
from typing import Any

import click

from ocpi_engine.cli._common import admin_call, load_settings, open_context, run


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    rows = data if isinstance(data, list) else [data]
    for p in rows:
        roles = ",".join(f"{r['role']}:{r['country_code']}*{r['party_id']}" for r in p.get("roles", [])) or "-"
        click.echo(f"{p['id']:>4}  {p['status']:<12} {p.get('version') or '-':<6} {roles:<30} {p['name']}")


@click.group()
def partners() -> None:
    """Manage OCPI partners (other platforms we connect to)."""


@partners.command("add")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def add(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create a Token A for a partner to register with us (shown once)."""
    settings = load_settings(ctx)

    async def _add() -> dict[str, Any]:
        body = await admin_call(settings, "POST", "/partners", json={"name": name})
        if body is not None:
            return body["data"]  # type: ignore[no-any-return]
        from ocpi_engine.api.admin import partner_view

        async with open_context(settings) as context:
            partner, token_a = await context.credentials.issue_token_a(name)
            return {"partner": partner_view(partner), "token_a": token_a, "versions_url": settings.versions_url}

    data = run(_add())
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"partner {data['partner']['id']} ({name}) is PENDING")
        click.echo(f"versions URL: {data['versions_url']}")
        click.echo(f"Token A: {data['token_a']}")


@partners.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List partners (no secrets)."""
    settings = load_settings(ctx)

    async def _list() -> list[dict[str, Any]]:
        from ocpi_engine.api.admin import partner_view

        async with open_context(settings) as context:
            return [partner_view(p) for p in await context.store.list_partners()]

    _print(run(_list()), as_json)


@partners.command("register")
@click.argument("versions_url")
@click.argument("token_a")
@click.option("--name", default=None, help="A name for the partner (default: its versions URL).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def register(ctx: click.Context, versions_url: str, token_a: str, name: str | None, as_json: bool) -> None:
    """Register with a partner: its versions URL and the Token A it gave us. Our server must be running."""
    settings = load_settings(ctx)
    body = run(admin_call(settings, "POST", "/partners/register",
                          json={"versions_url": versions_url, "token_a": token_a, "name": name}))
    if body is None:
        raise click.ClickException(
            f"no ocpi-engine server answers on {settings.host}:{settings.port}; start it with `ocpi-engine serve` "
            "first (the partner calls us back while registering)"
        )
    _print(body["data"], as_json)


@partners.command("update")
@click.argument("partner_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def update(ctx: click.Context, partner_id: int, as_json: bool) -> None:
    """Credentials update with a registered partner: new tokens both ways, endpoints re-fetched."""
    settings = load_settings(ctx)
    body = run(admin_call(settings, "POST", f"/partners/{partner_id}/update"))
    if body is None:
        raise click.ClickException(
            f"no ocpi-engine server answers on {settings.host}:{settings.port}; start it with `ocpi-engine serve`"
        )
    _print(body["data"], as_json)


@partners.command("remove")
@click.argument("partner_id", type=int)
@click.option("--force", is_flag=True, help="Forget the partner even if it cannot be told (unreachable).")
@click.pass_context
def remove(ctx: click.Context, partner_id: int, force: bool) -> None:
    """Unregister from a partner (credentials DELETE) and forget its tokens."""
    settings = load_settings(ctx)
    suffix = "?force=true" if force else ""

    async def _remove() -> None:
        body = await admin_call(settings, "DELETE", f"/partners/{partner_id}{suffix}")
        if body is not None:
            return
        async with open_context(settings) as context:
            partner = await context.store.get_partner(partner_id)
            if partner is None:
                raise click.ClickException(f"no partner {partner_id}; see `ocpi-engine partners list`")
            await context.credentials.unregister_with(partner, force=force)

    run(_remove())
    click.echo(f"partner {partner_id} unregistered")


COMMANDS = [partners]
