"""CDRs use cases (cdrs.md): the eMSP's Receiver (a POSTed CDR is stored once and never changed, then re-priced with
the tariff engine and reconciled against its stated totals), and the CPO's own CDRs.

Reconciliation (eMSP side), one record per received CDR (`Store.add_reconciliation`):
- tariffs: those we hold from the sending CPO (Tariffs module, same party and partner) named by the periods'
  `tariff_id`s or the CDR's own tariffs' ids, else the held location's connector `tariff_ids`; a tariff we do
  not hold is taken from the CDR's own `tariffs` (as valid at session start); `tariff_source` says which;
- time zone: the held location's `time_zone`, else the engine's choice (the CDR location's country);
- compared beyond `TOLERANCE` (0.01): every stated cost (total_cost and each total_*_cost, excl and incl VAT),
  `total_time`, and `total_energy` / `total_parking_time` when the periods carry ENERGY / PARKING_TIME (otherwise
  the CDR gives the engine nothing to recompute them from);
- a Credit CDR is not priced: its total_cost must be the credited CDR's negated (when we hold that CDR);
- status `ok`, `discrepancy` or `unpriced` (no tariff, or the engine refused: the message says why). Pricing never
  fails the POST: the CDR is stored first.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import anyio
import msgspec

from ocpi_engine.errors import EngineError, InvalidParametersError, NotFoundError
from ocpi_engine.models._base import format_datetime, normalize_datetime, utc_now
from ocpi_engine.models.v221.cdrs import Cdr, cdr_decoder
from ocpi_engine.services import pricing
from ocpi_engine.services.importer import Importer, register_importer
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, ReconciliationRecord, Store

__all__ = ["MODULE", "STATUSES", "TOLERANCE", "CdrService", "cdr_record", "list_discrepancies", "own_cdr_created",
           "reconcile"]

MODULE = "cdrs"
TOLERANCE = Decimal("0.01")
log = logging.getLogger("ocpi_engine.cdrs")
_encoder = msgspec.json.Encoder(decimal_format="number")
_dict_decoder = msgspec.json.Decoder(float_hook=Decimal)
_COSTS = ("total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
          "total_reservation_cost")


def cdr_record(cdr: Cdr, *, partner_id: int | None) -> ObjectRecord:
    return ObjectRecord(
        module=MODULE, country_code=cdr.country_code.upper(), party_id=cdr.party_id.upper(), id=cdr.id,
        last_updated=normalize_datetime(cdr.last_updated), body=_encoder.encode(cdr), partner_id=partner_id,
    )


class CdrService:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    async def get(self, country_code: str, party_id: str, cdr_id: str, *, partner_id: int | None) -> bytes:
        record = await self.store.get_object(MODULE, country_code.upper(), party_id.upper(), cdr_id)
        if record is None or record.partner_id != partner_id:
            raise NotFoundError(f"unknown CDR {cdr_id}")
        return record.body

    async def receive(self, cdr: Cdr, *, partner_id: int) -> tuple[bool, dict[str, Any] | None]:
        """Store a CDR a CPO POSTed, then reconcile it. Returns (created, reconciliation report).

        CDRs are immutable (cdrs.md 2.2: de-duplicate on country_code, party_id, id): the same CDR again (a retry
        whose answer was lost) is accepted without change (created False, no new reconciliation); a different CDR
        under a stored id is refused with 2001 (corrections are Credit CDRs with a new id)."""
        record = cdr_record(cdr, partner_id=partner_id)
        created = False

        def change(current: ObjectRecord | None) -> ObjectRecord | None:
            nonlocal created
            if current is None:
                created = True
                return record
            if current.partner_id == partner_id and current.body == record.body:
                return None
            raise InvalidParametersError(
                f"invalid field `id`: CDR {cdr.id} was already received and CDRs cannot be changed; send a Credit CDR "
                "(credit = true, credit_reference_id) and a new CDR with a new id", field="id")

        await self.store.update_object(MODULE, record.country_code, record.party_id, record.id, change)
        if not created:
            return False, None
        try:
            report = await reconcile(self.store, cdr, partner_id=partner_id)
        except Exception as exc:  # reconciliation never fails a stored CDR
            log.exception("reconciliation of CDR %s/%s/%s failed", cdr.country_code, cdr.party_id, cdr.id)
            report = _report(cdr, "unpriced", message=f"reconciliation failed: {exc}")
        await self.store.add_reconciliation(ReconciliationRecord(
            partner_id=partner_id, country_code=cdr.country_code, party_id=cdr.party_id, cdr_id=cdr.id,
            status=report["status"], body=_encoder.encode(report), created=format_datetime(utc_now())))
        return True, report


def _report(cdr: Cdr, status: str, **fields: Any) -> dict[str, Any]:
    return {"country_code": cdr.country_code.upper(), "party_id": cdr.party_id.upper(), "cdr_id": cdr.id,
            "status": status, "currency": cdr.currency, **fields}


async def _held(store: Store, module: str, country_code: str, party_id: str, id: str,
                partner_id: int) -> ObjectRecord | None:
    record = await store.get_object(module, country_code.upper(), party_id.upper(), id)
    return record if record is not None and record.partner_id == partner_id else None


async def _tariffs_for(store: Store, cdr: Cdr, partner_id: int) -> tuple[list[bytes], str, str | None]:
    """(tariff JSON bodies, tariff_source, time zone) for re-pricing a received CDR."""
    location_record = await _held(store, "locations", cdr.country_code, cdr.party_id, cdr.cdr_location.id,
                                  partner_id)
    location = _dict_decoder.decode(location_record.body) if location_record is not None else {}
    own: dict[str, bytes] = {}
    for raw in cdr.tariffs or []:
        tariff = _dict_decoder.decode(raw)
        if isinstance(tariff, dict) and tariff.get("id") is not None:
            own.setdefault(str(tariff["id"]).upper(), bytes(raw))
    ids = list(dict.fromkeys(p.tariff_id.upper() for p in cdr.charging_periods if p.tariff_id)) or list(own)
    if not ids:
        for evse in location.get("evses") or []:
            if str(evse.get("uid", "")).upper() == cdr.cdr_location.evse_uid.upper():
                for connector in evse.get("connectors") or []:
                    if str(connector.get("id", "")).upper() == cdr.cdr_location.connector_id.upper():
                        ids = [str(t).upper() for t in connector.get("tariff_ids") or []]
    bodies, sources = [], set()
    for tariff_id in ids:
        held = await _held(store, "tariffs", cdr.country_code, cdr.party_id, tariff_id, partner_id)
        if held is not None:
            bodies.append(held.body)
            sources.add("held")
        elif tariff_id in own:
            bodies.append(own[tariff_id])
            sources.add("cdr")
    time_zone = location.get("time_zone")
    return bodies, "+".join(sorted(sources)) or "none", time_zone if isinstance(time_zone, str) else None


def _price_dict(price: Any) -> dict[str, Decimal]:
    return {"excl_vat": price.excl_vat, "incl_vat": price.incl_vat}


async def reconcile(store: Store, cdr: Cdr, *, partner_id: int) -> dict[str, Any]:
    """The reconciliation report of a received CDR (module docstring)."""
    if cdr.credit:
        return await _reconcile_credit(store, cdr, partner_id)
    bodies, source, time_zone = await _tariffs_for(store, cdr, partner_id)
    if not bodies:
        return _report(cdr, "unpriced", tariff_source=source,
                       message="no tariff: none of the CDR's tariffs is held from this CPO or included in the CDR")
    cdr_json = _encoder.encode(cdr)
    tariffs_json = b"[" + b",".join(bodies) + b"]"
    try:
        report = await anyio.to_thread.run_sync(
            lambda: pricing.price_cdr(cdr_json, tariffs_json, time_zone=time_zone))
    except EngineError as exc:
        return _report(cdr, "unpriced", tariff_source=source, message=f"the tariff engine refused: {exc}")
    stated: dict[str, Any] = {}
    computed: dict[str, Any] = {}
    differences = []

    def compare(field: str, stated_value: Decimal | None, computed_value: Decimal) -> None:
        if stated_value is None:
            return
        difference = computed_value - stated_value
        if abs(difference) > TOLERANCE:
            differences.append({"field": field, "stated": stated_value, "computed": computed_value,
                                "difference": difference})

    for name in _COSTS:
        stated_price = getattr(cdr, name)
        computed_price = getattr(report, name)
        computed[name] = _price_dict(computed_price)
        if stated_price is not None:
            stated[name] = {"excl_vat": stated_price.excl_vat, "incl_vat": stated_price.incl_vat}
            compare(f"{name}.excl_vat", stated_price.excl_vat, computed_price.excl_vat)
            compare(f"{name}.incl_vat", stated_price.incl_vat, computed_price.incl_vat)
    dimensions = {d.type for p in cdr.charging_periods for d in p.dimensions}
    quantities: list[tuple[str, Decimal | None, Decimal]] = [("total_time", cdr.total_time, report.total_time)]
    if "ENERGY" in dimensions:
        quantities.append(("total_energy", cdr.total_energy, report.total_energy))
    if "PARKING_TIME" in dimensions:
        quantities.append(("total_parking_time", cdr.total_parking_time, report.total_parking_time))
    for name, stated_value, computed_value in quantities:
        stated[name], computed[name] = stated_value, computed_value
        compare(name, stated_value, computed_value)
    return _report(cdr, "discrepancy" if differences else "ok", tariff_source=source, time_zone=report.time_zone,
                   stated=stated, computed=computed, differences=differences,
                   warnings=[{"code": code, "message": message} for code, message in report.warnings])


async def _reconcile_credit(store: Store, cdr: Cdr, partner_id: int) -> dict[str, Any]:
    reference = cdr.credit_reference_id or ""
    original = await _held(store, MODULE, cdr.country_code, cdr.party_id, reference, partner_id)
    if original is None:
        return _report(cdr, "unpriced", credit_reference_id=reference,
                       message=f"Credit CDR for CDR {reference}, which this CPO never sent us")
    credited = cdr_decoder.decode(original.body)
    differences = []
    for name in _COSTS:
        stated_price, original_price = getattr(cdr, name), getattr(credited, name)
        if stated_price is None or original_price is None:
            continue
        for part in ("excl_vat", "incl_vat"):
            stated_value, original_value = getattr(stated_price, part), getattr(original_price, part)
            if stated_value is not None and original_value is not None \
                    and abs(stated_value + original_value) > TOLERANCE:
                differences.append({"field": f"{name}.{part}", "stated": stated_value, "computed": -original_value,
                                    "difference": -original_value - stated_value})
    return _report(cdr, "discrepancy" if differences else "ok", credit_reference_id=reference,
                   tariff_source="credited CDR", differences=differences,
                   message="Credit CDR: its costs must be the credited CDR's negated")


# -- our own CDRs (CPO) ------------------------------------------------------------------------------------------
def _check_own(cdr: Cdr, settings: Settings) -> None:
    if (cdr.country_code.upper(), cdr.party_id.upper()) != (settings.country_code, settings.party_id):
        raise InvalidParametersError(
            f"CDR {cdr.id} belongs to {cdr.country_code}/{cdr.party_id}, not to this platform "
            f"({settings.country_code}/{settings.party_id})", field="country_code")


async def _refuse_changes(store: Store, settings: Settings, records: list[ObjectRecord]) -> list[ObjectRecord]:
    """CDRs are immutable: a stored id with other content is refused; the same CDR again is skipped."""
    fresh = []
    for record in records:
        stored = await store.get_object(MODULE, record.country_code, record.party_id, record.id)
        if stored is None:
            fresh.append(record)
        elif stored.body != record.body:
            raise InvalidParametersError(
                f"CDR {record.id} exists with other content and CDRs cannot be changed: issue a Credit CDR and a new "
                "CDR with new ids", field="id")
    return fresh


async def own_cdr_created(context: Any, cdr: Cdr) -> ObjectRecord:
    """Our own session ended with this CDR (CPO backend): write it once and queue its POST to every partner
    receiving CDRs in one transaction (services/sync.py). Immutable: an existing id is refused (2001)."""
    _check_own(cdr, context.settings)
    records = await _refuse_changes(context.store, context.settings, [cdr_record(cdr, partner_id=None)])
    if records:
        from ocpi_engine.services.sessions import _write_and_push

        await _write_and_push(context, MODULE, records)
    return cdr_record(cdr, partner_id=None)


def _import_record(line: bytes, settings: Settings) -> ObjectRecord:
    from ocpi_engine.api.bodies import decode_body

    cdr = decode_body(line, Cdr, decoder=cdr_decoder)
    _check_own(cdr, settings)
    return cdr_record(cdr, partner_id=None)


register_importer(Importer(kind="cdrs", to_record=_import_record, prepare=_refuse_changes,
                           description="the platform's own (CPO) CDRs, OCPI 2.2.1 CDR objects; immutable once "
                                       "imported (corrections are Credit CDRs)"))


# -- reconciliation records (admin API, CLI) ----------------------------------------------------------------------
STATUSES = ("ok", "discrepancy", "unpriced")


async def list_discrepancies(store: Store, *, status: str = "discrepancy,unpriced", after: int = 0,
                             limit: int = 100) -> list[dict[str, Any]]:
    """Reconciliation records as dicts (`seq`, `partner_id`, `created`, `report`), oldest first. `status`: a comma
    list of ok, discrepancy, unpriced, or `all`."""
    statuses = None if status == "all" else [s.strip() for s in status.split(",") if s.strip()]
    unknown = [s for s in statuses or [] if s not in STATUSES]
    if unknown or statuses == []:
        raise InvalidParametersError(
            f"invalid parameter `status`: {status!r}; use a comma list of {', '.join(STATUSES)} or all", field="status")
    if not 1 <= limit <= 1000:
        raise InvalidParametersError("invalid parameter `limit`: between 1 and 1000", field="limit")
    records = await store.list_reconciliations(statuses=statuses, after_seq=max(after, 0), limit=limit)
    return [{"seq": r.seq, "partner_id": r.partner_id, "created": r.created, "report": _dict_decoder.decode(r.body)}
            for r in records]
