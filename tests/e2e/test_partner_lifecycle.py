"""Update and unregistration when the partner has gone away: nothing changes unless forced, and a forced
removal really kills the partner's token on our side."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


def test_update_and_remove_with_the_partner_down(platforms: tuple[Server, Server]) -> None:
    cpo, emsp = platforms
    added = json.loads(cpo.cli("partners", "add", "the eMSP", "--json").stdout)
    emsp.cli("partners", "register", added["versions_url"], added["token_a"], "--name", "the CPO")
    row = next(p for p in emsp.partners() if p["status"] == "REGISTERED")
    token_b = next(p for p in cpo.partners() if p["status"] == "REGISTERED")["outbound_token"]  # CPO -> eMSP
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 200

    cpo.stop()

    failed = emsp.cli("partners", "update", str(row["id"]), check=False)
    assert failed.returncode == 1 and "OCPI 3001:" in failed.stderr and "reachable" in failed.stderr
    after = next(p for p in emsp.partners() if p["id"] == row["id"])
    assert after == {**row, "updated": after["updated"]}  # same tokens, nothing staged
    assert after["next_token_hash"] is None
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 200  # the CPO's token still works

    refused = emsp.cli("partners", "remove", str(row["id"]), check=False)
    assert refused.returncode == 1 and "OCPI 3001:" in refused.stderr
    assert next(p for p in emsp.partners() if p["id"] == row["id"])["status"] == "REGISTERED"

    emsp.cli("partners", "remove", str(row["id"]), "--force")
    forced = next(p for p in emsp.partners() if p["id"] == row["id"])
    assert forced["status"] == "UNREGISTERED"
    assert forced["outbound_token"] is None and forced["incoming_token_hash"] is None
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 401
    assert "UNREGISTERED" in emsp.cli("partners", "list").stdout

    missing = emsp.cli("partners", "remove", "999", check=False)
    assert missing.returncode == 1 and "999" in missing.stderr
