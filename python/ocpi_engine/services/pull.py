"""Pull: fetch every object of a module from a partner's Sender endpoint into the store (transport.md section 8).

- Pages: follow `Link: <url>; rel="next"` (absolute or relative to the page's URL). The partner's page size
  rules (`limit` only when asked for, `X-Limit` is informative). Without a Link the crawl ends, unless
  `X-Total-Count` says objects are missing: then the next `offset` is asked for. When `X-Total-Count` shrinks
  during the crawl (objects updated out of a window or removed), the page is asked again from an offset moved
  back by as much, as the spec advises; duplicates cost nothing (below).
- Failures: 429 (Retry-After), 408, 5xx, OCPI 3xxx, timeouts, network errors and truncated or non-envelope
  bodies are retried with exponential backoff and jitter, `max_attempts` per page; other 4xx stop the crawl
  with a message saying what to check. Invalid objects in a page are counted and skipped (the spec: process
  the valid ones).
- Writes: each page in one transaction; an object is written unless the stored copy has a newer
  `last_updated` (never older over newer) or the key belongs to another writer (our own objects, another
  partner's). Objects of parties the partner did not register are ignored (client-owned object pull rule),
  except from hubs.
- Incremental: `date_from` = the last successful crawl's start time minus `overlap` seconds (clock skew and
  objects committed late at the partner). The watermark is written to the store's meta only after the whole
  crawl succeeded.
- Full (`full=True`, no date_from): objects of the module the partner stored with us and no longer sends are
  retired per module (`SyncModule.retire`): locations keep their record with every EVSE set to REMOVED (the
  spec's way to delete; last_updated untouched, so the partner's next real update wins), tariffs are deleted,
  tokens become valid=false, sessions and cdrs are kept (only counted).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import msgspec

from ocpi_engine.clients.ocpi import OcpiClient, OcpiReply
from ocpi_engine.errors import ClientApiError, InvalidParametersError
from ocpi_engine.models._base import format_datetime, normalize_datetime
from ocpi_engine.services.outbox import Backoff, retry_after_seconds
from ocpi_engine.services.sync import SYNC_MODULES, SyncModule, meta_key, pull_source
from ocpi_engine.storage.base import ObjectRecord, PartnerRecord, Store

__all__ = ["PullProgress", "pull_module", "next_link"]

log = logging.getLogger("ocpi_engine.sync")
_encoder = msgspec.json.Encoder(decimal_format="number")
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


class PullProgress(msgspec.Struct, kw_only=True):
    module: str
    partner_id: int
    mode: str = "incremental"
    date_from: str | None = None
    pages: int = 0
    fetched: int = 0
    total: int | None = None
    """The partner's X-Total-Count (last page seen), None when it sends none."""
    written: int = 0
    created: int = 0
    older: int = 0
    refused: int = 0
    invalid: int = 0
    retries: int = 0
    retired: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.fetched / self.seconds if self.seconds > 0 else 0.0


def next_link(header: str | None, current_url: str) -> str | None:
    """The `rel="next"` URL of a Link header, resolved against the URL of the page that carried it."""
    if not header:
        return None
    for match in _LINK.finditer(header):
        params = match.group(2).lower().replace(" ", "")
        if 'rel="next"' in params or "rel=next" in params:
            return urljoin(current_url, match.group(1).strip())
    return None


def _with_params(url: str, changes: dict[str, Any]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    query.extend((k, str(v)) for k, v in changes.items() if v is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _int_header(reply: OcpiReply, name: str) -> int | None:
    try:
        return int(reply.headers.get(name, ""))
    except ValueError:
        return None


def _offset(url: str) -> int | None:
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "offset" and value.isdigit():
            return int(value)
    return None


class _Validator:
    """Turns one pulled JSON object into an ObjectRecord (2.2.1 body, the partner as writer)."""

    def __init__(self, spec: SyncModule, partner: PartnerRecord) -> None:
        self.spec = spec
        self.partner = partner
        self.decoder = spec.decoder()
        self.v211 = partner.version == "2.1.1"
        if self.v211 and spec.upgrade_211 is None:
            raise InvalidParametersError(
                f"pulling {spec.module} from a 2.1.1 partner is not supported yet (no 2.1.1 -> 2.2.1 conversion)",
                field="module")
        parties = sorted(partner.parties())
        self.home = parties[0] if parties else ("", "")
        self.parties = None if "HUB" in {str(r.get("role")) for r in partner.roles} else partner.parties()

    def record(self, raw: bytes) -> ObjectRecord | None:
        """None when the object belongs to a party the partner did not register."""
        if self.v211 and self.spec.upgrade_211 is not None:
            raw = self.spec.upgrade_211(raw, *self.home)
        if self.decoder is not None:
            obj = self.decoder.decode(raw)
            body = _encoder.encode(obj)
            fields = msgspec.structs.asdict(obj)
        else:
            fields = msgspec.json.decode(raw)
            if not isinstance(fields, dict):
                raise msgspec.ValidationError("expected a JSON object")
            for name in ("country_code", "party_id", "last_updated", *self.spec.id_fields):
                if name == "type" and self.spec.module == "tokens":
                    continue
                if not isinstance(fields.get(name), str) or not fields[name]:
                    raise msgspec.ValidationError(f"missing or invalid `{name}`")
            body = bytes(raw)
        country_code, party_id = str(fields["country_code"]).upper(), str(fields["party_id"]).upper()
        if self.parties is not None and (country_code, party_id) not in self.parties:
            return None
        try:
            last_updated = normalize_datetime(str(fields["last_updated"]))
        except ValueError as exc:
            raise msgspec.ValidationError(str(exc)) from None
        return ObjectRecord(module=self.spec.module, country_code=country_code, party_id=party_id,
                            id=self.spec.object_id(fields), last_updated=last_updated, body=body,
                            partner_id=self.partner.id)


async def _fetch(client: OcpiClient, partner: PartnerRecord, url: str, *, progress: PullProgress, backoff: Backoff,
                 max_attempts: int, timeout: float | None) -> OcpiReply:
    """One page, retried on what a retry can fix."""
    error = ""
    for attempt in range(1, max_attempts + 1):
        wait: float | None = None
        try:
            reply = await client.request("GET", url, token=partner.outbound_token or "", version=partner.version,
                                         auth_mode=partner.outbound_auth, timeout=timeout, raw_data=True)
        except ClientApiError as exc:
            error = exc.message
        else:
            status, code = reply.http_status, reply.status_code
            if 200 <= status < 300 and code is not None and 1000 <= code < 2000:
                return reply
            error = f"GET {url.split('?')[0]} answered HTTP {status} OCPI {code} {reply.status_message or ''}".strip()
            if status == 429:
                wait = retry_after_seconds(reply.headers.get("retry-after"), time.time())
            elif not (status == 408 or status >= 500 or (code is not None and code >= 3000)):
                hint = {401: "our token was refused: run `ocpi-engine partners update` or re-register",
                        403: "the partner refuses us this module: ask them to open it",
                        404: "the endpoint is gone: run `ocpi-engine partners update` to re-fetch its endpoints"}
                raise ClientApiError(f"{error}; {hint.get(status, 'check the partner logs with them')}")
        if attempt == max_attempts:
            break
        progress.retries += 1
        delay = min(wait if wait is not None else backoff.delay(attempt), backoff.max)
        log.info("pull %s page retry %d in %.1f s: %s", progress.module, attempt, delay, error)
        await asyncio.sleep(delay)
    raise ClientApiError(f"{error} (gave up after {max_attempts} attempts; run the pull again later, it resumes "
                         "from the last successful watermark)")


async def pull_module(
    store: Store,
    client: OcpiClient,
    partner: PartnerRecord,
    module: str,
    *,
    full: bool = False,
    page_size: int | None = None,
    overlap: float = 300.0,
    max_attempts: int = 6,
    backoff: Backoff | None = None,
    timeout: float | None = None,
    max_pages: int = 1_000_000,
    on_page: Callable[[PullProgress], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> PullProgress:
    """Crawl the partner's `module` list into the store; returns the counts (also stored under meta `last_pull`)."""
    spec = SYNC_MODULES.get(module)
    if spec is None:
        raise InvalidParametersError(f"unknown module {module!r}; known: {', '.join(sorted(SYNC_MODULES))}",
                                     field="module")
    if partner.status != "REGISTERED" or not partner.outbound_token:
        raise InvalidParametersError(f"partner {partner.id} ({partner.name}) is {partner.status}, not REGISTERED",
                                     field="partner")
    url = pull_source(partner, spec)
    if url is None:
        raise InvalidParametersError(
            f"partner {partner.id} ({partner.name}) publishes no {module} Sender endpoint; if it should, run "
            f"`ocpi-engine partners update {partner.id}` to re-fetch its endpoints", field="module")
    backoff = backoff or Backoff(base=0.5, max=30.0)
    started = clock()
    watermark = None if full else await store.get_meta(meta_key(partner.id, module, "watermark"))
    progress = PullProgress(module=module, partner_id=partner.id, mode="full" if full else "incremental")
    first: dict[str, Any] = {}
    if watermark is not None:
        from_ts = float(watermark) - overlap
        progress.date_from = format_datetime(_utc(from_ts))
        first["date_from"] = progress.date_from
    elif not full:
        progress.mode = "initial"
    if page_size is not None:
        first["limit"] = page_size
    validator = _Validator(spec, partner)
    seen: set[tuple[str, str, str]] = set()
    page_url: str | None = _with_params(url, first) if first else url
    previous_total: int | None = None
    try:
        for _ in range(max_pages):
            if page_url is None:
                break
            reply = await _fetch(client, partner, page_url, progress=progress, backoff=backoff,
                                 max_attempts=max_attempts, timeout=timeout)
            raw = reply.data
            try:
                items = [] if raw is None or bytes(raw).strip() == b"null" else _raw_list.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise ClientApiError(f"GET {page_url.split('?')[0]}: `data` is not a list of objects ({exc})") from exc
            records: list[ObjectRecord] = []
            for item in items:
                try:
                    record = validator.record(bytes(item))
                except (msgspec.DecodeError, msgspec.ValidationError, ValueError, KeyError, TypeError) as exc:
                    progress.invalid += 1
                    if progress.invalid <= 5:
                        log.warning("pull %s from partner %s: invalid object skipped: %s", module, partner.id, exc)
                    continue
                if record is None:
                    progress.refused += 1
                    continue
                records.append(record)
                if full:
                    seen.add((record.country_code, record.party_id, record.id.upper()))
            merged = await store.merge_objects(records)
            progress.written += merged.written
            progress.created += merged.created
            progress.older += merged.older
            progress.refused += merged.refused
            progress.pages += 1
            progress.fetched += len(items)
            total = _int_header(reply, "x-total-count")
            progress.total = total if total is not None else progress.total
            progress.seconds = clock() - started
            if on_page is not None:
                on_page(progress)
            following = next_link(reply.headers.get("link"), page_url)
            if following is None and total is not None and items and progress.fetched < total:
                # No Link although objects are missing: ask for the next offset ourselves.
                current = _offset(page_url) or 0
                following = _with_params(page_url, {"offset": current + len(items)})
            if following is not None and total is not None and previous_total is not None and total < previous_total:
                # Objects before this page left the list: this page started too far. Ask again from an offset
                # moved back by as many (duplicates are harmless, skipped objects would not be).
                offset = _offset(page_url)
                if offset is not None and offset > 0:
                    following = _with_params(page_url, {"offset": max(offset - (previous_total - total), 0)})
            previous_total = total
            page_url = following
        else:
            raise ClientApiError(f"pull {module}: stopped after {max_pages} pages; the partner's Links may loop")
        if full:
            progress.retired = await _retire(store, spec, partner, seen)
    except Exception as exc:
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        await store.set_meta(meta_key(partner.id, module, "last_error"),
                             msgspec.json.encode({"at": format_datetime(_utc(clock())), "error": message}).decode())
        raise
    progress.seconds = clock() - started
    await store.set_meta(meta_key(partner.id, module, "watermark"), repr(started))
    summary = msgspec.to_builtins(progress)
    summary["at"] = format_datetime(_utc(started))
    await store.set_meta(meta_key(partner.id, module, "last_pull"), msgspec.json.encode(summary).decode())
    await store.set_meta(meta_key(partner.id, module, "last_error"), "")
    return progress


def _utc(ts: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC)


async def _retire(store: Store, spec: SyncModule, partner: PartnerRecord, seen: set[tuple[str, str, str]]) -> int:
    """Apply the module's retire rule to the partner's stored objects the full crawl did not return."""
    gone: list[ObjectRecord] = []
    cursor: int | None = None
    for _ in range(10_000_000):
        page = await store.list_objects(spec.module, partner_id=partner.id, after_seq=cursor, limit=1000)
        gone.extend(r for r in page.items if (r.country_code.upper(), r.party_id.upper(), r.id.upper()) not in seen)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if not gone or spec.retire == "keep":
        return len(gone)
    if spec.retire == "delete":
        for record in gone:
            await store.delete_object(spec.module, record.country_code, record.party_id, record.id)
        return len(gone)
    changed: list[ObjectRecord] = []
    for record in gone:
        obj = msgspec.json.decode(record.body)
        if spec.retire == "removed":
            evses = obj.get("evses") or []
            if all(e.get("status") == "REMOVED" for e in evses):
                continue
            for evse in evses:
                evse["status"] = "REMOVED"
        elif spec.retire == "invalid":
            if obj.get("valid") is False:
                continue
            obj["valid"] = False
        changed.append(msgspec.structs.replace(record, body=_encoder.encode(obj)))
    if changed:
        await store.put_objects(changed)
    return len(gone)

