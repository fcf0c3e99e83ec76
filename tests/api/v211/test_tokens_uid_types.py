"""Tokens 2.1.1, CPO interface: one uid stored under several types (api/v211/tokens.py docstring). PUT names the
token by the body's type; GET and PATCH by uid resolve to the only one, else RFID, OTHER, APP_USER, AD_HOC_USER
in that order; a PATCH body's `type` narrows (OTHER covers APP_USER and AD_HOC_USER, as 2.1.1 shows them) and
changes nothing itself; nothing answers 500 and nothing of another party is read or written."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.models.v221.tokens import Token
from ocpi_engine.services.tokens import record_id
from tests.conftest import auth

STAMP = "2024-01-01T00:00:00Z"


def token_221(uid: str, kind: str, contract: str, *, party: str = "ABC") -> Token:
    return msgspec.convert({"country_code": "DE", "party_id": party, "uid": uid, "type": kind, "contract_id": contract,
                            "issuer": "Partner", "valid": True, "whitelist": "ALWAYS", "last_updated": STAMP}, Token)


def token_211(uid: str, kind: str, auth_id: str) -> dict[str, Any]:
    return {"uid": uid, "type": kind, "auth_id": auth_id, "issuer": "Partner", "valid": True, "whitelist": "ALWAYS",
            "last_updated": STAMP}


async def stored(app: Litestar, uid: str, kind: str, party: str = "ABC") -> dict[str, Any] | None:
    record = await app.state.store.get_object("tokens", "DE", party, record_id(uid, kind))
    return None if record is None else msgspec.json.decode(record.body)  # type: ignore[no-any-return]


async def test_put_get_patch_with_one_uid_under_several_types(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    partner, emsp = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1")
    headers = auth(emsp, raw=True)
    url = "/ocpi/2.1.1/cpo/tokens/DE/ABC/C1"
    # pushed while the connection spoke 2.2.1: an APP_USER and an RFID token of uid C1
    await app.state.tokens.put(token_221("C1", "APP_USER", "APP-1"), partner_id=partner.id)
    await app.state.tokens.put(token_221("C1", "RFID", "RFID-1"), partner_id=partner.id)

    # PUT: the body's type names the token; the others of the uid stay as they are
    assert (await client.put(url, json=token_211("C1", "OTHER", "OTHER-1"), headers=headers)).status_code == 201
    assert (await client.put(url, json=token_211("C1", "RFID", "RFID-2"), headers=headers)).status_code == 200
    assert [(await stored(app, "C1", k) or {}).get("contract_id") for k in ("RFID", "OTHER", "APP_USER")] == \
        ["RFID-2", "OTHER-1", "APP-1"]

    # GET by uid: the RFID one (2.2.1's default type), also for a lower-case uid (CiString)
    for path in (url, "/ocpi/2.1.1/cpo/tokens/de/abc/c1"):
        got = await client.get(path, headers=headers)
        assert got.status_code == 200, got.text
        assert (got.json()["data"]["type"], got.json()["data"]["auth_id"]) == ("RFID", "RFID-2")

    # PATCH without type: the RFID one only
    assert (await client.patch(url, json={"valid": False}, headers=headers)).status_code == 200
    assert [(await stored(app, "C1", k) or {}).get("valid") for k in ("RFID", "OTHER", "APP_USER")] == \
        [False, True, True]

    # PATCH with the body's type OTHER: the OTHER one (not an attempt to turn the RFID token into OTHER)
    patched = await client.patch(url, json={"type": "OTHER", "whitelist": "NEVER"}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert [(await stored(app, "C1", k) or {}).get("whitelist") for k in ("RFID", "OTHER", "APP_USER")] == \
        ["ALWAYS", "NEVER", "ALWAYS"]
    assert (await stored(app, "C1", "OTHER") or {})["type"] == "OTHER"
    # and with type RFID: the RFID one
    assert (await client.patch(url, json={"type": "RFID", "valid": True}, headers=headers)).status_code == 200
    assert (await stored(app, "C1", "RFID") or {})["valid"] is True


async def test_uid_without_rfid_resolves_to_other_then_app_user(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    partner, emsp = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1")
    headers = auth(emsp, raw=True)
    await app.state.tokens.put(token_221("A1", "AD_HOC_USER", "ADHOC-1"), partner_id=partner.id)
    await app.state.tokens.put(token_221("A1", "APP_USER", "APP-1"), partner_id=partner.id)
    await app.state.tokens.put(token_221("A2", "APP_USER", "APP-2"), partner_id=partner.id)

    # A1: APP_USER before AD_HOC_USER, shown as 2.1.1 OTHER
    got = (await client.get("/ocpi/2.1.1/cpo/tokens/DE/ABC/A1", headers=headers)).json()["data"]
    assert (got["type"], got["auth_id"]) == ("OTHER", "APP-1")

    # A2 has only an APP_USER token: a 2.1.1 eMSP sees it as OTHER and may PATCH it back with that type
    url = "/ocpi/2.1.1/cpo/tokens/DE/ABC/A2"
    patched = await client.patch(url, json={"type": "OTHER", "valid": False}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert (await stored(app, "A2", "APP_USER") or {})["valid"] is False
    assert (await stored(app, "A2", "APP_USER") or {})["type"] == "APP_USER"  # the stored type is kept
    # there is no RFID token A2: 404, nothing written
    missing = await client.patch(url, json={"type": "RFID", "valid": True}, headers=headers)
    assert missing.status_code == 404
    assert await stored(app, "A2", "RFID") is None
    assert (await stored(app, "A2", "APP_USER") or {})["valid"] is False
    # an unknown uid: 404 for GET and PATCH
    assert (await client.get("/ocpi/2.1.1/cpo/tokens/DE/ABC/NOPE", headers=headers)).status_code == 404
    assert (await client.patch("/ocpi/2.1.1/cpo/tokens/DE/ABC/NOPE", json={"valid": False},
                               headers=headers)).status_code == 404


async def test_same_uid_under_another_party_is_never_read_or_touched(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, abc_token = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1", name="abc")
    xyz, xyz_token = await register_partner(("EMSP", "DE", "XYZ"), version="2.1.1", name="xyz")
    await app.state.tokens.put(token_221("C1", "RFID", "XYZ-RFID", party="XYZ"), partner_id=xyz.id)
    await app.state.tokens.put(token_221("C1", "APP_USER", "XYZ-APP", party="XYZ"), partner_id=xyz.id)
    before = {k: await stored(app, "C1", k, "XYZ") for k in ("RFID", "APP_USER")}

    # ABC holds only an OTHER token C1: GET and PATCH by uid reach it, not XYZ's RFID one
    abc_url = "/ocpi/2.1.1/cpo/tokens/DE/ABC/C1"
    headers = auth(abc_token, raw=True)
    assert (await client.put(abc_url, json=token_211("C1", "OTHER", "ABC-OTHER"), headers=headers)).status_code == 201
    got = (await client.get(abc_url, headers=headers)).json()["data"]
    assert (got["type"], got["auth_id"]) == ("OTHER", "ABC-OTHER")
    assert (await client.patch(abc_url, json={"valid": False}, headers=headers)).status_code == 200
    assert (await client.patch(abc_url, json={"type": "RFID", "valid": False}, headers=headers)).status_code == 404
    assert (await stored(app, "C1", "OTHER", "ABC") or {})["valid"] is False

    # XYZ's tokens under XYZ's URL are not ABC's to read or write (404, nothing revealed)
    xyz_url = "/ocpi/2.1.1/cpo/tokens/DE/XYZ/C1"
    assert (await client.get(xyz_url, headers=headers)).status_code == 404
    assert (await client.patch(xyz_url, json={"valid": False}, headers=headers)).status_code == 404
    assert (await client.put(xyz_url, json=token_211("C1", "RFID", "STOLEN"), headers=headers)).status_code == 404
    assert {k: await stored(app, "C1", k, "XYZ") for k in ("RFID", "APP_USER")} == before
    assert await stored(app, "C1", "OTHER", "XYZ") is None
    # XYZ still sees its own RFID token
    mine = (await client.get(xyz_url, headers=auth(xyz_token, raw=True))).json()["data"]
    assert (mine["type"], mine["auth_id"], mine["valid"]) == ("RFID", "XYZ-RFID", True)
