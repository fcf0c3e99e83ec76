"""ChargingProfiles use cases (chargingprofiles.md), both sides.

CPO (Receiver): `receive` answers a GET / PUT / DELETE on one of our sessions with a ChargingProfileResponse at
once and runs it on the charger adapter in the background; the ActiveChargingProfileResult / ChargingProfileResult
/ ClearProfileResult is POSTed to the request's `response_url`. A sender whose PUT the charger accepted is
remembered per session, and gets every later change of the session's ActiveChargingProfile PUT to its Sender
interface (`push_active_profile`); nobody else does. More than `_BURST` requests per session and partner within
`_WINDOW` seconds are answered TOO_OFTEN.

eMSP / SCSP (Sender): `send` asks a CPO partner, with a `response_url` on our own Sender interface; the result and
the CPO's ActiveChargingProfile updates are recorded (modules `chargingprofile_requests`,
`active_charging_profiles`). An update for a session we never successfully sent a profile for is refused (404).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import uuid
from typing import Any

import msgspec

from ocpi_engine.chargers import Requester, supports
from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.errors import ClientApiError, InvalidParametersError, NotFoundError
from ocpi_engine.models._base import format_datetime, normalize_datetime, utc_now
from ocpi_engine.models.v221.chargingprofiles import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfileResponse,
    ChargingProfileResponseType,
    ChargingProfileResult,
    ChargingProfileResultType,
    ClearProfileResult,
)
from ocpi_engine.services.background import BackgroundTasks
from ocpi_engine.services.chargers import PlatformChargerHost
from ocpi_engine.services.commands import post_with_attempts, response_url_allowed
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, PartnerRecord, Store

__all__ = ["ChargingProfileService", "ProfileRequestRecord", "ACTIONS"]

log = logging.getLogger("ocpi_engine.chargingprofiles")
_encoder = msgspec.json.Encoder(decimal_format="number")
REQUESTS = "chargingprofile_requests"
SUBSCRIBERS = "chargingprofile_subscribers"
ACTIVE = "active_charging_profiles"
_BURST = 10
_WINDOW = 60.0

ACTIONS: dict[str, tuple[str, type[msgspec.Struct]]] = {
    "GET": ("get_active_charging_profile", ActiveChargingProfileResult),
    "PUT": ("set_charging_profile", ChargingProfileResult),
    "DELETE": ("clear_charging_profile", ClearProfileResult),
}
"""HTTP method of the request -> (adapter method, asynchronous result type)."""


class ProfileRequestRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A charging profile request we (the eMSP / SCSP) sent, and its outcome."""

    uid: str
    partner_id: int
    method: str
    session_id: str
    status: str
    """PENDING, RESULT, TIMEOUT, REFUSED or ERROR (as for commands)."""
    created: str
    updated: str
    profile: dict[str, Any] | None = None
    duration: int | None = None
    response: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


_request_decoder = msgspec.json.Decoder(ProfileRequestRecord)


class ChargingProfileService:
    def __init__(self, settings: Settings, store: Store, client: OcpiClient, tasks: BackgroundTasks,
                 host: PlatformChargerHost) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.tasks = tasks
        self.host = host
        host.profiles = self
        self._recent: dict[tuple[int, str], collections.deque[float]] = {}
        self._lock = asyncio.Lock()

    # == CPO: requests on our sessions =========================================================================
    def _response(self, result: ChargingProfileResponseType) -> ChargingProfileResponse:
        return ChargingProfileResponse(result=result, timeout=self.settings.command_timeout)

    def _too_often(self, partner_id: int, session_id: str) -> bool:
        now = time.monotonic()
        recent = self._recent.setdefault((partner_id, session_id.upper()), collections.deque(maxlen=_BURST))
        while recent and now - recent[0] > _WINDOW:
            recent.popleft()
        if len(recent) >= _BURST:
            return True
        recent.append(now)
        return False

    async def receive(self, method: str, session_id: str, requester: Requester, parties: frozenset[tuple[str, str]],
                      partner: PartnerRecord, *, response_url: str, profile: ChargingProfile | None = None,
                      duration: int | None = None) -> ChargingProfileResponse:
        if not response_url_allowed(partner, response_url):
            raise InvalidParametersError(
                "invalid parameter `response_url`: it must be on a host of your platform (your versions URL or a "
                "published endpoint)", field="response_url")
        session = await self.host.own_session(session_id)
        if session is None:
            return self._response(ChargingProfileResponseType.UNKNOWN_SESSION)
        token = session.get("cdr_token") or {}
        if (str(token.get("country_code", "")).upper(), str(token.get("party_id", "")).upper()) not in parties:
            return self._response(ChargingProfileResponseType.REJECTED)
        adapter_method, _ = ACTIONS[method]
        if not supports(self.host.adapter, adapter_method):
            return self._response(ChargingProfileResponseType.NOT_SUPPORTED)
        if self._too_often(requester.partner_id, session_id):
            return self._response(ChargingProfileResponseType.TOO_OFTEN)
        self.tasks.spawn(self._execute(method, str(session["id"]), requester, response_url, profile, duration),
                         name=f"chargingprofile-run-{method}-{uuid.uuid4().hex[:8]}")
        return self._response(ChargingProfileResponseType.ACCEPTED)

    async def _execute(self, method: str, session_id: str, requester: Requester, response_url: str,
                       profile: ChargingProfile | None, duration: int | None) -> None:
        adapter_method, result_type = ACTIONS[method]
        call = getattr(self.host.adapter, adapter_method)
        args: tuple[Any, ...] = {"GET": (session_id, duration), "PUT": (session_id, profile),
                                 "DELETE": (session_id,)}[method]
        try:
            outcome = await asyncio.wait_for(call(*args, requester), timeout=self.settings.command_timeout)
            result: msgspec.Struct = outcome if isinstance(outcome, result_type) else result_type(
                result=ChargingProfileResultType(outcome))
        except Exception:  # timeouts and adapter failures: the EVSE did not take it
            log.exception("charger adapter failed on chargingprofiles %s", method)
            result = result_type(result=ChargingProfileResultType.REJECTED)
        if method == "PUT" and result.result == ChargingProfileResultType.ACCEPTED:  # type: ignore[attr-defined]
            await self._subscribe(session_id, requester.partner_id)
        partner = await self.store.get_partner(requester.partner_id)
        if partner is None or partner.status != "REGISTERED":
            return
        await post_with_attempts(self.client, partner, response_url, result,
                                 attempts=self.settings.command_result_attempts, timeout=self.settings.outbound_timeout,
                                 what=f"chargingprofiles {method} result")

    async def _subscribe(self, session_id: str, partner_id: int) -> None:
        now = format_datetime(utc_now())
        await self.store.put_object(ObjectRecord(
            module=SUBSCRIBERS, country_code=self.settings.country_code, party_id=self.settings.party_id,
            id=session_id, last_updated=normalize_datetime(now),
            body=_encoder.encode({"session_id": session_id, "partner_id": partner_id}), partner_id=None))

    async def push_active_profile(self, session_id: str, profile: ActiveChargingProfile) -> bool:
        """PUT a changed ActiveChargingProfile to the party that set a profile on this session, if any."""
        stored = await self.store.get_object(SUBSCRIBERS, self.settings.country_code, self.settings.party_id,
                                             session_id)
        if stored is None:
            return False
        partner = await self.store.get_partner(int(msgspec.json.decode(stored.body)["partner_id"]))
        url = partner.endpoint("chargingprofiles", "SENDER") if partner is not None else None
        if partner is None or url is None or partner.status != "REGISTERED" or not partner.outbound_token:
            return False
        try:
            reply = await self.client.request("PUT", f"{url.rstrip('/')}/{session_id}", token=partner.outbound_token,
                                              version=partner.version, auth_mode=partner.outbound_auth, body=profile,
                                              timeout=self.settings.outbound_timeout)
        except ClientApiError as exc:
            log.warning("ActiveChargingProfile of %s to partner %s: %s", session_id, partner.id, exc.message)
            return False
        return reply.status_code == 1000

    # == eMSP / SCSP: our requests to a CPO ======================================================================
    def _key(self, uid: str) -> tuple[str, str, str]:
        return self.settings.country_code, self.settings.party_id, uid

    async def _save(self, record: ProfileRequestRecord) -> None:
        await self.store.put_object(ObjectRecord(module=REQUESTS, country_code=self.settings.country_code,
                                                 party_id=self.settings.party_id, id=record.uid,
                                                 last_updated=normalize_datetime(record.updated),
                                                 body=_encoder.encode(record), partner_id=None))

    async def get_request(self, uid: str) -> ProfileRequestRecord:
        stored = await self.store.get_object(REQUESTS, *self._key(uid))
        if stored is None:
            raise NotFoundError(f"no charging profile request {uid}")
        return _request_decoder.decode(stored.body)

    async def _update(self, uid: str, **changes: Any) -> ProfileRequestRecord:
        async with self._lock:
            record = msgspec.structs.replace(await self.get_request(uid), updated=format_datetime(utc_now()),
                                             **changes)
            await self._save(record)
            return record

    async def send(self, partner_id: int, method: str, session_id: str, *, profile: ChargingProfile | None = None,
                   duration: int | None = None) -> ProfileRequestRecord:
        """GET (with `duration`), PUT (with `profile`) or DELETE a charging profile at a CPO partner."""
        partner = await self.store.get_partner(partner_id)
        if partner is None:
            raise NotFoundError(f"no partner {partner_id}")
        url = partner.endpoint("chargingprofiles", "RECEIVER")
        if url is None or partner.status != "REGISTERED" or partner.version != "2.2.1":
            raise InvalidParametersError(f"partner {partner_id} has no 2.2.1 chargingprofiles Receiver endpoint",
                                         field="partner")
        uid = uuid.uuid4().hex
        response_url = f"{self.settings.public_url}/ocpi/2.2.1/emsp/chargingprofiles/results/{uid}"
        now = format_datetime(utc_now())
        record = ProfileRequestRecord(uid=uid, partner_id=partner_id, method=method, session_id=session_id,
                                      status="PENDING", created=now, updated=now, duration=duration,
                                      profile=msgspec.to_builtins(profile) if profile is not None else None)
        await self._save(record)
        target = f"{url.rstrip('/')}/{session_id}"
        body: Any = None
        params: dict[str, Any] = {"response_url": response_url}
        if method == "GET":
            params["duration"] = duration or 900
        elif method == "PUT":
            body, params = {"charging_profile": profile, "response_url": response_url}, {}
        try:
            reply = await self.client.request(method, target, token=partner.outbound_token or "",
                                              version=partner.version, auth_mode=partner.outbound_auth, body=body,
                                              params=params or None)
        except ClientApiError as exc:
            return await self._update(uid, status="ERROR", error=exc.message)
        try:
            response = msgspec.convert(reply.data, ChargingProfileResponse)
        except (msgspec.ValidationError, TypeError):
            return await self._update(uid, status="ERROR", error=f"HTTP {reply.http_status} OCPI {reply.status_code}: "
                                                                 f"{reply.status_message}")
        if response.result != ChargingProfileResponseType.ACCEPTED:
            return await self._update(uid, status="REFUSED", response=msgspec.to_builtins(response))
        if method == "PUT":
            await self.store.put_object(ObjectRecord(
                module=ACTIVE, country_code=self.settings.country_code, party_id=self.settings.party_id,
                id=f"{partner_id}/{session_id}", last_updated=normalize_datetime(now),
                body=_encoder.encode({"partner_id": partner_id, "session_id": session_id, "profile": None}),
                partner_id=None))
        record = await self._update(uid, response=msgspec.to_builtins(response))
        self.tasks.spawn(self._watch(uid, response.timeout), name=f"chargingprofile-timeout-{uid}")
        return record

    async def _watch(self, uid: str, timeout: int) -> None:
        await asyncio.sleep(timeout)
        async with self._lock:
            record = await self.get_request(uid)
            if record.status == "PENDING":
                await self._save(msgspec.structs.replace(record, status="TIMEOUT", updated=format_datetime(utc_now())))

    async def receive_result(self, caller_partner_id: int, uid: str, data: Any) -> ProfileRequestRecord:
        try:
            record = await self.get_request(uid)
        except NotFoundError:
            record = None
        if record is None or record.partner_id != caller_partner_id:
            raise NotFoundError(f"no charging profile request {uid} of yours")
        _, result_type = ACTIONS[record.method]
        try:
            result = msgspec.convert(data, result_type)
        except msgspec.ValidationError as exc:
            from ocpi_engine.api.bodies import validation_error

            raise validation_error(exc) from exc
        return await self._update(uid, status="RESULT", result=msgspec.to_builtins(result))

    async def receive_active_profile(self, caller_partner_id: int, session_id: str,
                                     profile: ActiveChargingProfile) -> None:
        """A CPO pushed the ActiveChargingProfile of a session we set a profile on (404 for any other)."""
        key = f"{caller_partner_id}/{session_id}"
        stored = await self.store.get_object(ACTIVE, self.settings.country_code, self.settings.party_id, key)
        if stored is None:
            raise NotFoundError(f"no charging profile of ours on session {session_id}")
        await self.store.put_object(ObjectRecord(
            module=ACTIVE, country_code=stored.country_code, party_id=stored.party_id, id=stored.id,
            last_updated=normalize_datetime(format_datetime(utc_now())),
            body=_encoder.encode({"partner_id": caller_partner_id, "session_id": session_id, "profile": profile,
                                  "received": format_datetime(utc_now())}), partner_id=None))

    async def active_profile(self, partner_id: int, session_id: str) -> dict[str, Any] | None:
        stored = await self.store.get_object(ACTIVE, self.settings.country_code, self.settings.party_id,
                                             f"{partner_id}/{session_id}")
        return msgspec.json.decode(stored.body) if stored is not None else None
