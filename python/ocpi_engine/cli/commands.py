"""`ocpi-engine commands ...`: the eMSP sends OCPI commands to a CPO partner and reads their results.

Sending goes through the running server (the CPO answers on our commands endpoint, which the server serves);
`list` and `show` read the store when no server runs.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import click

from ocpi_engine.cli._common import admin_call, load_settings, open_context, run

_FINAL = ("RESULT", "TIMEOUT", "REFUSED", "ERROR")


def _print(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    result = (record.get("result") or {}).get("result") or "-"
    response = (record.get("response") or {}).get("result") or "-"
    click.echo(f"{record['uid']}  {record['command']}  partner {record['partner_id']}  status {record['status']}  "
               f"response {response}  result {result}" + ("  (late)" if record.get("late") else ""))
    if record.get("error"):
        click.echo(f"  error: {record['error']}")


async def _send(settings: Any, partner: str, command: str, payload: dict[str, Any], wait: float) -> dict[str, Any]:
    partner_id = await _partner_id(settings, partner)
    body = await admin_call(settings, "POST", f"/commands/{partner_id}/{command}",
                            json={k: v for k, v in payload.items() if v is not None})
    if body is None:
        raise click.ClickException("no ocpi-engine server answers on this host/port: start `ocpi-engine serve` "
                                   "first (the CPO posts the result to it)")
    record: dict[str, Any] = body["data"]
    deadline = time.monotonic() + wait
    for _ in range(int(wait * 2) + 1):
        if record["status"] in _FINAL or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.5)
        got = await admin_call(settings, "GET", f"/commands/{record['uid']}")
        if got is not None:
            record = got["data"]
    return record


async def _partner_id(settings: Any, partner: str) -> int:
    if partner.isdigit():
        return int(partner)
    async with open_context(settings) as context:
        matches = [p for p in await context.store.list_partners() if p.name == partner]
    if len(matches) != 1:
        raise click.ClickException(f"{'no' if not matches else 'more than one'} partner named {partner!r}; "
                                   "use its id (ocpi-engine partners list)")
    return matches[0].id


def _common(func: Any) -> Any:
    func = click.option("--wait", type=float, default=0.0, show_default=True,
                        help="Seconds to wait for the asynchronous result.")(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")(func)
    return click.argument("partner")(func)


@click.group()
def commands() -> None:
    """Remote commands to a CPO partner (OCPI Commands module), and their results."""


def _run_send(ctx: click.Context, partner: str, command: str, payload: dict[str, Any], wait: float,
              as_json: bool) -> None:
    settings = load_settings(ctx)
    record = run(_send(settings, partner, command, payload, wait))
    _print(record, as_json)
    if record["status"] in ("REFUSED", "ERROR", "TIMEOUT") or \
            (record["status"] == "RESULT" and (record.get("result") or {}).get("result") != "ACCEPTED"):
        raise SystemExit(1)


@commands.command("start-session")
@_common
@click.option("--token", "token_uid", required=True, help="uid of one of our own tokens.")
@click.option("--token-type", default="RFID", show_default=True)
@click.option("--location", "location_id", required=True)
@click.option("--evse", "evse_uid", default=None)
@click.option("--connector", "connector_id", default=None)
@click.option("--authorization-reference", default=None)
@click.pass_context
def start_session(ctx: click.Context, partner: str, wait: float, as_json: bool, **payload: Any) -> None:
    """START_SESSION at PARTNER (id or name) for one of our tokens."""
    _run_send(ctx, partner, "START_SESSION", payload, wait, as_json)


@commands.command("stop-session")
@_common
@click.option("--session", "session_id", required=True)
@click.pass_context
def stop_session(ctx: click.Context, partner: str, wait: float, as_json: bool, **payload: Any) -> None:
    """STOP_SESSION of a session at PARTNER."""
    _run_send(ctx, partner, "STOP_SESSION", payload, wait, as_json)


@commands.command("reserve-now")
@_common
@click.option("--token", "token_uid", required=True)
@click.option("--token-type", default="RFID", show_default=True)
@click.option("--location", "location_id", required=True)
@click.option("--evse", "evse_uid", default=None)
@click.option("--reservation", "reservation_id", required=True)
@click.option("--expiry", "expiry_date", required=True, help="UTC DateTime, e.g. 2026-01-01T12:00:00Z.")
@click.option("--authorization-reference", default=None)
@click.pass_context
def reserve_now(ctx: click.Context, partner: str, wait: float, as_json: bool, **payload: Any) -> None:
    """RESERVE_NOW at PARTNER for one of our tokens."""
    _run_send(ctx, partner, "RESERVE_NOW", payload, wait, as_json)


@commands.command("cancel-reservation")
@_common
@click.option("--reservation", "reservation_id", required=True)
@click.pass_context
def cancel_reservation(ctx: click.Context, partner: str, wait: float, as_json: bool, **payload: Any) -> None:
    """CANCEL_RESERVATION at PARTNER."""
    _run_send(ctx, partner, "CANCEL_RESERVATION", payload, wait, as_json)


@commands.command("unlock-connector")
@_common
@click.option("--location", "location_id", required=True)
@click.option("--evse", "evse_uid", required=True)
@click.option("--connector", "connector_id", required=True)
@click.pass_context
def unlock_connector(ctx: click.Context, partner: str, wait: float, as_json: bool, **payload: Any) -> None:
    """UNLOCK_CONNECTOR at PARTNER (help-desk operators only)."""
    _run_send(ctx, partner, "UNLOCK_CONNECTOR", payload, wait, as_json)


async def _records(settings: Any, uid: str | None, limit: int) -> list[dict[str, Any]]:
    path = f"/commands/{uid}" if uid else f"/commands?limit={limit}"
    body = await admin_call(settings, "GET", path)
    if body is not None:
        data = body["data"]
        return [data] if uid else list(data)
    import msgspec

    from ocpi_engine.services.background import BackgroundTasks
    from ocpi_engine.services.chargers import PlatformChargerHost
    from ocpi_engine.services.commands import CommandService

    async with open_context(settings) as context:
        tasks = BackgroundTasks()
        settings.charger_adapter = "none"
        service = CommandService(settings, context.store, context.client, tasks,
                                 PlatformChargerHost(settings, context.store, tasks))
        found = [await service.get(uid)] if uid else await service.list(limit=limit)
        await tasks.aclose()
        return [msgspec.to_builtins(r) for r in found]


@commands.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_commands(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The commands we sent, newest first, with their status and result."""
    for record in run(_records(load_settings(ctx), None, limit)):
        _print(record, as_json)


@commands.command("show")
@click.argument("uid")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show_command(ctx: click.Context, uid: str, as_json: bool) -> None:
    """One command we sent."""
    for record in run(_records(load_settings(ctx), uid, 1)):
        _print(record, as_json)


COMMANDS = [commands]
