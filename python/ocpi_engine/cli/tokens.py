"""`ocpi-engine tokens authorize`: the CPO's decision for a token presented at a charger."""

from __future__ import annotations

import json

import click

from ocpi_engine.cli._common import admin_call, load_settings, open_context, run


@click.group()
def tokens() -> None:
    """Driver tokens (OCPI Tokens module)."""


@tokens.command("authorize")
@click.argument("uid")
@click.option("--type", "type_", default="RFID", show_default=True,
              type=click.Choice(["RFID", "APP_USER", "AD_HOC_USER", "OTHER"]))
@click.option("--location", "location_id", default=None, help="Location.id where the token is presented.")
@click.option("--evse", "evse_uids", multiple=True, help="EVSE uid(s) at that location.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole decision as JSON.")
@click.pass_context
def authorize(ctx: click.Context, uid: str, type_: str, location_id: str | None, evse_uids: tuple[str, ...],
              as_json: bool) -> None:
    """Decide whether token UID may charge: whitelist type, real-time call to its eMSP where required.
    Exit status 0 only for ALLOWED (with --json too)."""
    settings = load_settings(ctx)
    payload = {"uid": uid, "type": type_, "location_id": location_id, "evse_uids": list(evse_uids) or None}

    async def _decide() -> dict[str, object]:
        body = await admin_call(settings, "POST", "/tokens/authorize", json=payload)
        if body is not None:
            return body["data"]  # type: ignore[no-any-return]
        import msgspec

        from ocpi_engine.models.v221.tokens import LocationReferences
        from ocpi_engine.services.tokens import TokenService

        async with open_context(settings) as context:
            service = TokenService(settings, context.store, context.cache, context.client)
            location = LocationReferences(location_id=location_id, evse_uids=list(evse_uids) or None) \
                if location_id else None
            return msgspec.to_builtins(await service.decide(uid, type_, location))  # type: ignore[no-any-return]

    decision = run(_decide())
    if as_json:
        click.echo(json.dumps(decision, indent=2))
    else:
        click.echo(f"{decision['allowed']}  ({decision['source']}: {decision.get('reason', '')})")
        if decision.get("authorization_reference"):
            click.echo(f"authorization_reference: {decision['authorization_reference']}")
    if decision["allowed"] != "ALLOWED":
        raise SystemExit(1)


COMMANDS = [tokens]
