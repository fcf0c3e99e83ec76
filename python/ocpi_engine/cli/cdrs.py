"""`ocpi-engine cdrs discrepancies`: the eMSP's reconciliation of received CDRs (services/cdrs.py)."""

from __future__ import annotations

import json
from typing import Any

import click

from ocpi_engine.cli._common import admin_call, load_settings, open_context, run


@click.group()
def cdrs() -> None:
    """Charge detail records (OCPI CDRs module)."""


@cdrs.command("discrepancies")
@click.option("--status", default="discrepancy,unpriced", show_default=True,
              help="Comma list of ok, discrepancy, unpriced, or all.")
@click.option("--after", type=int, default=0, help="Only records after this seq (keyset paging).")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.pass_context
def discrepancies(ctx: click.Context, status: str, after: int, limit: int, as_json: bool) -> None:
    """Received CDRs whose stated totals differ from the tariff engine's (beyond 0.01), or that could not be
    priced. Asks the running server, else reads the store."""
    settings = load_settings(ctx)

    async def _list() -> list[dict[str, Any]]:
        body = await admin_call(settings, "GET", f"/cdrs/discrepancies?status={status}&after={after}&limit={limit}")
        if body is not None:
            return body["data"]  # type: ignore[no-any-return]
        from ocpi_engine.services.cdrs import list_discrepancies

        async with open_context(settings) as context:
            return await list_discrepancies(context.store, status=status, after=after, limit=limit)

    records = run(_list())
    if as_json:
        click.echo(json.dumps(records, indent=2, default=str))
        return
    if not records:
        click.echo("no records")
        return
    for record in records:
        report = record["report"]
        key = f"{report['country_code']}/{report['party_id']}/{report['cdr_id']}"
        click.echo(f"{record['seq']:>6}  {report['status']:<11} {key:<48} partner {record['partner_id']}  "
                   f"tariffs: {report.get('tariff_source', '-')}")
        for difference in report.get("differences") or []:
            click.echo(f"        {difference['field']:<28} stated {difference['stated']}  computed "
                       f"{difference['computed']}  (difference {difference['difference']})")
        if report.get("message"):
            click.echo(f"        {report['message']}")


COMMANDS = [cdrs]
