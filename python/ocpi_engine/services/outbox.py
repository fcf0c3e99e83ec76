"""The push worker: drains the durable outbox to partners.

- Order: the store hands out only the oldest waiting entry of each object, and leases it, so one object's
  entries go one at a time in order; different objects of a partner go `concurrency` at a time.
- Failures: network errors, timeouts, HTTP 408/5xx, non-envelope answers and OCPI 3xxx are retried with
  exponential backoff and full jitter, capped at `max_backoff`. HTTP 429 pauses the whole partner until its
  `Retry-After` (seconds or HTTP date; capped). Nothing is dropped: any other 4xx or an OCPI 2xxx answer
  dead-letters the entry (kept, shown by `sync status`, back in the queue with `sync push --requeue`); a
  PATCH of an object the partner does not know (404) is replaced by a PUT of the whole current object, as the
  spec advises.
- First push (`sync.enqueue_initial_push`): its entries carry no body; the object is read from the store when
  the entry goes out (gone or no longer ours: the entry is dropped, counted `skipped`).
- Crashes: leases carry the owner (host:pid:nonce); a worker starting up releases the leases of owners on this
  host whose process is gone, other leases expire after `lease` seconds.
- Endpoints: the partner's Receiver URL is resolved from its record and cached for `endpoint_ttl` seconds.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any

import msgspec

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.errors import ClientApiError
from ocpi_engine.services.sync import SYNC_MODULES, PushOp, current_body, entries_for, push_target
from ocpi_engine.storage.base import ObjectRecord, OutboxEntry, PartnerRecord, Store

__all__ = ["Backoff", "PushWorker", "PushReport", "retry_after_seconds"]

log = logging.getLogger("ocpi_engine.sync")


class Backoff(msgspec.Struct, kw_only=True):
    base: float = 1.0
    max: float = 300.0

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: full jitter over base * 2**(attempts-1), capped."""
        ceiling = min(self.max, self.base * (2 ** max(attempts - 1, 0)))
        return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A Retry-After header as seconds from now (delta-seconds or HTTP-date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


class PushReport(msgspec.Struct, kw_only=True):
    sent: int = 0
    retried: int = 0
    dead: int = 0
    replaced: int = 0
    """PATCHes the partner could not apply (404), replaced by a PUT of the whole object."""
    waiting: int = 0
    """Entries still waiting when a bounded drain stopped (backoff or Retry-After beyond its deadline)."""
    skipped: int = 0
    """First-push entries whose object was gone (or no longer ours) when they were due: nothing to send."""


_HOST = socket.gethostname()


def _alive(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != _HOST or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PushWorker:
    def __init__(
        self,
        store: Store,
        client: OcpiClient,
        *,
        concurrency: int = 4,
        backoff: Backoff | None = None,
        timeout: float = 10.0,
        lease: float | None = None,
        endpoint_ttl: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.client = client
        self.concurrency = max(concurrency, 1)
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.lease = lease if lease is not None else timeout + 5.0
        self.endpoint_ttl = endpoint_ttl
        self.clock = clock
        self.owner = f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"
        self.report = PushReport()
        self._partners: dict[int, tuple[float, PartnerRecord | None]] = {}
        self._released = False
        self.on_result: Callable[[OutboxEntry, str], None] | None = None
        """Called after each attempt with the entry and `sent`, `retry`, `dead`, `replaced` or `skipped`."""

    # -- partners and endpoints ------------------------------------------------------------------------
    async def _partner(self, partner_id: int) -> PartnerRecord | None:
        now = self.clock()
        cached = self._partners.get(partner_id)
        if cached is not None and now - cached[0] < self.endpoint_ttl:
            return cached[1]
        partner = await self.store.get_partner(partner_id)
        self._partners[partner_id] = (now, partner)
        return partner

    async def release_stale_leases(self) -> int:
        """Release the leases of workers on this host that no longer run (a killed push resumes at once)."""
        released = 0
        for owner in await self.store.outbox_lease_owners():
            if owner != self.owner and not _alive(owner):
                released += await self.store.release_outbox_leases(owner)
        self._released = True
        return released

    # -- draining ------------------------------------------------------------------------------------------
    async def partner_ids(self) -> list[int]:
        return [s.partner_id for s in await self.store.outbox_stats() if s.pending]

    async def drain(self, partner_id: int | None = None, *, max_wait: float = 0.0) -> PushReport:
        """Send what is due, all partners concurrently (or one). Entries in backoff are waited for only when they
        come due within `max_wait` seconds from now; returns when nothing more is due within that window."""
        if not self._released:
            await self.release_stale_leases()
        deadline = self.clock() + max_wait
        ids = [partner_id] if partner_id is not None else await self.partner_ids()
        await asyncio.gather(*(self._drain_partner(pid, deadline) for pid in ids))
        self.report.waiting = sum(
            s.pending for s in await self.store.outbox_stats() if partner_id is None or s.partner_id == partner_id
        )
        return self.report

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None, *, idle: float = 1.0) -> None:
        """Serve forever (the app lifespan task): drain, then sleep until woken, `idle` passes or `stop` is set."""
        wake = wake or asyncio.Event()
        while not stop.is_set():
            wake.clear()
            try:
                await self.drain(max_wait=0.0)
            except Exception:
                log.exception("push worker: drain failed; retrying in %.0f s", idle)
            try:
                await asyncio.wait_for(_first(stop, wake), timeout=idle)
            except TimeoutError:
                pass

    async def _drain_partner(self, partner_id: int, deadline: float) -> None:
        in_flight: set[asyncio.Task[None]] = set()
        try:
            for _ in range(10_000_000):
                now = self.clock()
                free = self.concurrency - len(in_flight)
                if free > 0:
                    batch = await self.store.claim_outbox(partner_id, now=now, lease_until=now + self.lease,
                                                          owner=self.owner, limit=free)
                    for entry in batch:
                        in_flight.add(asyncio.create_task(self._send(entry)))
                if in_flight:
                    done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                    continue
                due = await self.store.outbox_next_due(partner_id)
                if due is None or due > deadline:
                    return
                await asyncio.sleep(min(max(due - self.clock(), 0.01), max(deadline - self.clock(), 0.01)))
        finally:
            for task in in_flight:
                task.cancel()

    # -- one attempt -----------------------------------------------------------------------------------------
    async def _send(self, entry: OutboxEntry) -> None:
        partner = await self._partner(entry.partner_id)
        spec = SYNC_MODULES.get(entry.module)
        if partner is None or spec is None:
            await self._dead(entry, f"partner {entry.partner_id} no longer exists" if partner is None
                             else f"module {entry.module} is not synced by this version")
            return
        base = push_target(partner, spec)
        if base is None:
            await self._dead(entry, f"partner {partner.id} ({partner.name}) is {partner.status} or publishes no "
                                    f"{entry.module} Receiver endpoint any more; re-register or requeue later")
            return
        url = base.rstrip("/") + entry.path if entry.path else base
        body = entry.body
        if body is None and not entry.sub_path and entry.method in ("PUT", "POST"):  # a first push: the object now
            try:
                body = await current_body(self.store, spec, partner, entry)
            except ValueError as exc:
                await self._dead(entry, f"{entry.method} {entry.path or '/'}: {exc}")
                return
            if body is None:
                await self.store.finish_outbox(entry.seq)
                self.report.skipped += 1
                self._tell(entry, "skipped")
                return
        try:
            reply = await self.client.request(
                entry.method, url, token=partner.outbound_token or "", version=partner.version,
                auth_mode=partner.outbound_auth, body=body, timeout=self.timeout,
            )
        except ClientApiError as exc:
            await self._retry(entry, exc.message)
            return
        status = reply.http_status
        code = reply.status_code
        what = f"{entry.method} {entry.path or '/'}: HTTP {status} OCPI {code} {reply.status_message or ''}".strip()
        if status == 429:
            now = self.clock()
            wait = retry_after_seconds(reply.headers.get("retry-after"), now)
            wait = min(wait if wait is not None else self.backoff.delay(entry.attempts + 1), self.backoff.max)
            await self.store.defer_outbox(entry.partner_id, now + wait)
            await self._retry(entry, f"{what} (rate limited, Retry-After {wait:.0f} s)", at=now + wait)
            return
        if status == 408 or status >= 500:
            await self._retry(entry, what)
            return
        if 200 <= status < 300 and (code is None or 1000 <= code < 2000):
            await self.store.finish_outbox(entry.seq)
            self.report.sent += 1
            self._tell(entry, "sent")
            return
        if 200 <= status < 300 and code is not None and code >= 3000:
            await self._retry(entry, what)
            return
        if status == 404 and entry.method == "PATCH" and await self._replace_with_put(entry, spec, partner):
            return
        await self._dead(entry, what)

    async def _replace_with_put(self, entry: OutboxEntry, spec: Any, partner: PartnerRecord) -> bool:
        current: ObjectRecord | None = await self.store.get_object(entry.module, entry.country_code, entry.party_id,
                                                                   entry.object_id)
        if current is None or current.partner_id is not None:
            return False
        await self.store.finish_outbox(entry.seq)
        await self.store.enqueue_outbox(entries_for(spec, partner, current, [PushOp(method="PUT", body=current.body)]))
        self.report.replaced += 1
        self._tell(entry, "replaced")
        return True

    async def _retry(self, entry: OutboxEntry, error: str, *, at: float | None = None) -> None:
        when = at if at is not None else self.clock() + self.backoff.delay(entry.attempts + 1)
        await self.store.retry_outbox(entry.seq, next_attempt_at=when, error=error)
        self.report.retried += 1
        self._tell(entry, "retry")

    async def _dead(self, entry: OutboxEntry, error: str) -> None:
        log.warning("push to partner %s dead-lettered: %s %s: %s", entry.partner_id, entry.module, entry.path, error)
        await self.store.kill_outbox(entry.seq, error=error)
        self.report.dead += 1
        self._tell(entry, "dead")

    def _tell(self, entry: OutboxEntry, result: str) -> None:
        if self.on_result is not None:
            self.on_result(entry, result)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
