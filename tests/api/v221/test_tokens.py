"""Tokens module 2.2.1 (tokens.md): CPO Receiver, eMSP Sender list and real-time authorization, the CPO's
decision per whitelist type, party isolation."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.models.v221.tokens import Token
from ocpi_engine.services.tokens import TokenService
from tests.conftest import auth

RECEIVER = "/ocpi/2.2.1/cpo/tokens"
SENDER = "/ocpi/2.2.1/emsp/tokens"


def token(uid: str = "012345678", *, cc: str = "DE", pid: str = "ABC", **extra: Any) -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "uid": uid, "type": "RFID", "contract_id": "DE8ACC12E46L89",
            "issuer": "TheNewMotion", "valid": True, "whitelist": "ALWAYS", "last_updated": "2024-01-01T00:00:00Z",
            **extra}


async def test_put_get_patch_roundtrip(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    url = f"{RECEIVER}/DE/ABC/012345678"
    created = await client.put(url, json=token(), headers=auth(emsp))
    assert created.status_code == 201 and created.json()["status_code"] == 1000
    assert "data" not in created.json()
    again = await client.put(url, json=token(visual_number="V1"), headers=auth(emsp))
    assert again.status_code == 200
    got = (await client.get(url, headers=auth(emsp))).json()["data"]
    assert got["visual_number"] == "V1" and got["valid"] is True
    patched = await client.patch(url, json={"valid": False, "last_updated": "2024-02-01T00:00:00Z"},
                                 headers=auth(emsp))
    assert patched.status_code == 200, patched.text
    got = (await client.get(url, headers=auth(emsp))).json()["data"]
    assert got["valid"] is False and got["last_updated"] == "2024-02-01T00:00:00Z" and got["visual_number"] == "V1"


async def test_same_uid_with_two_types(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    await client.put(f"{RECEIVER}/DE/ABC/U1", json=token("U1"), headers=auth(emsp))
    app_user = await client.put(f"{RECEIVER}/DE/ABC/U1?type=APP_USER", json=token("U1", type="APP_USER"),
                                headers=auth(emsp))
    assert app_user.status_code == 201
    assert (await client.get(f"{RECEIVER}/DE/ABC/U1?type=APP_USER", headers=auth(emsp))).json()["data"]["type"] \
        == "APP_USER"
    assert (await client.get(f"{RECEIVER}/DE/ABC/U1", headers=auth(emsp))).json()["data"]["type"] == "RFID"


@pytest.mark.parametrize(
    ("body", "url_suffix", "field"),
    [
        (token(cc="NL"), "DE/ABC/012345678", "country_code"),
        (token("OTHER"), "DE/ABC/012345678", "uid"),
        (token(type="APP_USER"), "DE/ABC/012345678", "type"),
        (token(whitelist="SOMETIMES"), "DE/ABC/012345678", "whitelist"),
        (token(contract_id="x" * 37), "DE/ABC/012345678", "contract_id"),
        ({k: v for k, v in token().items() if k != "issuer"}, "DE/ABC/012345678", "issuer"),
        (token(valid="yes"), "DE/ABC/012345678", "valid"),
    ],
)
async def test_invalid_put_is_2001_naming_the_field_and_stores_nothing(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, body: dict[str, Any],
    url_suffix: str, field: str,
) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    response = await client.put(f"{RECEIVER}/{url_suffix}", json=body, headers=auth(emsp))
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 2001
    assert f"`{field}`" in response.json()["status_message"]
    assert (await app.state.store.list_objects("tokens")).total == 0


async def test_patch_needs_last_updated_and_an_existing_token(client: AsyncTestClient[Litestar],
                                                              register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    url = f"{RECEIVER}/DE/ABC/012345678"
    missing = await client.patch(url, json={"valid": False, "last_updated": "2024-02-01T00:00:00Z"},
                                 headers=auth(emsp))
    assert missing.status_code == 404
    await client.put(url, json=token(), headers=auth(emsp))
    no_date = await client.patch(url, json={"valid": False}, headers=auth(emsp))
    assert no_date.status_code == 400 and "`last_updated`" in no_date.json()["status_message"]
    moving = await client.patch(url, json={"uid": "ELSE", "last_updated": "2024-02-01T00:00:00Z"},
                                headers=auth(emsp))
    assert moving.status_code == 400


async def test_party_isolation(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, abc = await register_partner(("EMSP", "DE", "ABC"), name="abc")
    _, xyz = await register_partner(("EMSP", "DE", "XYZ"), name="xyz")
    await client.put(f"{RECEIVER}/DE/ABC/T1", json=token("T1"), headers=auth(abc))
    # xyz can neither read nor write abc's tokens, and learns nothing (plain 404)
    assert (await client.get(f"{RECEIVER}/DE/ABC/T1", headers=auth(xyz))).status_code == 404
    assert (await client.put(f"{RECEIVER}/DE/ABC/T1", json=token("T1", valid=False),
                             headers=auth(xyz))).status_code == 404
    assert (await client.patch(f"{RECEIVER}/DE/ABC/T1", json={"valid": False, "last_updated": "2024-03-01T00:00:00Z"},
                               headers=auth(xyz))).status_code == 404
    assert (await client.get(f"{RECEIVER}/DE/ABC/T1", headers=auth(abc))).json()["data"]["valid"] is True


async def own_tokens(app: Litestar, *tokens: dict[str, Any]) -> None:
    service: TokenService = app.state.tokens
    for t in tokens:
        await service.put(msgspec.convert(t, Token), partner_id=None)


async def test_sender_lists_only_our_tokens(app: Litestar, client: AsyncTestClient[Litestar],
                                            register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    await own_tokens(app, *(token(f"OWN{i}", cc="NL", pid="OCE") for i in range(3)))
    await client.put(f"{RECEIVER}/DE/ABC/THEIRS", json=token("THEIRS"), headers=auth(emsp))
    response = await client.get(SENDER, headers=auth(cpo))
    assert [t["uid"] for t in response.json()["data"]] == ["OWN0", "OWN1", "OWN2"]
    assert response.headers["x-total-count"] == "3"


async def test_authorize_allowed_blocked_unknown(app: Litestar, client: AsyncTestClient[Litestar],
                                                 register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    await own_tokens(app, token("GOOD", cc="NL", pid="OCE"), token("BAD", cc="NL", pid="OCE", valid=False))
    ok = await client.post(f"{SENDER}/GOOD/authorize", json={"location_id": "LOC1", "evse_uids": ["E1", "E2"]},
                           headers=auth(cpo))
    assert ok.status_code == 200
    data = ok.json()["data"]
    assert data["allowed"] == "ALLOWED" and data["token"]["uid"] == "GOOD"
    assert data["location"] == {"location_id": "LOC1", "evse_uids": ["E1", "E2"]}
    assert len(data["authorization_reference"]) == 24
    blocked = await client.post(f"{SENDER}/BAD/authorize", headers=auth(cpo))
    assert blocked.status_code == 200 and blocked.json()["status_code"] == 1000
    assert blocked.json()["data"]["allowed"] == "BLOCKED" and "location" not in blocked.json()["data"]
    unknown = await client.post(f"{SENDER}/NOPE/authorize", headers=auth(cpo))
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004 and "data" not in unknown.json()
    wrong_type = await client.post(f"{SENDER}/GOOD/authorize?type=APP_USER", headers=auth(cpo))
    assert wrong_type.status_code == 404
    bad_type = await client.post(f"{SENDER}/GOOD/authorize?type=CARD", headers=auth(cpo))
    assert bad_type.status_code == 400 and "`type`" in bad_type.json()["status_message"]
    bad_body = await client.post(f"{SENDER}/GOOD/authorize", json={"evse_uids": ["E1"]}, headers=auth(cpo))
    assert bad_body.status_code == 400 and "`location_id`" in bad_body.json()["status_message"]


async def test_cpo_decision_per_whitelist_type(app: Litestar, client: AsyncTestClient[Litestar],
                                               register_partner: Any) -> None:
    partner, emsp = await register_partner(("EMSP", "DE", "ABC"))
    partner.endpoints = [{"identifier": "tokens", "role": "SENDER", "url": "https://emsp.example.com/tokens"}]
    await app.state.store.update_partner(partner)
    for uid, whitelist, valid in (("ALW", "ALWAYS", True), ("ALWB", "ALWAYS", False), ("NEV", "NEVER", True),
                                  ("OFF", "ALLOWED_OFFLINE", True)):
        await client.put(f"{RECEIVER}/DE/ABC/{uid}", json=token(uid, whitelist=whitelist, valid=valid),
                         headers=auth(emsp))
    asked: list[str] = []
    reachable = True

    def emsp_api(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if not reachable:
            raise httpx.ConnectError("down")
        assert request.url.params["type"] == "RFID"
        body = {"data": {"allowed": "NO_CREDIT", "token": {}, "authorization_reference": "REF1"},
                "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}
        return httpx.Response(200, content=json.dumps(body).encode())

    app.state.client.http = httpx.AsyncClient(transport=httpx.MockTransport(emsp_api))
    service: TokenService = app.state.tokens
    assert (await service.decide("ALW", "RFID")).allowed == "ALLOWED"
    assert (await service.decide("ALWB", "RFID")).allowed == "BLOCKED"
    assert asked == []  # ALWAYS: never asked
    never = await service.decide("NEV", "RFID")
    assert (never.allowed, never.source, never.authorization_reference) == ("NO_CREDIT", "real-time", "REF1")
    assert asked == ["/tokens/NEV/authorize"]
    reachable = False
    assert (await service.decide("OFF", "RFID")).allowed == "ALLOWED"  # eMSP down: ALLOWED_OFFLINE accepts
    down = await service.decide("NEV", "RFID")
    assert (down.allowed, down.source) == ("NOT_ALLOWED", "fallback")
    unknown = await service.decide("NOPE", "RFID")
    assert (unknown.allowed, unknown.source) == ("NOT_ALLOWED", "unknown")


async def test_token_a_cannot_reach_tokens(client: AsyncTestClient[Litestar], token_a: Any) -> None:
    ta = await token_a()
    assert (await client.get(f"{RECEIVER}/DE/ABC/X", headers=auth(ta))).status_code == 401
    assert (await client.post(f"{SENDER}/X/authorize", headers=auth(ta))).status_code == 401


async def test_admin_authorize_and_cli(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any,
                                       tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    await client.put(f"{RECEIVER}/DE/ABC/CARD1", json=token("CARD1"), headers=auth(emsp))
    admin = {"Authorization": "Bearer admin-secret-token"}
    decided = await client.post("/admin/tokens/authorize", json={"uid": "CARD1", "location_id": "L1"}, headers=admin)
    assert decided.json()["data"]["allowed"] == "ALLOWED"
    assert decided.json()["data"]["source"] == "whitelist"
    bad = await client.post("/admin/tokens/authorize", json={"uid": "CARD1", "type": "PIRATE"}, headers=admin)
    assert bad.status_code == 400 and "`type`" in bad.json()["status_message"]


def test_cli_tokens_authorize(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from click.testing import CliRunner

    from ocpi_engine.cache import MemoryCache
    from ocpi_engine.cli import main
    from ocpi_engine.clients.ocpi import OcpiClient
    from ocpi_engine.settings import Settings
    from ocpi_engine.storage.base import PartnerRecord
    from ocpi_engine.storage.sqlite import SqliteStore

    settings = Settings(database_url=f"sqlite:///{tmp_path}/cli.sqlite3")

    async def seed() -> None:
        store = SqliteStore(settings.sqlite_path() or "")
        await store.open()
        partner = await store.create_partner(PartnerRecord(id=0, name="e", status="REGISTERED", token_kind="C"))
        service = TokenService(settings, store, MemoryCache(), OcpiClient())
        await service.put(msgspec.convert(token("CARD1"), Token), partner_id=partner.id)
        await store.close()

    asyncio.run(seed())
    monkeypatch.setenv("OCPI_ENGINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OCPI_ENGINE_PORT", "9")  # no server: the CLI decides on the store directly
    result = CliRunner().invoke(main, ["tokens", "authorize", "CARD1", "--location", "L1", "--evse", "E1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ALLOWED  (whitelist")
    unknown = CliRunner().invoke(main, ["tokens", "authorize", "NOPE"])
    assert unknown.exit_code == 1 and "NOT_ALLOWED" in unknown.output
