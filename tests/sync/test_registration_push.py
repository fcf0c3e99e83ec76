"""Registration starts the first push (issue 5), end to end on loopback: our eMSP imports its tokens, then a CPO
registers with us (credentials POST) or we register with it (`register_with`, what `ocpi-engine partners register`
runs); once the push worker runs, the CPO holds every token, and a token changed afterwards arrives in its newest
state. Registration queues entries for that partner only, never waits for them and never fails because of them."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any, Self

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.services import sync
from ocpi_engine.services.outbox import Backoff, PushWorker
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth
from tests.e2e.fake_partner import FakePartner

ADMIN = {"Authorization": "Bearer admin-secret-token"}
STAMP = "2024-01-01T00:00:00Z"
DELAY = 0.3


def token(uid: str, kind: str = "RFID", **extra: Any) -> dict[str, Any]:
    return {"country_code": "NL", "party_id": "OCE", "uid": uid, "type": kind, "contract_id": f"NL-OCE-{uid}",
            "issuer": "OCE", "valid": True, "whitelist": "ALLOWED", "last_updated": STAMP, **extra}


TOKENS = [token("CARD1", visual_number="OCE-1", language="nl"), token("CARD2", whitelist="ALWAYS"),
          token("APP1", "APP_USER", whitelist="NEVER"), token("CARD1", "OTHER")]


class CpoPartner(FakePartner):
    """The e2e fake partner plus a tokens Receiver endpoint at `/receiver/tokens` (pushes land in `seen`)."""

    def answer(self, method: str, path: str, authorization: str | None, body: bytes) -> tuple[int, bytes]:
        details = f"/ocpi/{self.version}"
        if path == details and self._authorized(authorization):
            endpoints = [{"identifier": "credentials", "role": "RECEIVER", "url": f"{self.base}{details}/credentials"},
                         {"identifier": "tokens", "role": "RECEIVER", "url": f"{self.base}/receiver/tokens"}]
            return 200, self._envelope({"version": self.version, "endpoints": endpoints})
        if path.startswith("/receiver/"):
            if not self._authorized(authorization):
                return 401, self._envelope(None, 2000, "Unauthorized")
            return 200, self._envelope(None)
        return super().answer(method, path, authorization, body)

    def __enter__(self) -> Self:
        super().__enter__()
        return self

    def pushed(self) -> list[tuple[str, str, dict[str, Any]]]:
        return sorted((s.method, s.path.removeprefix("/receiver"), json.loads(s.body)) for s in self.seen
                      if s.path.startswith("/receiver/"))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.initial_push_delay = DELAY
    return settings


async def cpo_registers_with_us(client: AsyncTestClient[Litestar], token_a: str, fake: CpoPartner) -> Any:
    """The fake CPO registers with us by credentials POST with the Token A we gave it; returns our answer."""
    body = {"token": "cpo-token-b", "url": fake.versions_url,
            "roles": [{"role": "CPO", "country_code": "BE", "party_id": "FAK",
                       "business_details": {"name": "Fake CPO"}}]}
    answer = await client.post("/ocpi/2.2.1/credentials", json=body, headers=auth(token_a))
    assert answer.status_code == 200, answer.text
    return answer


async def import_tokens(client: AsyncTestClient[Litestar]) -> None:
    lines = "".join(json.dumps(t) + "\n" for t in TOKENS).encode()
    answer = await client.post("/admin/import/tokens", content=lines, headers=ADMIN)
    assert answer.status_code == 200, answer.text


async def push(app: Litestar) -> None:
    await app.state.tasks.drain(5, names="initial push")
    client = OcpiClient(timeout=2.0)
    try:
        report = await PushWorker(app.state.store, client, backoff=Backoff(base=0.02, max=0.1),
                                  timeout=2.0).drain(max_wait=DELAY + 3)
    finally:
        await client.aclose()
    assert (report.dead, report.waiting) == (0, 0), await app.state.store.list_outbox(state="DEAD")


def expected() -> list[tuple[str, str, dict[str, Any]]]:
    return sorted(("PUT", f"/tokens/NL/OCE/{t['uid']}?type={t['type']}", t) for t in TOKENS)


async def test_a_cpo_registering_after_the_import_gets_every_token(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    await import_tokens(client)
    store = app.state.store
    # a CPO registered before (no Receiver, no pushes) and own locations: neither gets anything from this
    bystander, _ = await register_partner(("CPO", "DE", "BYS"))
    await store.put_objects([ObjectRecord(module="locations", country_code="NL", party_id="OCE", id="L1",
                                          last_updated="2024-01-01T00:00:00.000000Z", body=b'{"id": "L1"}')])
    _, token_a = await app.state.credentials.issue_token_a("the CPO")
    with CpoPartner(accepted_token="cpo-token-b") as fake:
        started = time.time()
        await cpo_registers_with_us(client, token_a, fake)
        [cpo] = [p for p in await store.list_partners() if p.name == "the CPO"]
        await app.state.tasks.drain(5, names="initial push")
        queued = await store.list_outbox(limit=100)
        assert {(e.partner_id, e.module) for e in queued} == {(cpo.id, "tokens")}
        assert sorted("/tokens" + e.path for e in queued) == [p for _, p, _ in expected()]
        # the CPO gets time to store our credentials answer before our first push arrives
        assert all(e.next_attempt_at >= started + DELAY for e in queued)
        assert bystander.id not in {e.partner_id for e in queued}

        await push(app)
        assert fake.pushed() == expected()
        assert {s.authorization for s in fake.seen if s.path.startswith("/receiver/")} == {
            "Token " + base64.b64encode(b"cpo-token-b").decode()}

        # a change afterwards goes the usual way and arrives as the newest state
        fake.seen.clear()
        later = "2024-02-01T00:00:00Z"
        patched = await client.patch("/admin/tokens/CARD2", json={"valid": False, "last_updated": later},
                                     headers=ADMIN)
        assert patched.status_code == 200, patched.text
        await push(app)
        assert fake.pushed() == [("PUT", "/tokens/NL/OCE/CARD2?type=RFID",
                                  {**TOKENS[1], "valid": False, "last_updated": later})]
    assert await store.list_outbox(limit=10) == []


async def test_registering_with_a_cpo_pushes_every_token_once_the_worker_runs(
    app: Litestar, client: AsyncTestClient[Litestar]
) -> None:
    await import_tokens(client)
    with CpoPartner(accepted_token="fake-token-a", token_c="fake-token-c") as fake:
        cpo = await app.state.credentials.register_with(fake.versions_url, "fake-token-a", name="the CPO")
        assert cpo.status == "REGISTERED"
        await app.state.tasks.drain(5, names="initial push")
        queued = await app.state.store.list_outbox(limit=100)
        assert {e.partner_id for e in queued} == {cpo.id} and len(queued) == len(TOKENS)
        assert all(e.next_attempt_at == 0 for e in queued)  # it told us its token in its answer: no wait
        await push(app)
        assert fake.pushed() == expected()
        assert {s.authorization for s in fake.seen if s.path.startswith("/receiver/")} == {
            "Token " + base64.b64encode(b"fake-token-c").decode()}

        # a credentials update that changes nothing we push to queues nothing again
        await app.state.credentials.update_with(cpo)
        await app.state.tasks.drain(5, names="initial push")
        assert await app.state.store.list_outbox(limit=10) == []


async def test_a_failed_first_push_is_logged_without_secrets_and_registration_stands(
    app: Litestar, client: AsyncTestClient[Litestar], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> dict[str, int]:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(sync, "enqueue_initial_push", broken)
    await import_tokens(client)
    _, token_a = await app.state.credentials.issue_token_a("the CPO")
    with CpoPartner(accepted_token="cpo-token-b") as fake, caplog.at_level(logging.WARNING, "ocpi_engine"):
        answer = await cpo_registers_with_us(client, token_a, fake)
        await app.state.tasks.drain(5, names="initial push")
    [cpo] = await app.state.store.list_partners()
    assert cpo.status == "REGISTERED"
    assert f"sync push --initial {cpo.id}" in caplog.text and "database is locked" in caplog.text
    for secret in ("cpo-token-b", answer.json()["data"]["token"], token_a):
        assert secret not in caplog.text
    assert await app.state.store.list_outbox(limit=10) == []


@pytest.mark.parametrize(("initial_push", "modules"), [("none", set()), ("locations", set()), ("tokens", {"tokens"})])
async def test_the_initial_push_setting_chooses_what_a_registering_partner_gets(
    app: Litestar, client: AsyncTestClient[Litestar], initial_push: str, modules: set[str]
) -> None:
    """`OCPI_ENGINE_INITIAL_PUSH`: `none` leaves it to the partner's pull; a list keeps only the modules named."""
    app.state.settings.initial_push = initial_push
    await import_tokens(client)
    _, token_a = await app.state.credentials.issue_token_a("the CPO")
    with CpoPartner(accepted_token="cpo-token-b") as fake:
        await cpo_registers_with_us(client, token_a, fake)
        await app.state.tasks.drain(5, names="initial push")
        assert {e.module for e in await app.state.store.list_outbox(limit=100)} == modules


def test_initial_push_setting_is_validated() -> None:
    assert Settings(initial_push="Tokens, locations").initial_push == "locations,tokens"
    assert Settings(initial_push="none").initial_push == "none"
    for bad in ("cdrs", "auto,tokens", "tokenz"):
        with pytest.raises(ValueError, match="OCPI_ENGINE_INITIAL_PUSH"):
            Settings(initial_push=bad)
