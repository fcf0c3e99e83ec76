"""`ocpi-engine price` and `ocpi-engine reprice`: the tariff engine from the command line."""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from pathlib import Path

import click

from ocpi_engine.errors import EngineError


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


@click.command()
@click.argument("cdr", type=click.Path(dir_okay=False))
@click.option("--tariff", "tariff", type=click.Path(dir_okay=False), default=None,
              help="Tariff JSON (one object or an array); default: the CDR's own tariffs.")
@click.option("--time-zone", default=None, help="IANA zone for restrictions (default: the location's).")
@click.option("--currency-rounding", is_flag=True, help="Round money to 2 decimals instead of 4.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def price(cdr: str, tariff: str | None, time_zone: str | None, currency_rounding: bool, as_json: bool) -> None:
    """Price one CDR (2.2.1 or 2.1.1) and show which tariff element priced what."""
    from ocpi_engine.services.pricing import price_cdr

    try:
        report = price_cdr(_read(cdr), _read(tariff) if tariff else None, time_zone=time_zone,
                           currency_rounding=currency_rounding)
    except EngineError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    if as_json:
        click.echo(report.to_json())
        return
    header = f"{'period':>6}  {'start (UTC)':<20} {'dimension':<17} {'tariff':<10} {'el':>2} {'volume':>12} " \
             f"{'step+':>9} {'price':>9} {'vat%':>6} {'excl':>10} {'incl':>10}"
    click.echo(header)
    click.echo("-" * len(header))
    for p in report.periods:
        click.echo(
            f"{p['period']:>6}  {p['start_date_time']:<20} {p['dimension']:<17} {p['tariff_id'][:10]:<10} "
            f"{p['element']:>2} {_num(p['volume']):>12} {_num(p['step_extra']):>9} "
            f"{_num(p['price']):>9} {_num(p['vat']):>6} "
            f"{p['cost_excl_vat']:>10.4f} {p['cost_incl_vat']:>10.4f}"
        )
    click.echo("-" * len(header))
    rows = [
        ("fixed", report.total_fixed_cost), ("energy", report.total_energy_cost), ("time", report.total_time_cost),
        ("parking", report.total_parking_cost), ("reservation", report.total_reservation_cost),
        ("TOTAL", report.total_cost),
    ]
    for name, value in rows:
        click.echo(f"{name:>12}: {value.excl_vat:>12.4f} excl. VAT {value.incl_vat:>12.4f} incl. VAT  {report.currency}")
    click.echo(f"energy {_num(report.total_energy)} kWh, time {_num(report.total_time)} h, "
               f"parking {_num(report.total_parking_time)} h,"
               f" zone {report.time_zone}")
    for code, message in report.warnings:
        click.echo(f"warning [{code}]: {message}", err=True)


@click.command()
@click.argument("input_path", metavar="IN.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("--tariffs", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Tariffs for every CDR (one object or an array); default: each CDR's own.")
@click.option("--out", "output", required=True, type=click.Path(dir_okay=False), help="Results, JSON Lines.")
@click.option("--discrepancies", type=click.Path(dir_okay=False), default=None,
              help="CSV of every stated total that differs from the computed one (default: OUT.discrepancies.csv).")
@click.option("--time-zone", default=None, help="IANA zone for restrictions (default: each location's).")
@click.option("--workers", type=int, default=None, help="Threads (default: all cores).")
@click.option("--tolerance", default="0.005", show_default=True, help="Differences up to this are not reported.")
@click.option("--breakdown", is_flag=True, help="Include the per-period breakdown in each result.")
def reprice(input_path: str, tariffs: str | None, output: str, discrepancies: str | None, time_zone: str | None,
            workers: int | None, tolerance: str, breakdown: bool) -> None:
    """Reprice a JSON Lines file of CDRs on all cores, with a reconciliation summary."""
    from ocpi_engine.services.pricing import reprice_file

    try:
        Decimal(tolerance)
    except ArithmeticError:
        raise click.ClickException(f"--tolerance {tolerance!r} is not a number; e.g. --tolerance 0.01") from None
    discrepancies = discrepancies or str(Path(output).with_suffix("")) + ".discrepancies.csv"
    started = time.monotonic()
    interactive = sys.stderr.isatty()

    def progress(records: int, done: int, total: int) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        line = f"[{bar:<30}] {share:6.1%} {records:>10,} CDRs {records / elapsed:>10,.0f}/s"
        click.echo(("\r" if interactive else "") + line, err=True, nl=not interactive)

    try:
        summary = reprice_file(input_path, output, _read(tariffs) if tariffs else None, time_zone=time_zone,
                               workers=workers, tolerance=tolerance, discrepancies=discrepancies,
                               breakdown=breakdown, progress=progress)
    except EngineError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    elapsed = time.monotonic() - started
    if interactive:
        click.echo(err=True)
    click.echo(
        f"{summary['records']:,} CDRs in {elapsed:.1f}s ({summary['records'] / max(elapsed, 1e-9):,.0f}/s): "
        f"{summary['priced']:,} priced, {summary['errors']:,} errors, "
        f"{summary['with_discrepancies']:,} with stated totals off by more than {tolerance} "
        f"(max {summary['max_abs_difference']}, total_cost excl. VAT net {summary['total_cost_difference_excl_vat']})"
    )
    click.echo(f"results: {output}   discrepancies: {discrepancies}")
    if summary["errors"]:
        click.echo(f"{summary['errors']} record(s) could not be priced: see the `error` field of their lines in "
                   f"{output}", err=True)


@click.command("lint")
@click.argument("tariff", type=click.Path(dir_okay=False))
def lint(tariff: str) -> None:
    """Check a tariff (one or an array): misspelt fields, elements that never apply, shadowed components."""
    from ocpi_engine.services.pricing import lint_tariff

    try:
        warnings = lint_tariff(_read(tariff))
    except EngineError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    for code, message in warnings:
        click.echo(f"{code}: {message}")
    if warnings:
        raise SystemExit(1)
    click.echo("no problems found")


COMMANDS = [price, reprice, lint]
