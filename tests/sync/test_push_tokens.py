"""Token push path: our own tokens written by import or by the admin PATCH are queued for every receiving CPO in
the write transaction, 2.2.1 receivers get the 2.2.1 object at `?type=`, 2.1.1 receivers a 2.1.1 Token
(`auth_id`, no owner fields, APP_USER as OTHER) at the type-less URL; the PATCH refreshes the cache at once."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.services.outbox import Backoff, PushWorker
from ocpi_engine.storage.base import PartnerRecord
from tests.conftest import auth
from tests.sync.partner import SyncPartner

ADMIN = {"Authorization": "Bearer admin-secret-token"}
STAMP = "2024-01-01T00:00:00Z"
FULL = {"country_code": "NL", "party_id": "OCE", "uid": "CARD1", "type": "RFID", "contract_id": "NL-OCE-C1",
        "visual_number": "OCE-1", "issuer": "OCE", "group_id": "G1", "valid": True, "whitelist": "ALWAYS",
        "language": "nl", "default_profile_type": "GREEN",
        "energy_contract": {"supplier_name": "Green Power", "contract_id": "GP-1"}, "last_updated": STAMP}
APP = {"country_code": "NL", "party_id": "OCE", "uid": "APP1", "type": "APP_USER", "contract_id": "NL-OCE-C2",
       "issuer": "OCE", "valid": True, "whitelist": "NEVER", "last_updated": STAMP}


def v211_cpo(fake: SyncPartner) -> PartnerRecord:
    """A 2.1.1 CPO: endpoints carry no interface role; its tokens endpoint is its CPO interface."""
    record = fake.record(version="2.1.1", role="CPO", party=("BE", "OLD"))
    record.endpoints = [{"identifier": "tokens", "url": f"{fake.base}/receiver/tokens"}]
    return record


async def drain(app: Litestar) -> None:
    client = OcpiClient(timeout=2.0)
    worker = PushWorker(app.state.store, client, backoff=Backoff(base=0.01, max=0.05), timeout=2.0)
    report = await worker.drain(max_wait=3)
    await client.aclose()
    assert (report.dead, report.waiting) == (0, 0), report


def received(fake: SyncPartner) -> list[tuple[str, str, dict[str, Any]]]:
    """What the partner got, by path (different objects are pushed concurrently)."""
    return sorted(((r.method, r.path, json.loads(r.body)) for r in fake.received), key=lambda r: r[1])


async def test_import_and_admin_patch_reach_221_and_211_cpos_in_their_shapes(
    app: Litestar, client: AsyncTestClient[Litestar]
) -> None:
    with SyncPartner() as new, SyncPartner() as old:
        await app.state.store.create_partner(new.record(role="CPO"))
        await app.state.store.create_partner(v211_cpo(old))
        lines = (json.dumps(FULL) + "\n" + json.dumps(APP) + "\n").encode()
        assert (await client.post("/admin/import/tokens", content=lines, headers=ADMIN)).status_code == 200
        await drain(app)
        assert received(new) == [("PUT", "/tokens/NL/OCE/APP1?type=APP_USER", APP),
                                 ("PUT", "/tokens/NL/OCE/CARD1?type=RFID", FULL)]
        assert received(old) == [
            ("PUT", "/tokens/NL/OCE/APP1", {"uid": "APP1", "type": "OTHER", "auth_id": "NL-OCE-C2", "issuer": "OCE",
                                            "valid": True, "whitelist": "NEVER", "last_updated": STAMP}),
            ("PUT", "/tokens/NL/OCE/CARD1", {"uid": "CARD1", "type": "RFID", "auth_id": "NL-OCE-C1", "issuer": "OCE",
                                             "valid": True, "whitelist": "ALWAYS", "last_updated": STAMP,
                                             "visual_number": "OCE-1", "language": "nl"}),
        ]
        new.received.clear()
        old.received.clear()

        patched = await client.patch("/admin/tokens/APP1?type=APP_USER", json={"valid": False}, headers=ADMIN)
        assert patched.status_code == 200, patched.text
        data = patched.json()["data"]
        assert data["valid"] is False and data["last_updated"] > STAMP  # defaults to now
        await drain(app)
        assert [(m, p, b["valid"]) for m, p, b in received(new)] == [("PUT", "/tokens/NL/OCE/APP1?type=APP_USER",
                                                                      False)]
        assert received(new)[0][2] == {**APP, "valid": False, "last_updated": data["last_updated"]}
        assert [(m, p, b["valid"], b["type"]) for m, p, b in received(old)] == [("PUT", "/tokens/NL/OCE/APP1", False,
                                                                                 "OTHER")]
        # the same PATCH again changes nothing but last_updated given explicitly equal: nothing more is queued
        again = {"valid": False, "last_updated": data["last_updated"]}
        assert (await client.patch("/admin/tokens/APP1?type=APP_USER", json=again, headers=ADMIN)).status_code == 200
        assert await app.state.store.list_outbox(state="PENDING") == []


async def test_admin_patch_answers_blocked_at_once_and_refuses_what_it_cannot_apply(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    assert (await client.post("/admin/import/tokens", content=json.dumps(FULL).encode(), headers=ADMIN)
            ).status_code == 200
    url = "/ocpi/2.2.1/emsp/tokens/CARD1/authorize"
    assert (await client.post(url, headers=auth(cpo))).json()["data"]["allowed"] == "ALLOWED"  # now cached
    blocked = await client.patch("/admin/tokens/card1", json={"valid": False}, headers=ADMIN)  # CiString uid
    assert blocked.status_code == 200, blocked.text
    assert (await client.post(url, headers=auth(cpo))).json()["data"]["allowed"] == "BLOCKED"

    unknown = await client.patch("/admin/tokens/NOPE", json={"valid": False}, headers=ADMIN)
    assert unknown.status_code == 404
    other_type = await client.patch("/admin/tokens/CARD1?type=APP_USER", json={"valid": False}, headers=ADMIN)
    assert other_type.status_code == 404
    bad = await client.patch("/admin/tokens/CARD1", json={"whitelist": "SOMETIMES"}, headers=ADMIN)
    assert bad.status_code == 400 and "`whitelist`" in bad.json()["status_message"]
    moved = await client.patch("/admin/tokens/CARD1", json={"uid": "CARD2"}, headers=ADMIN)
    assert moved.status_code == 400
    assert (await client.patch("/admin/tokens/CARD1", json={"valid": True})).status_code == 401
