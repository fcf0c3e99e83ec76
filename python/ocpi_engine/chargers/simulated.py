"""An in-process charger that really charges: the default adapter, for demos, tests and partner onboarding.

START_SESSION creates one of our own Sessions (ACTIVE, auth_method COMMAND) and every `tick` seconds appends
a ChargingPeriod (ENERGY kWh and TIME hours at the connector's power, capped by any charging profile), each
published as a PATCH. STOP_SESSION closes the last period, completes the session and publishes a CDR priced
with `price_cdr` against our own tariffs of the connector. Reservations become RESERVATION sessions that
expire at their `expiry_date`. The stored session is the truth, so a session survives a restart and can
still be stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ocpi_engine.chargers import ChargerHost, Requester
from ocpi_engine.errors import EngineError
from ocpi_engine.models._base import format_datetime, parse_datetime, utc_now
from ocpi_engine.models.v221.chargingprofiles import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfilePeriod,
    ChargingProfileResultType,
    ChargingRateUnit,
)
from ocpi_engine.models.v221.commands import (
    CancelReservation,
    CommandResultType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from ocpi_engine.services.pricing import price_cdr, price_session

__all__ = ["SimulatedCharger"]

log = logging.getLogger("ocpi_engine.chargers.simulated")

_FOUR = Decimal("0.0001")
_UNUSABLE = ("INOPERATIVE", "OUTOFORDER", "REMOVED", "UNKNOWN")
_BUSY = ("CHARGING", "BLOCKED")
_OPEN = ("ACTIVE", "PENDING", "RESERVATION")
_DEFAULT_POWER_W = Decimal(11000)
_PHASE_VOLTAGE = Decimal(230)


@dataclass(frozen=True)
class _Reservation:
    session_id: str
    token_uid: str
    location_id: str
    expiry_date: str


def _price(value: Any) -> dict[str, Decimal]:
    price = {"excl_vat": value.excl_vat}
    if value.incl_vat is not None:
        price["incl_vat"] = value.incl_vat
    return price


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / Decimal(3600)).quantize(_FOUR)


class SimulatedCharger:
    """Chargers for every EVSE of our own locations, simulated in process."""

    def __init__(self, host: ChargerHost, *, tick: float | None = None, max_periods: int = 1000) -> None:
        self.host = host
        self.tick = tick if tick is not None else host.settings.simulated_tick
        self.max_periods = max_periods
        self._lock = asyncio.Lock()
        self._tickers: dict[str, asyncio.Task[Any]] = {}
        self._profiles: dict[str, ChargingProfile] = {}
        self._period_starts: dict[str, str] = {}
        """session id -> start of its open charging period."""
        self._reservations: dict[tuple[str, str, str], _Reservation] = {}
        """(eMSP country_code, party_id, reservation_id upper) -> the reservation."""

    # -- helpers -----------------------------------------------------------------------------------------
    @staticmethod
    def _evse(location: dict[str, Any], evse_uid: str | None) -> dict[str, Any] | None:
        for evse in location.get("evses") or []:
            if evse_uid is None or str(evse.get("uid", "")).upper() == evse_uid.upper():
                return evse  # type: ignore[no-any-return]
        return None

    @staticmethod
    def _connector(evse: dict[str, Any], connector_id: str | None) -> dict[str, Any] | None:
        for connector in evse.get("connectors") or []:
            if connector_id is None or str(connector.get("id", "")).upper() == connector_id.upper():
                return connector  # type: ignore[no-any-return]
        return None

    async def _busy_evses(self, location_id: str) -> set[str]:
        busy: set[str] = set()
        for session_id in list(self._tickers):
            session = await self.host.own_session(session_id)
            if session and session.get("status") in _OPEN and session.get("location_id", "").upper() == \
                    location_id.upper():
                busy.add(str(session.get("evse_uid", "")).upper())
        for reservation in self._reservations.values():
            session = await self.host.own_session(reservation.session_id)
            if session and session.get("status") == "RESERVATION":
                busy.add(str(session.get("evse_uid", "")).upper())
        return busy

    @staticmethod
    def _max_power_w(connector: dict[str, Any]) -> Decimal:
        if connector.get("max_electric_power"):
            return Decimal(str(connector["max_electric_power"]))
        voltage, amperage = connector.get("max_voltage"), connector.get("max_amperage")
        if voltage and amperage:
            phases = 3 if connector.get("power_type") == "AC_3_PHASE" else 1
            return Decimal(str(voltage)) * Decimal(str(amperage)) * phases
        return _DEFAULT_POWER_W

    async def _power_w(self, session: dict[str, Any]) -> tuple[Decimal, dict[str, Any] | None]:
        """Power in W: the connector's maximum, capped by a charging profile's first period limit."""
        location = await self.host.own_location(session["location_id"]) or {}
        evse = self._evse(location, session["evse_uid"]) or {}
        connector = self._connector(evse, session["connector_id"]) or {}
        power = self._max_power_w(connector)
        profile = self._profiles.get(session["id"])
        if profile and profile.charging_profile_period:
            limit = profile.charging_profile_period[0].limit
            if profile.charging_rate_unit == ChargingRateUnit.A:
                phases = 3 if connector.get("power_type") == "AC_3_PHASE" else 1
                limit = limit * _PHASE_VOLTAGE * phases
            power = min(power, limit)
        return power, connector

    async def _tariffs(self, connector: dict[str, Any] | None) -> list[dict[str, Any]]:
        ids = [str(t) for t in (connector or {}).get("tariff_ids") or []]
        return await self.host.own_tariffs(ids) if ids else []

    async def _close_period(self, session: dict[str, Any], now: dt.datetime, *, final: bool) -> dict[str, Any] | None:
        """Append the period from the last period end to `now`; None when no time has passed (and not final)."""
        periods: list[dict[str, Any]] = session.setdefault("charging_periods", [])
        begin = self._period_starts.get(session["id"]) or self._period_begin(session)
        seconds = int((now - parse_datetime(begin)).total_seconds())
        if seconds <= 0 and (periods or not final):
            return None
        seconds = max(seconds, 0)
        power, connector = await self._power_w(session)
        energy = (power / 1000 * Decimal(seconds) / 3600).quantize(_FOUR)
        period: dict[str, Any] = {
            "start_date_time": begin,
            "dimensions": [{"type": "ENERGY", "volume": energy}, {"type": "TIME", "volume": _hours(seconds)}],
        }
        tariffs = await self._tariffs(connector)
        if len(tariffs) == 1:
            period["tariff_id"] = tariffs[0]["id"]
        periods.append(period)
        session["kwh"] = (Decimal(str(session.get("kwh", 0))) + energy).quantize(_FOUR)
        self._period_starts[session["id"]] = format_datetime(parse_datetime(begin) + dt.timedelta(seconds=seconds))
        if tariffs:
            try:
                report = price_session(session, tariffs)
                session["total_cost"] = _price(report.total_cost)
            except EngineError as exc:
                log.warning("session %s: not priced (%s)", session["id"], exc)
        return period

    @staticmethod
    def _period_begin(session: dict[str, Any]) -> str:
        """After a restart: the end of the last published period (its start plus its TIME), else the start."""
        periods = session.get("charging_periods") or []
        if not periods:
            return str(session["start_date_time"])
        last = periods[-1]
        hours = sum((Decimal(str(d["volume"])) for d in last.get("dimensions", []) if d.get("type") == "TIME"),
                    Decimal(0))
        return format_datetime(parse_datetime(last["start_date_time"]) + dt.timedelta(seconds=int(hours * 3600)))

    async def _publish(self, session: dict[str, Any], changes: dict[str, Any] | None) -> None:
        await self.host.publish_session(session, changes=changes)

    # -- commands ------------------------------------------------------------------------------------------
    async def start_session(self, command: StartSession, requester: Requester) -> CommandResultType:
        async with self._lock:
            location = await self.host.own_location(command.location_id)
            if location is None:
                return CommandResultType.REJECTED
            reservation = self._reservation_of(requester, command.token.uid, location["id"])
            reserved_id = reservation.session_id if reservation else None
            busy = await self._busy_evses(location["id"])
            if reserved_id is not None:
                reserved = await self.host.own_session(reserved_id)
                busy.discard(str((reserved or {}).get("evse_uid", "")).upper())
            evse = self._pick_evse(location, command.evse_uid, busy)
            if isinstance(evse, CommandResultType):
                return evse
            connector = self._connector(evse, command.connector_id)
            if connector is None:
                return CommandResultType.REJECTED
            tariffs = await self._tariffs(connector)
            now = format_datetime(utc_now())
            session_id = reserved_id or str(uuid.uuid4())
            session: dict[str, Any] = {
                "country_code": self.host.settings.country_code,
                "party_id": self.host.settings.party_id,
                "id": session_id,
                "start_date_time": now,
                "kwh": Decimal(0),
                "cdr_token": {
                    "country_code": command.token.country_code, "party_id": command.token.party_id,
                    "uid": command.token.uid, "type": str(command.token.type),
                    "contract_id": command.token.contract_id,
                },
                "auth_method": "COMMAND",
                "location_id": location["id"],
                "evse_uid": evse["uid"],
                "connector_id": connector["id"],
                "currency": tariffs[0]["currency"] if tariffs else "EUR",
                "charging_periods": [],
                "status": "ACTIVE",
                "last_updated": now,
            }
            if command.authorization_reference:
                session["authorization_reference"] = command.authorization_reference
            if tariffs:
                session["total_cost"] = {"excl_vat": Decimal(0), "incl_vat": Decimal(0)}
            self._drop_reservation(session_id)
            await self._publish(session, None)
            self._tickers[session_id] = self.host.spawn(self._charge(session_id), name=f"charger-{session_id}")
        return CommandResultType.ACCEPTED

    def _pick_evse(self, location: dict[str, Any], evse_uid: str | None,
                   busy: set[str]) -> dict[str, Any] | CommandResultType:
        if evse_uid is not None:
            evse = self._evse(location, evse_uid)
            if evse is None:
                return CommandResultType.REJECTED
            if evse.get("status") in _UNUSABLE:
                return CommandResultType.EVSE_INOPERATIVE
            if evse.get("status") in _BUSY or str(evse["uid"]).upper() in busy:
                return CommandResultType.EVSE_OCCUPIED
            return evse
        candidates = location.get("evses") or []
        usable = [e for e in candidates if e.get("status") not in _UNUSABLE]
        free = [e for e in usable if e.get("status") not in _BUSY and str(e["uid"]).upper() not in busy]
        if free:
            return free[0]  # type: ignore[no-any-return]
        return CommandResultType.EVSE_OCCUPIED if usable else CommandResultType.EVSE_INOPERATIVE

    async def _charge(self, session_id: str) -> None:
        """Append one period per tick; bounded by `max_periods` (then the session is stopped)."""
        try:
            for _ in range(self.max_periods):
                await asyncio.sleep(self.tick)
                async with self._lock:
                    session = await self.host.own_session(session_id)
                    if session is None or session.get("status") != "ACTIVE":
                        return
                    period = await self._close_period(session, utc_now(), final=False)
                    if period is None:
                        continue
                    session["last_updated"] = format_datetime(utc_now())
                    changes = {"kwh": session["kwh"], "charging_periods": [period],
                               "last_updated": session["last_updated"]}
                    if "total_cost" in session:
                        changes["total_cost"] = session["total_cost"]
                    await self._publish(session, changes)
        finally:
            self._tickers.pop(session_id, None)
        async with self._lock:
            await self._finish(session_id, remark="stopped by the simulator after its maximum number of periods")

    async def stop_session(self, command: StopSession, requester: Requester) -> CommandResultType:
        ticker = self._tickers.pop(command.session_id, None)
        if ticker is not None:
            ticker.cancel()
        async with self._lock:
            return await self._finish(command.session_id)

    async def _finish(self, session_id: str, *, remark: str | None = None) -> CommandResultType:
        session = await self.host.own_session(session_id)
        if session is None:
            return CommandResultType.FAILED
        if session.get("status") not in _OPEN:
            return CommandResultType.REJECTED
        now = utc_now()
        final = await self._close_period(session, now, final=True) if session["status"] == "ACTIVE" else None
        stamp = format_datetime(now)
        session.update(end_date_time=stamp, status="COMPLETED", last_updated=stamp)
        changes: dict[str, Any] = {"status": "COMPLETED", "end_date_time": stamp, "kwh": session.get("kwh", 0),
                                   "last_updated": stamp}
        if final is not None:
            changes["charging_periods"] = [final]
        if "total_cost" in session:
            changes["total_cost"] = session["total_cost"]
        await self._publish(session, changes)
        self._profiles.pop(session_id, None)
        self._period_starts.pop(session_id, None)
        if session.get("charging_periods"):
            await self.host.publish_cdr(await self._cdr(session, remark))
        return CommandResultType.ACCEPTED

    async def _cdr(self, session: dict[str, Any], remark: str | None) -> dict[str, Any]:
        location = await self.host.own_location(session["location_id"]) or {}
        evse = self._evse(location, session["evse_uid"]) or {}
        connector = self._connector(evse, session["connector_id"]) or {}
        tariffs = await self._tariffs(connector)
        seconds = int((parse_datetime(session["end_date_time"]) -
                       parse_datetime(session["start_date_time"])).total_seconds())
        cdr_location = {
            "id": location.get("id", session["location_id"]),
            "address": location.get("address", "unknown"),
            "city": location.get("city", "unknown"),
            "country": location.get("country", "NLD"),
            "coordinates": location.get("coordinates", {"latitude": "0.000000", "longitude": "0.000000"}),
            "evse_uid": session["evse_uid"],
            "evse_id": evse.get("evse_id") or session["evse_uid"],
            "connector_id": session["connector_id"],
            "connector_standard": connector.get("standard", "IEC_62196_T2"),
            "connector_format": connector.get("format", "SOCKET"),
            "connector_power_type": connector.get("power_type", "AC_3_PHASE"),
        }
        for optional in ("name", "postal_code", "state"):
            if location.get(optional):
                cdr_location[optional] = location[optional]
        cdr: dict[str, Any] = {
            "country_code": session["country_code"],
            "party_id": session["party_id"],
            "id": session["id"],
            "start_date_time": session["start_date_time"],
            "end_date_time": session["end_date_time"],
            "session_id": session["id"],
            "cdr_token": session["cdr_token"],
            "auth_method": session["auth_method"],
            "cdr_location": cdr_location,
            "currency": session["currency"],
            "charging_periods": session["charging_periods"],
            "total_cost": {"excl_vat": Decimal(0), "incl_vat": Decimal(0)},
            "total_energy": Decimal(str(session.get("kwh", 0))),
            "total_time": _hours(seconds),
            "last_updated": session["end_date_time"],
        }
        for optional in ("authorization_reference", "meter_id"):
            if session.get(optional):
                cdr[optional] = session[optional]
        if remark:
            cdr["remark"] = remark
        if tariffs:
            cdr["tariffs"] = tariffs
            try:
                report = price_cdr(cdr, tariffs, time_zone=location.get("time_zone"))
            except EngineError as exc:
                log.warning("CDR %s: not priced (%s)", cdr["id"], exc)
            else:
                cdr["total_cost"] = _price(report.total_cost)
                for name in ("total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
                             "total_reservation_cost"):
                    value = getattr(report, name)
                    if value is not None and value.excl_vat:
                        cdr[name] = _price(value)
                if report.total_parking_time:
                    cdr["total_parking_time"] = report.total_parking_time
        return cdr

    # -- reservations ----------------------------------------------------------------------------------------
    def _reservation_of(self, requester: Requester, token_uid: str, location_id: str) -> _Reservation | None:
        for (cc, pid, _), reservation in self._reservations.items():
            if (cc, pid) == (requester.country_code, requester.party_id) and \
                    (reservation.token_uid, reservation.location_id) == (token_uid.upper(), location_id.upper()):
                return reservation
        return None

    def _drop_reservation(self, session_id: str) -> None:
        for key, reservation in list(self._reservations.items()):
            if reservation.session_id == session_id:
                del self._reservations[key]

    async def reserve_now(self, command: ReserveNow, requester: Requester) -> CommandResultType:
        """Same requester and reservation_id replaces the reservation (the id is never shared across eMSPs)."""
        key = (requester.country_code, requester.party_id, command.reservation_id.upper())
        async with self._lock:
            location = await self.host.own_location(command.location_id)
            if location is None:
                return CommandResultType.REJECTED
            existing = self._reservations.get(key)
            busy = await self._busy_evses(location["id"])
            if existing is not None:
                old = await self.host.own_session(existing.session_id)
                busy.discard(str((old or {}).get("evse_uid", "")).upper())
            if command.evse_uid is not None:
                evse = self._pick_evse(location, command.evse_uid, busy)
                if isinstance(evse, CommandResultType):
                    return evse
                evse_uid, connector_id = evse["uid"], "#NA"
            else:
                evse_uid, connector_id = "#NA", "#NA"
            now = format_datetime(utc_now())
            session_id = existing.session_id if existing else str(uuid.uuid4())
            session: dict[str, Any] = {
                "country_code": self.host.settings.country_code, "party_id": self.host.settings.party_id,
                "id": session_id, "start_date_time": now, "kwh": Decimal(0),
                "cdr_token": {"country_code": command.token.country_code, "party_id": command.token.party_id,
                              "uid": command.token.uid, "type": str(command.token.type),
                              "contract_id": command.token.contract_id},
                "auth_method": "COMMAND", "location_id": location["id"], "evse_uid": evse_uid,
                "connector_id": connector_id, "currency": "EUR", "status": "RESERVATION", "last_updated": now,
            }
            if command.authorization_reference:
                session["authorization_reference"] = command.authorization_reference
            self._reservations[key] = _Reservation(session_id, command.token.uid.upper(), location["id"].upper(),
                                              command.expiry_date)
            await self._publish(session, None)
        expiry = parse_datetime(command.expiry_date)
        self.host.spawn(self._expire(key, command.expiry_date, expiry), name=f"charger-reservation-{session_id}")
        return CommandResultType.ACCEPTED

    async def _expire(self, key: tuple[str, str, str], expiry_date: str, expiry: dt.datetime) -> None:
        """Complete an unused reservation at its expiry (unless it was replaced with another expiry meanwhile)."""
        await asyncio.sleep(max(0.0, min((expiry - utc_now()).total_seconds(), 7 * 86400)))
        async with self._lock:
            reservation = self._reservations.get(key)
            if reservation is None or reservation.expiry_date != expiry_date:
                return
            session = await self.host.own_session(reservation.session_id)
            if session is not None and session.get("status") == "RESERVATION":
                self._drop_reservation(reservation.session_id)
                await self._finish(reservation.session_id)

    async def cancel_reservation(self, command: CancelReservation, requester: Requester) -> CommandResultType:
        key = (requester.country_code, requester.party_id, command.reservation_id.upper())
        async with self._lock:
            reservation = self._reservations.get(key)
            if reservation is None:
                return CommandResultType.UNKNOWN_RESERVATION
            self._drop_reservation(reservation.session_id)
            return await self._finish(reservation.session_id)

    async def unlock_connector(self, command: UnlockConnector, requester: Requester) -> CommandResultType:
        location = await self.host.own_location(command.location_id)
        evse = self._evse(location or {}, command.evse_uid)
        if evse is None or self._connector(evse, command.connector_id) is None:
            return CommandResultType.REJECTED
        if evse.get("status") in _UNUSABLE:
            return CommandResultType.EVSE_INOPERATIVE
        return CommandResultType.ACCEPTED

    # -- charging profiles ---------------------------------------------------------------------------------------
    async def _active_profile(self, session: dict[str, Any], duration: int | None) -> ActiveChargingProfile:
        power, _ = await self._power_w(session)
        return ActiveChargingProfile(
            start_date_time=format_datetime(utc_now()),
            charging_profile=ChargingProfile(
                charging_rate_unit=ChargingRateUnit.W, duration=duration,
                charging_profile_period=[ChargingProfilePeriod(start_period=0, limit=power.quantize(Decimal("0.1")))],
            ),
        )

    async def set_charging_profile(self, session_id: str, profile: ChargingProfile,
                                   requester: Requester) -> ChargingProfileResultType:
        session = await self.host.own_session(session_id)
        if session is None or session.get("status") != "ACTIVE":
            return ChargingProfileResultType.REJECTED
        self._profiles[session["id"]] = profile
        await self.host.active_profile_changed(session["id"], await self._active_profile(session, 900))
        return ChargingProfileResultType.ACCEPTED

    async def clear_charging_profile(self, session_id: str, requester: Requester) -> ChargingProfileResultType:
        session = await self.host.own_session(session_id)
        if session is None or self._profiles.pop(session["id"], None) is None:
            return ChargingProfileResultType.UNKNOWN
        await self.host.active_profile_changed(session["id"], await self._active_profile(session, 900))
        return ChargingProfileResultType.ACCEPTED

    async def get_active_charging_profile(self, session_id: str, duration: int,
                                          requester: Requester) -> ActiveChargingProfileResult:
        session = await self.host.own_session(session_id)
        if session is None or session.get("status") != "ACTIVE":
            return ActiveChargingProfileResult(result=ChargingProfileResultType.UNKNOWN)
        return ActiveChargingProfileResult(result=ChargingProfileResultType.ACCEPTED,
                                           profile=await self._active_profile(session, duration))

