"""Commands use cases (commands.md), both sides.

CPO (Receiver): `receive` checks a command against our own data (location, session, the token's owner), answers
the CommandResponse at once and runs the command on the charger adapter in the background; the adapter's
outcome is POSTed to the command's `response_url` (`post_result`: bounded attempts, each with a timeout).

eMSP (Sender): `send` POSTs a command to a CPO partner with a `response_url` on our own commands endpoint,
unique per command, and keeps a record (module `commands`, our own objects) that `receive_result` completes
when the CommandResult arrives, or that turns TIMEOUT when the CPO's announced timeout passes without one.
A late result after a TIMEOUT is still recorded (`late`); nothing rejects what follows it (e.g. the Session).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

import msgspec

from ocpi_engine.chargers import ADAPTER_METHODS, Requester, supports
from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.errors import (
    ClientApiError,
    InvalidParametersError,
    NotFoundError,
    UnknownTokenError,
)
from ocpi_engine.models._base import format_datetime, normalize_datetime, parse_datetime, utc_now
from ocpi_engine.models.common import DisplayText
from ocpi_engine.models.v211 import commands as v211
from ocpi_engine.models.v221.commands import (
    CommandResponse,
    CommandResponseType,
    CommandResult,
    CommandResultType,
    CommandType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from ocpi_engine.services.background import BackgroundTasks
from ocpi_engine.services.chargers import PlatformChargerHost
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, PartnerRecord, Store

__all__ = ["MODULE", "CommandRecord", "CommandService", "Verdict", "response_url_allowed", "post_with_attempts"]

MODULE = "commands"
log = logging.getLogger("ocpi_engine.commands")
_encoder = msgspec.json.Encoder(decimal_format="number")

# 2.1.1 has one CommandResponseType for the answer and the result: the 2.2.1 outcomes it lacks become REJECTED.
_RESULT_211 = {
    CommandResultType.ACCEPTED: "ACCEPTED",
    CommandResultType.NOT_SUPPORTED: "NOT_SUPPORTED",
    CommandResultType.TIMEOUT: "TIMEOUT",
}


class Verdict(msgspec.Struct, kw_only=True):
    """The CPO's immediate answer: the CommandResponse and the OCPI status it goes with."""

    response: CommandResponse
    status_code: int = 1000
    http_status: int = 200


class CommandRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A command we (the eMSP) sent, and what became of it."""

    uid: str
    partner_id: int
    command: str
    version: str
    status: str
    """PENDING (accepted, result awaited), RESULT (a result arrived), TIMEOUT (none within the timeout),
    REFUSED (the CPO did not accept it), ERROR (the CPO could not be reached or answered garbage)."""
    request: dict[str, Any]
    created: str
    updated: str
    timeout: int
    response: dict[str, Any] | None = None
    response_status_code: int | None = None
    result: dict[str, Any] | None = None
    """The latest CommandResult (2.2.1 form; a 2.1.1 result keeps its 2.1.1 value), or TIMEOUT."""
    results: list[dict[str, Any]] = []
    """Every result received, with `received` (RESERVE_NOW may later get CANCELED_RESERVATION)."""
    deadline: str | None = None
    late: bool = False
    """A result arrived after the timeout had been recorded."""
    error: str | None = None


_record_decoder = msgspec.json.Decoder(CommandRecord)


def response_url_allowed(partner: PartnerRecord, url: str) -> bool:
    """A response_url must be on a host the partner published (versions URL or an endpoint): we POST it with
    our credentials token, which must not go to a third party."""
    target = urlsplit(url)
    hosts = {urlsplit(u).netloc.lower() for u in [partner.versions_url or "", *(str(e.get("url", ""))
                                                                               for e in partner.endpoints)] if u}
    return target.scheme in ("http", "https") and target.netloc.lower() in hosts


async def post_with_attempts(client: OcpiClient, partner: PartnerRecord, url: str, body: Any, *, attempts: int,
                             timeout: float, what: str) -> bool:
    """POST `body` to a partner's URL: at most `attempts` tries (1 s, 2 s, 4 s apart) while it fails with a network
    error, a timeout or a 5xx; True once the partner answers OCPI 1xxx."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            reply = await client.request("POST", url, token=partner.outbound_token or "", version=partner.version,
                                         auth_mode=partner.outbound_auth, body=body, timeout=timeout)
        except ClientApiError as exc:
            log.warning("%s to partner %s: attempt %d failed: %s", what, partner.id, attempt, exc.message)
        else:
            if reply.status_code is not None and 1000 <= reply.status_code < 2000 and reply.http_status < 300:
                return True
            log.warning("%s to partner %s: HTTP %s OCPI %s (%s)", what, partner.id, reply.http_status,
                        reply.status_code, reply.status_message)
            if reply.http_status < 500:
                return False
        if attempt < attempts:
            await asyncio.sleep(delay)
            delay *= 2
    return False


def _message(text: str) -> list[DisplayText]:
    return [DisplayText(language="en", text=text[:512])]


class CommandService:
    def __init__(self, settings: Settings, store: Store, client: OcpiClient, tasks: BackgroundTasks,
                 host: PlatformChargerHost) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.tasks = tasks
        self.host = host
        host.commands = self
        self._lock = asyncio.Lock()

    # == CPO: commands eMSPs send us =========================================================================
    def _verdict(self, result: CommandResponseType, text: str | None = None, *, status_code: int = 1000,
                 http_status: int = 200) -> Verdict:
        return Verdict(response=CommandResponse(result=result, timeout=self.settings.command_timeout,
                                                message=_message(text) if text else None),
                       status_code=status_code, http_status=http_status)

    async def receive(self, kind: CommandType, command: Any, requester: Requester,
                      parties: frozenset[tuple[str, str]], partner: PartnerRecord) -> Verdict:
        """Check a (2.2.1-shaped) command, answer, and run it on the charger in the background."""
        if not response_url_allowed(partner, command.response_url):
            raise InvalidParametersError(
                "invalid field `response_url`: it must be on a host of your platform (your versions URL or a "
                "published endpoint)", field="response_url")
        if isinstance(command, StartSession) and command.connector_id is not None and command.evse_uid is None:
            raise InvalidParametersError("invalid field `connector_id`: requires `evse_uid`", field="connector_id")
        if isinstance(command, StartSession | ReserveNow):
            owner = (command.token.country_code.upper(), command.token.party_id.upper())
            if owner not in parties:
                return self._verdict(CommandResponseType.REJECTED,
                                     f"token {command.token.uid} belongs to {owner[0]}/{owner[1]}, not to you: an "
                                     "eMSP may only use its own tokens")
        if isinstance(command, StartSession | ReserveNow | UnlockConnector):
            if await self.host.own_location(command.location_id) is None:
                return self._verdict(CommandResponseType.REJECTED, f"unknown location {command.location_id}",
                                     status_code=2003, http_status=404)
        if isinstance(command, StopSession):
            session = await self.host.own_session(command.session_id)
            token = (session or {}).get("cdr_token") or {}
            if (str(token.get("country_code", "")).upper(), str(token.get("party_id", "")).upper()) not in parties:
                # another eMSP's session answers like an unknown one: its existence is not theirs to learn
                return self._verdict(CommandResponseType.UNKNOWN_SESSION, f"unknown session {command.session_id}")
        method = ADAPTER_METHODS[kind]
        adapter = self.host.adapter
        if not supports(adapter, method):
            return self._verdict(CommandResponseType.NOT_SUPPORTED, f"{kind} is not supported by our chargers")
        self.tasks.spawn(self._execute(kind, command, requester), name=f"command-run-{kind}-{uuid.uuid4().hex[:8]}")
        return self._verdict(CommandResponseType.ACCEPTED)

    async def _execute(self, kind: CommandType, command: Any, requester: Requester) -> None:
        method = getattr(self.host.adapter, ADAPTER_METHODS[kind])
        try:
            outcome = await asyncio.wait_for(method(command, requester), timeout=self.settings.command_timeout)
            result = CommandResult(result=CommandResultType(outcome))
        except TimeoutError:
            result = CommandResult(result=CommandResultType.TIMEOUT, message=_message("the charger did not answer"))
        except Exception as exc:  # an adapter's failure is the command's FAILED, never a lost result
            log.exception("charger adapter failed on %s", kind)
            result = CommandResult(result=CommandResultType.FAILED, message=_message(type(exc).__name__))
        await self.post_result(command.response_url, requester, result)

    async def post_result(self, response_url: str, requester: Requester, result: CommandResult) -> bool:
        """POST a CommandResult (2.1.1 partners: a CommandResponse object) to a response_url of the requester."""
        partner = await self.store.get_partner(requester.partner_id)
        if partner is None or partner.status != "REGISTERED" or not partner.outbound_token:
            log.warning("command result for partner %s dropped: not a registered partner", requester.partner_id)
            return False
        body: Any = result
        if partner.version == "2.1.1":
            body = v211.CommandResponse(result=v211.CommandResponseType(_RESULT_211.get(result.result, "REJECTED")))
        return await post_with_attempts(self.client, partner, response_url, body,
                                        attempts=self.settings.command_result_attempts,
                                        timeout=self.settings.outbound_timeout, what=f"command result {result.result}")

    # == eMSP: commands we send ================================================================================
    def _key(self, uid: str) -> tuple[str, str, str]:
        return self.settings.country_code, self.settings.party_id, uid

    async def _save(self, record: CommandRecord) -> None:
        cc, pid, uid = self._key(record.uid)
        await self.store.put_object(ObjectRecord(module=MODULE, country_code=cc, party_id=pid, id=uid,
                                                 last_updated=normalize_datetime(record.updated),
                                                 body=_encoder.encode(record), partner_id=None))

    async def _load(self, uid: str) -> CommandRecord | None:
        stored = await self.store.get_object(MODULE, *self._key(uid))
        return _record_decoder.decode(stored.body) if stored is not None else None

    async def own_token(self, uid: str, type_: str = "RFID") -> dict[str, Any]:
        from ocpi_engine.services.tokens import record_id

        stored = await self.store.get_object("tokens", self.settings.country_code, self.settings.party_id,
                                             record_id(uid, type_))
        if stored is None or stored.partner_id is not None:
            raise UnknownTokenError(f"we have no own token {uid} ({type_}); import it first (ocpi-engine import "
                                    "tokens)", field="token")
        token: dict[str, Any] = msgspec.json.decode(stored.body)
        return token

    @staticmethod
    def _command_url(partner: PartnerRecord) -> str:
        url = partner.endpoint("commands", "RECEIVER")
        if partner.status != "REGISTERED" or not partner.outbound_token:
            raise InvalidParametersError(f"partner {partner.id} is not registered", field="partner")
        if url is None:
            raise InvalidParametersError(f"partner {partner.id} publishes no commands Receiver endpoint",
                                         field="partner")
        return url.rstrip("/")

    def _body(self, kind: CommandType, version: str, response_url: str, fields: dict[str, Any],
              token: dict[str, Any] | None) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        body["response_url"] = response_url
        if token is not None:
            if version == "2.1.1":
                from ocpi_engine.models import downgrade
                from ocpi_engine.models.v221.tokens import Token

                token = msgspec.to_builtins(downgrade.token(msgspec.convert(token, Token)))
            body["token"] = token
        if version == "2.1.1":
            body.pop("authorization_reference", None)
            body.pop("connector_id", None)
            if kind == CommandType.RESERVE_NOW:
                try:
                    body["reservation_id"] = int(body["reservation_id"])
                except (KeyError, ValueError):
                    raise InvalidParametersError("invalid field `reservation_id`: 2.1.1 partners need an integer",
                                                 field="reservation_id") from None
            if kind == CommandType.CANCEL_RESERVATION:
                raise InvalidParametersError("CANCEL_RESERVATION does not exist in OCPI 2.1.1", field="command")
        return body

    async def send(self, partner_id: int, kind: CommandType, fields: dict[str, Any], *,
                   token_uid: str | None = None, token_type: str = "RFID") -> CommandRecord:
        """Send a command to a CPO partner; the record says whether it was accepted (and later, its result)."""
        partner = await self.store.get_partner(partner_id)
        if partner is None:
            raise NotFoundError(f"no partner {partner_id}")
        url = self._command_url(partner)
        version = partner.version or "2.2.1"
        token = await self.own_token(token_uid, token_type) if token_uid is not None else None
        if kind in (CommandType.START_SESSION, CommandType.RESERVE_NOW) and token is None:
            raise InvalidParametersError(f"{kind} needs a token", field="token")
        uid = uuid.uuid4().hex
        response_url = f"{self.settings.public_url}/ocpi/{version}/emsp/commands/{kind}/{uid}"
        body = self._body(kind, version, response_url, fields, token)
        now = format_datetime(utc_now())
        record = CommandRecord(uid=uid, partner_id=partner.id, command=str(kind), version=version, status="PENDING",
                               request=body, created=now, updated=now, timeout=self.settings.command_timeout)
        await self._save(record)
        try:
            reply = await self.client.request("POST", f"{url}/{kind}", token=partner.outbound_token or "",
                                              version=partner.version, auth_mode=partner.outbound_auth, body=body)
        except ClientApiError as exc:
            return await self._update(uid, status="ERROR", error=exc.message)
        response = self._parse_response(reply.data, version)
        if response is None:
            return await self._update(uid, status="ERROR", response_status_code=reply.status_code,
                                      error=f"HTTP {reply.http_status} OCPI {reply.status_code}: "
                                            f"{reply.status_message or 'no CommandResponse in the answer'}")
        timeout = int(response.get("timeout") or self.settings.command_timeout)
        if response["result"] != "ACCEPTED" or reply.status_code != 1000:
            return await self._update(uid, status="REFUSED", response=response, response_status_code=reply.status_code,
                                      timeout=timeout)
        deadline = format_datetime(utc_now() + dt.timedelta(seconds=timeout))
        record = await self._update(uid, response=response, response_status_code=reply.status_code, timeout=timeout,
                                    deadline=deadline, only_if_pending=True)
        self.tasks.spawn(self._watch(uid, timeout), name=f"command-timeout-{uid}")
        return record

    @staticmethod
    def _parse_response(data: Any, version: str) -> dict[str, Any] | None:
        try:
            if version == "2.1.1":
                return {"result": str(v211.parse_result(data))}
            response: dict[str, Any] = msgspec.to_builtins(msgspec.convert(data, CommandResponse))
            return response
        except (msgspec.ValidationError, TypeError):
            return None

    async def _update(self, uid: str, *, only_if_pending: bool = False, **changes: Any) -> CommandRecord:
        async with self._lock:
            record = await self._load(uid)
            if record is None:
                raise NotFoundError(f"no command {uid}")
            if only_if_pending and record.status != "PENDING":
                changes.pop("status", None)
            record = msgspec.structs.replace(record, updated=format_datetime(utc_now()), **changes)
            await self._save(record)
            return record

    async def _watch(self, uid: str, timeout: int) -> None:
        await asyncio.sleep(timeout)
        await self.expire(uid)

    async def expire(self, uid: str) -> CommandRecord | None:
        """Record TIMEOUT when the deadline passed without a result (also checked on every read)."""
        async with self._lock:
            record = await self._load(uid)
            if record is None or record.status != "PENDING" or record.deadline is None:
                return record
            if parse_datetime(record.deadline) > utc_now():
                return record
            now = format_datetime(utc_now())
            timeout = {"result": "TIMEOUT", "message": [{"language": "en", "text":
                       f"no result from the CPO within {record.timeout} s"}]}
            record = msgspec.structs.replace(record, status="TIMEOUT", result=timeout, updated=now)
            await self._save(record)
            return record

    async def receive_result(self, caller_partner_id: int, kind: str, uid: str, data: Any) -> CommandRecord:
        """A CPO POSTed the result of one of our commands to its response_url."""
        record = await self._load(uid)
        if record is None or record.partner_id != caller_partner_id or record.command != kind.upper():
            raise NotFoundError(f"no command {kind}/{uid} of yours")
        if record.version == "2.1.1":
            try:
                result: dict[str, Any] = {"result": str(v211.parse_result(data))}
            except (msgspec.ValidationError, TypeError) as exc:
                raise InvalidParametersError(f"invalid field `result`: {exc}", field="result") from None
        else:
            try:
                result = msgspec.to_builtins(msgspec.convert(data, CommandResult))
            except msgspec.ValidationError as exc:
                from ocpi_engine.api.bodies import validation_error

                raise validation_error(exc) from exc
        await self.expire(uid)
        async with self._lock:
            current = await self._load(uid)
            assert current is not None
            received = {**result, "received": format_datetime(utc_now())}
            record = msgspec.structs.replace(
                current, status="RESULT", result=result, results=[*current.results, received],
                late=current.late or current.status == "TIMEOUT", updated=received["received"])
            await self._save(record)
            return record

    async def get(self, uid: str) -> CommandRecord:
        record = await self.expire(uid)
        if record is None:
            raise NotFoundError(f"no command {uid}")
        return record

    async def list(self, *, limit: int = 100, partner_id: int | None = None) -> list[CommandRecord]:
        """Newest first."""
        records: list[CommandRecord] = []
        cursor: int | None = None
        for _ in range(1000):
            page = await self.store.list_objects(MODULE, after_seq=cursor, limit=1000)
            records.extend(_record_decoder.decode(r.body) for r in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        if partner_id is not None:
            records = [r for r in records if r.partner_id == partner_id]
        records = records[::-1][:limit]
        return [await self.get(r.uid) if r.status == "PENDING" else r for r in records]
