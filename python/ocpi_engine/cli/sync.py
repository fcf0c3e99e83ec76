"""`ocpi-engine sync pull|push|status`: partner sync (pull a partner's objects, drain the push outbox, show state).

`sync push --initial PARTNER` first queues what a registration queues: a PUT of every own object the partner
receives (services/sync.py `enqueue_initial_push`), then drains.

These work on the store directly (no server needed; SQLite's WAL lets a running server go on meanwhile; the
outbox leases keep a server's push worker and this command from sending the same entry twice).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click
import msgspec

from ocpi_engine.cli._common import load_settings, open_context, run
from ocpi_engine.errors import OcpiError

_MODULES = ("locations", "tariffs", "tokens", "sessions", "cdrs")


async def _find_partner(store: Any, key: str) -> Any:
    partners = await store.list_partners()
    for partner in partners:
        if key.isdigit() and partner.id == int(key) or partner.name == key:
            return partner
    known = ", ".join(f"{p.id} ({p.name})" for p in partners) or "none; see `ocpi-engine partners add`"
    raise click.ClickException(f"no partner {key!r}; known partners: {known}")


@click.group()
def sync() -> None:
    """Partner sync: pull a partner's objects, push ours (outbox), show the state."""


@sync.command("pull")
@click.argument("partner")
@click.option("--module", "modules", multiple=True, type=click.Choice(_MODULES),
              help="Module(s) to pull (default: every module the partner sends).")
@click.option("--full", is_flag=True, help="Fetch everything (no date_from) and retire what the partner no longer "
                                           "sends (locations: EVSEs set to REMOVED).")
@click.option("--page-size", type=int, default=None, help="Ask for this `limit` (the partner may cap it).")
@click.option("--overlap", type=float, default=300.0, show_default=True,
              help="Seconds subtracted from the last watermark for date_from (clock skew, late commits).")
@click.option("--attempts", type=int, default=6, show_default=True, help="Attempts per page before giving up.")
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def pull(ctx: click.Context, partner: str, modules: tuple[str, ...], full: bool, page_size: int | None,
         overlap: float, attempts: int, quiet: bool, as_json: bool) -> None:
    """Fetch PARTNER's objects (id or name) from its Sender endpoints into our store."""
    from ocpi_engine.services.pull import PullProgress, pull_module
    from ocpi_engine.services.sync import SYNC_MODULES, pull_source

    settings = load_settings(ctx)

    def show(progress: PullProgress) -> None:
        if quiet:
            return
        total = f"/{progress.total:,}" if progress.total is not None else ""
        click.echo(f"\r{progress.module}: {progress.fetched:,}{total} objects, {progress.pages:,} pages, "
                   f"{progress.rate:,.0f}/s ", err=True, nl=False)

    async def _pull() -> tuple[list[dict[str, Any]], list[str]]:
        results = []
        async with open_context(settings) as context:
            record = await _find_partner(context.store, partner)
            wanted = list(modules) or [m for m, spec in SYNC_MODULES.items() if pull_source(record, spec)]
            if not wanted:
                raise click.ClickException(f"partner {record.id} ({record.name}) publishes no Sender endpoint we "
                                           "sync; `ocpi-engine partners list --json` shows its endpoints")
            failed: list[str] = []
            for module in wanted:
                try:
                    progress = await pull_module(context.store, context.client, record, module, full=full,
                                                 page_size=page_size, overlap=overlap, max_attempts=attempts,
                                                 timeout=settings.outbound_timeout, on_page=show)
                except OcpiError as exc:  # one module failing does not stop the others
                    if not quiet:
                        click.echo("", err=True)
                    click.echo(f"error: {module}: OCPI {exc.status_code}: {exc.message}", err=True)
                    failed.append(module)
                    continue
                if not quiet:
                    click.echo("", err=True)
                results.append(msgspec.to_builtins(progress))
        return results, failed

    results, failed = run(_pull())
    if as_json:
        click.echo(json.dumps(results, indent=2))
    for r in [] if as_json else results:
        rate = r["fetched"] / r["seconds"] if r["seconds"] else 0
        click.echo(f"{r['module']}: {r['mode']} pull, {r['fetched']:,} fetched in {r['pages']:,} pages "
                   f"({r['seconds']:.1f} s, {rate:,.0f}/s): {r['written']:,} written ({r['created']:,} new), "
                   f"{r['older']:,} older than ours, {r['refused']:,} refused, {r['invalid']:,} invalid, "
                   f"{r['retired']:,} no longer sent, {r['retries']} retries")
    if failed:
        click.echo(f"failed: {', '.join(failed)} (watermarks unchanged: the next pull starts where the last "
                   "successful one did; `ocpi-engine sync status` shows the errors)", err=True)
        sys.exit(1)


@sync.command("push")
@click.argument("partner", required=False)
@click.option("--max-wait", type=float, default=30.0, show_default=True,
              help="Seconds to keep waiting for entries in backoff (Retry-After, errors) before stopping.")
@click.option("--concurrency", type=int, default=None, help="Requests in flight per partner (OCPI_ENGINE_PUSH_CONCURRENCY).")
@click.option("--requeue", is_flag=True, help="Put dead letters back in the queue first (after fixing their cause).")
@click.option("--initial", is_flag=True, help="First queue a PUT of every own object PARTNER receives (what its "
                                              "registration queues; e.g. after that failed or the partner lost data).")
@click.option("--module", "modules", multiple=True, type=click.Choice(_MODULES),
              help="With --initial: only these module(s) (default: every module the partner receives by PUT; "
                   "CDRs only when named).")
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.pass_context
def push(ctx: click.Context, partner: str | None, max_wait: float, concurrency: int | None, requeue: bool,
         initial: bool, modules: tuple[str, ...], quiet: bool) -> None:
    """Drain the push outbox once (all partners or PARTNER). Exit 1 if dead letters remain, 2 if entries still wait."""
    from ocpi_engine.services.outbox import Backoff, PushWorker
    from ocpi_engine.services.sync import SYNC_MODULES, enqueue_initial_push, push_target

    settings = load_settings(ctx)
    if (initial or modules) and partner is None:
        raise click.UsageError("--initial pushes to one partner: give PARTNER (id or name)")
    if modules and not initial:
        raise click.UsageError("--module goes with --initial")

    async def _push() -> tuple[Any, int]:
        async with open_context(settings) as context:
            record = None if partner is None else await _find_partner(context.store, partner)
            partner_id = None if record is None else record.id
            if requeue:
                count = await context.store.requeue_outbox(partner_id=partner_id)
                click.echo(f"requeued {count} dead letter(s)", err=True)
            if initial and record is not None:  # PARTNER is required with --initial (checked above)
                wanted = list(modules) or None
                if wanted is not None:
                    refused = [m for m in wanted if push_target(record, SYNC_MODULES[m]) is None]
                    if refused:
                        raise click.ClickException(
                            f"partner {record.id} ({record.name}) receives no {', '.join(refused)} from us (it is "
                            f"{record.status} or publishes no such Receiver endpoint)")
                queued = await enqueue_initial_push(context.store, record, modules=wanted)
                if not queued:
                    raise click.ClickException(
                        f"partner {record.id} ({record.name}) receives nothing we push (it is {record.status} or "
                        "publishes no Receiver endpoint we sync); `ocpi-engine sync status` shows its modules")
                click.echo("queued the first push: " + ", ".join(f"{n:,} {m}" for m, n in queued.items()), err=True)
            worker = PushWorker(context.store, context.client, concurrency=concurrency or settings.push_concurrency,
                                timeout=settings.outbound_timeout, backoff=Backoff(max=settings.push_max_backoff))
            started = time.monotonic()
            counts = {"sent": 0, "retry": 0, "dead": 0, "replaced": 0, "skipped": 0}

            def tell(_: Any, result: str) -> None:
                counts[result] = counts.get(result, 0) + 1
                if not quiet:
                    seconds = time.monotonic() - started
                    click.echo(f"\rsent {counts['sent']:,}, retried {counts['retry']:,}, dead {counts['dead']:,} "
                               f"({counts['sent'] / seconds if seconds else 0:,.0f}/s) ", err=True, nl=False)

            worker.on_result = tell
            report = await worker.drain(partner_id, max_wait=max_wait)
            if not quiet:
                click.echo("", err=True)
            stats = [s for s in await context.store.outbox_stats() if partner_id is None or s.partner_id == partner_id]
            return report, sum(s.dead for s in stats)

    report, dead = run(_push())
    gone = f", {report.skipped:,} no longer ours or gone" if report.skipped else ""
    click.echo(f"pushed {report.sent:,}, {report.retried:,} retries, {report.replaced:,} PATCHes replaced by PUTs, "
               f"{report.waiting:,} still waiting, {dead:,} dead letter(s){gone}")
    if dead:
        click.echo("dead letters: see `ocpi-engine sync status`; fix the cause, then `ocpi-engine sync push "
                   "--requeue`", err=True)
        sys.exit(1)
    if report.waiting:
        click.echo("entries still wait for a partner (backoff, Retry-After or unreachable): run again later or "
                   "start the server with OCPI_ENGINE_PUSH_WORKER=1", err=True)
        sys.exit(2)


@sync.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Per partner: pull watermarks and last results, outbox depth, dead letters, last error."""
    from ocpi_engine.services.sync import SYNC_MODULES, meta_key, pull_source, push_target

    settings = load_settings(ctx)

    async def _status() -> list[dict[str, Any]]:
        async with open_context(settings) as context:
            store = context.store
            stats = {s.partner_id: s for s in await store.outbox_stats()}
            rows = []
            for partner in await store.list_partners():
                modules = {}
                for module, spec in SYNC_MODULES.items():
                    entry: dict[str, Any] = {"pull": pull_source(partner, spec) is not None,
                                             "push": push_target(partner, spec) is not None}
                    for what in ("watermark", "last_pull", "last_error"):
                        value = await store.get_meta(meta_key(partner.id, module, what))
                        if value:
                            entry[what] = json.loads(value) if what != "watermark" else _iso(float(value))
                    if entry["pull"] or entry["push"] or len(entry) > 2:
                        modules[module] = entry
                outbox = stats.get(partner.id)
                dead = await store.list_outbox(partner_id=partner.id, state="DEAD", limit=5)
                rows.append({
                    "id": partner.id, "name": partner.name, "status": partner.status, "version": partner.version,
                    "modules": modules,
                    "outbox": msgspec.to_builtins(outbox) if outbox else {"pending": 0, "dead": 0},
                    "dead_letters": [{"seq": d.seq, "module": d.module, "method": d.method, "path": d.path,
                                      "attempts": d.attempts, "error": d.last_error} for d in dead],
                })
            orphans = [s for pid, s in stats.items() if pid not in {r["id"] for r in rows}]
            for s in orphans:
                rows.append({"id": s.partner_id, "name": "(deleted partner)", "status": "-", "version": None,
                             "modules": {}, "outbox": msgspec.to_builtins(s), "dead_letters": []})
            return rows

    rows = run(_status())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no partners")
    for row in rows:
        box = row["outbox"]
        click.echo(f"{row['id']:>4}  {row['name']}  {row['status']} {row['version'] or ''}: outbox {box['pending']:,} "
                   f"waiting, {box['dead']:,} dead")
        if box.get("last_error"):
            click.echo(f"      last push error: {box['last_error']}")
        for module, m in row["modules"].items():
            ways = "/".join(w for w in ("pull", "push") if m[w]) or "-"
            line = f"      {module:<10} {ways:<10} watermark {m.get('watermark', 'never pulled')}"
            last = m.get("last_pull")
            if last:
                line += f", last {last['mode']} pull {last['at']}: {last['fetched']:,} objects"
            click.echo(line)
            if m.get("last_error"):
                click.echo(f"      {'':<10} last pull error {m['last_error']['at']}: {m['last_error']['error']}")
        for d in row["dead_letters"]:
            click.echo(f"      DEAD #{d['seq']} {d['module']} {d['method']} {d['path']} after {d['attempts']} "
                       f"attempt(s): {d['error']}")


def _iso(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


COMMANDS = [sync]
