"""Our session changes pushed as the Receiver expects (sessions.md 2.2): a new session as a PUT, later changes as
PATCHes carrying only the changed fields and the appended charging periods, through the outbox to a real eMSP
Receiver (our app, in process): its copy ends with exactly our periods, none twice, none missing. A PATCH the
eMSP answers 404 (it lost the session) becomes a PUT of the whole session."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from ocpi_engine.api.app import create_app
from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.models.v221.sessions import Session
from ocpi_engine.services.outbox import Backoff, PushWorker
from ocpi_engine.services.partners import new_token, token_hash
from ocpi_engine.services.sessions import own_session_changed
from ocpi_engine.services.sync import session_ops
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import OutboxEntry, PartnerRecord
from ocpi_engine.storage.sqlite import SqliteStore

EMSP = "https://emsp.example.com"
TOKEN = {"country_code": "DE", "party_id": "EMP", "uid": "U1", "type": "RFID", "contract_id": "DE-EMP-C1"}


def session(periods: int, *, status: str = "ACTIVE") -> Session:
    body = {
        "country_code": "NL", "party_id": "OCE", "id": "S1", "start_date_time": "2024-03-01T10:00:00Z",
        "kwh": Decimal(periods) * Decimal("1.25"), "cdr_token": TOKEN, "auth_method": "COMMAND",
        "location_id": "LOC1", "evse_uid": "E1", "connector_id": "1", "currency": "EUR", "status": status,
        "total_cost": {"excl_vat": Decimal(periods) * Decimal("0.31")},
        "charging_periods": [{"start_date_time": f"2024-03-01T10:{n:02d}:00Z",
                              "dimensions": [{"type": "ENERGY", "volume": Decimal("1.25")},
                                             {"type": "TIME", "volume": Decimal("0.0167")}]}
                             for n in range(periods)],
        "last_updated": f"2024-03-01T10:{periods:02d}:30Z",
    }
    return msgspec.convert(body, Session, strict=False)


class Harness:
    def __init__(self, cpo: Any, emsp: AsyncTestClient[Any], partner: PartnerRecord, cpo_token: str) -> None:
        self.cpo = cpo
        self.emsp = emsp
        self.partner = partner
        self.cpo_token = cpo_token
        self.sent: list[tuple[str, str]] = []
        self.bodies: list[dict[str, Any]] = []

    async def push(self) -> None:
        worker = PushWorker(self.cpo.store, OcpiClient(self.emsp), backoff=Backoff(base=0.01, max=0.05))
        worker.on_result = self._record
        report = await worker.drain(self.partner.id)
        assert report.dead == 0, await self.cpo.store.list_outbox(state="DEAD")

    def _record(self, entry: OutboxEntry, result: str) -> None:
        self.sent.append((entry.method, result))
        self.bodies.append(json.loads(entry.body or b"{}"))

    async def emsp_copy(self) -> dict[str, Any]:
        answer = await self.emsp.get("/ocpi/2.2.1/emsp/sessions/NL/OCE/S1",
                                     headers={"Authorization": f"Token {self.cpo_token}"})
        assert answer.status_code == 200, answer.text
        return json.loads(answer.content)["data"]  # type: ignore[no-any-return]


@pytest.fixture
async def harness(tmp_path: Any) -> AsyncIterator[Harness]:
    emsp_settings = Settings(database_url=f"sqlite:///{tmp_path}/emsp.sqlite3", public_url=EMSP, country_code="DE",
                             party_id="EMP", roles=("EMSP",), admin_token="admin-secret-token")
    cpo_settings = Settings(database_url=f"sqlite:///{tmp_path}/cpo.sqlite3", public_url="https://cpo.example.com",
                            country_code="NL", party_id="OCE", roles=("CPO",), admin_token="admin-secret-token")
    cpo_store = SqliteStore(str(tmp_path / "cpo.sqlite3"))
    await cpo_store.open()
    app = create_app(emsp_settings)
    async with AsyncTestClient(app=app, base_url=EMSP) as emsp:
        cpo_token = new_token()  # what the CPO presents to the eMSP
        await app.state.store.create_partner(PartnerRecord(
            id=0, name="cpo", status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(cpo_token),
            outbound_token=new_token(), version="2.2.1",
            roles=[{"role": "CPO", "country_code": "NL", "party_id": "OCE", "business_details": {"name": "cpo"}}]))
        partner = await cpo_store.create_partner(PartnerRecord(
            id=0, name="emsp", status="REGISTERED", token_kind="C", outbound_token=cpo_token, version="2.2.1",
            outbound_auth="raw",
            roles=[{"role": "EMSP", "country_code": "DE", "party_id": "EMP", "business_details": {"name": "emsp"}}],
            endpoints=[{"identifier": "sessions", "role": "RECEIVER", "url": f"{EMSP}/ocpi/2.2.1/emsp/sessions"}]))
        cpo = SimpleNamespace(settings=cpo_settings, store=cpo_store, push_wake=None)
        yield Harness(cpo, emsp, partner, cpo_token)
    await cpo_store.close()


async def test_periods_go_as_patches_and_the_emsp_holds_exactly_ours(harness: Harness) -> None:
    await own_session_changed(harness.cpo, session(1))
    await harness.push()
    for periods in (2, 3):  # one push each
        await own_session_changed(harness.cpo, session(periods))
        await harness.push()
    for periods in (4, 5, 6):  # queued together, still one PATCH each, in order
        await own_session_changed(harness.cpo, session(periods))
    await own_session_changed(harness.cpo, session(6, status="COMPLETED"))
    await harness.push()
    assert [method for method, _ in harness.sent] == ["PUT"] + ["PATCH"] * 6
    # each PATCH carries only its new period (a receiver appends them; ours would hide duplicates, others not)
    assert [len(b.get("charging_periods", [])) for b in harness.bodies] == [1, 1, 1, 1, 1, 1, 0]
    ours = json.loads((await harness.cpo.store.get_object("sessions", "NL", "OCE", "S1")).body)
    theirs = await harness.emsp_copy()
    assert len(theirs["charging_periods"]) == 6
    assert theirs == ours


async def test_a_patch_answered_404_becomes_a_put_of_the_whole_session(harness: Harness) -> None:
    await own_session_changed(harness.cpo, session(2))
    await harness.push()
    emsp_store = harness.emsp.app.state.store
    assert await emsp_store.delete_object("sessions", "NL", "OCE", "S1")
    await own_session_changed(harness.cpo, session(3))
    await harness.push()
    assert harness.sent == [("PUT", "sent"), ("PATCH", "replaced"), ("PUT", "sent")]
    ours = json.loads((await harness.cpo.store.get_object("sessions", "NL", "OCE", "S1")).body)
    assert await harness.emsp_copy() == ours


def test_session_ops() -> None:
    encode = msgspec.json.Encoder(decimal_format="number").encode
    old, new = encode(session(2)), encode(session(3))
    [patch] = session_ops(old, new)
    body = json.loads(patch.body or b"")
    assert patch.method == "PATCH"
    assert sorted(body) == ["charging_periods", "kwh", "last_updated", "total_cost"]
    assert body["charging_periods"] == [json.loads(new)["charging_periods"][2]]
    assert session_ops(new, old)[0].method == "PUT"  # periods dropped: only a PUT replaces them
    rewritten = json.loads(new)
    rewritten["charging_periods"][0]["tariff_id"] = "T2"
    assert session_ops(new, encode(rewritten))[0].method == "PUT"
    without_cost = {k: v for k, v in json.loads(new).items() if k != "total_cost"}
    assert session_ops(new, encode(without_cost))[0].method == "PUT"
    [status_only] = session_ops(new, encode({**json.loads(new), "status": "COMPLETED"}))
    assert json.loads(status_only.body or b"") == {"status": "COMPLETED", "last_updated": "2024-03-01T10:03:30Z"}
