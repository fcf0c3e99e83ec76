"""OCPI 2.1.1 over real HTTP: a strict 2.1.1 peer (raw `Token <token>` only) and a real ocpi-engine server,
both directions of the handshake, rotation and unregistration (credentials.md, 2.1.1 shape)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.fake_partner import FakePartner

pytestmark = pytest.mark.e2e


def raw(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


@pytest.fixture
def emsp(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path, "emsp211", "EMB", "EMSP")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def cpo(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path, "cpo211", "CPA", "CPO")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_we_register_with_a_strict_211_partner(emsp: Server) -> None:
    with FakePartner(version="2.1.1", strict_raw=True) as partner:
        emsp.cli("partners", "register", partner.versions_url, "fake-token-a", "--name", "old CPO")
        row = next(p for p in emsp.partners() if p["name"] == "old CPO")
        assert row["status"] == "REGISTERED" and row["version"] == "2.1.1"
        assert row["outbound_token"] == "fake-token-c"
        assert [(r["country_code"], r["party_id"]) for r in json.loads(row["roles"])] == [("BE", "FAK")]
        assert {e["identifier"] for e in json.loads(row["endpoints"])} == {"credentials", "locations"}

        # The unknown-version probe may try base64 once; everything after the 401 is raw, as 2.1.1 requires.
        accepted = [s for s in partner.seen if s.authorization == "Token fake-token-a"]
        assert [(s.method, s.path) for s in accepted] == [
            ("GET", "/versions"), ("GET", "/ocpi/2.1.1"), ("POST", "/ocpi/2.1.1/credentials")]
        posted = partner.posted_credentials()
        assert set(posted) == {"token", "url", "business_details", "party_id", "country_code"}  # 2.1.1 shape
        assert (posted["party_id"], posted["country_code"]) == ("EMB", "NL")
        assert posted["url"] == f"{emsp.base}/ocpi/versions"
        token_b = posted["token"]

        # The partner calls us with raw Token B (2.1.1 style); we also accept base64.
        mine = httpx.get(f"{emsp.base}/ocpi/2.1.1/emsp/credentials", headers=raw(token_b), timeout=10)
        assert mine.status_code == 200 and mine.json()["data"]["party_id"] == "EMB"
        assert "roles" not in mine.json()["data"]
        assert emsp.get("/ocpi/2.1.1/emsp/credentials", token_b).status_code == 200

        emsp.cli("partners", "update", str(row["id"]))
        put = [s for s in partner.seen if s.method == "PUT"]
        assert len(put) == 1 and put[0].authorization == "Token fake-token-c"
        new_b = json.loads(put[0].body)["token"]
        assert new_b != token_b
        assert httpx.get(f"{emsp.base}/ocpi/versions", headers=raw(token_b), timeout=10).status_code == 401
        assert httpx.get(f"{emsp.base}/ocpi/versions", headers=raw(new_b), timeout=10).status_code == 200

        emsp.cli("partners", "remove", str(row["id"]))
        deletes = [s for s in partner.seen if s.method == "DELETE"]
        assert [(d.path, d.authorization) for d in deletes] == [("/ocpi/2.1.1/credentials", "Token fake-token-c")]
        assert httpx.get(f"{emsp.base}/ocpi/versions", headers=raw(new_b), timeout=10).status_code == 401


def test_a_strict_211_partner_registers_with_us(cpo: Server) -> None:
    token_a = json.loads(cpo.cli("partners", "add", "old eMSP", "--json").stdout)["token_a"]
    with FakePartner(version="2.1.1", strict_raw=True, accepted_token="fake-emsp-token") as partner:
        versions = httpx.get(f"{cpo.base}/ocpi/cpo/versions", headers=raw(token_a), timeout=10).json()["data"]
        details_url = next(v["url"] for v in versions if v["version"] == "2.1.1")
        details = httpx.get(details_url, headers=raw(token_a), timeout=10).json()["data"]
        assert all("role" not in e for e in details["endpoints"])  # 2.1.1 endpoints carry no role
        credentials_url = next(e["url"] for e in details["endpoints"] if e["identifier"] == "credentials")
        assert credentials_url == f"{cpo.base}/ocpi/2.1.1/cpo/credentials"

        body = {"token": "fake-emsp-token", "url": partner.versions_url, "party_id": "fak", "country_code": "be",
                "business_details": {"name": "Old eMSP"}}
        answer = httpx.post(credentials_url, json=body, headers=raw(token_a), timeout=30)
        assert answer.status_code == 200, answer.text
        ours = answer.json()["data"]
        assert (ours["party_id"], ours["country_code"]) == ("CPA", "NL") and "roles" not in ours
        token_c = ours["token"]
        # We called the partner back in 2.1.1 style only: raw token, never base64, never a 401.
        assert partner.seen and all(s.authorization == "Token fake-emsp-token" for s in partner.seen)

    row = next(p for p in cpo.partners() if p["name"] == "old eMSP")
    assert row["status"] == "REGISTERED" and row["version"] == "2.1.1"
    assert [(r["role"], r["country_code"], r["party_id"]) for r in json.loads(row["roles"])] == [
        ("EMSP", "BE", "FAK")]
    assert row["outbound_token"] == "fake-emsp-token"

    assert httpx.get(credentials_url, headers=raw(token_a), timeout=10).status_code == 401  # Token A died
    assert httpx.get(credentials_url, headers=raw(token_c), timeout=10).status_code == 200
    b64 = {"Authorization": "Token " + base64.b64encode(token_c.encode()).decode()}
    assert httpx.get(credentials_url, headers=b64, timeout=10).status_code == 200
    assert httpx.post(credentials_url, json=body, headers=raw(token_c), timeout=10).status_code == 405

    gone = httpx.delete(credentials_url, headers=raw(token_c), timeout=10)
    assert gone.status_code == 200 and gone.json()["status_code"] == 1000
    assert httpx.get(credentials_url, headers=raw(token_c), timeout=10).status_code == 401
    assert [p["status"] for p in cpo.partners() if p["name"] == "old eMSP"] == ["UNREGISTERED"]


def test_put_on_the_211_endpoint_switches_a_221_connection(cpo: Server) -> None:
    """credentials.md: PUT switches the connection to the endpoint's version and re-fetches the endpoints."""
    token_a = json.loads(cpo.cli("partners", "add", "switcher", "--json").stdout)["token_a"]
    with FakePartner(version="2.2.1", accepted_token="fake-emsp-token") as partner:
        body = {"token": "fake-emsp-token", "url": partner.versions_url,
                "roles": [{"role": "EMSP", "party_id": "FAK", "country_code": "BE",
                           "business_details": {"name": "Switcher"}}]}
        first = httpx.post(f"{cpo.base}/ocpi/2.2.1/credentials", json=body, headers=raw(token_a), timeout=30)
        assert first.status_code == 200, first.text
        token_c = first.json()["data"]["token"]
        assert next(p for p in cpo.partners() if p["name"] == "switcher")["version"] == "2.2.1"

        partner.version = "2.1.1"  # the partner now speaks 2.1.1 only
        partner.seen.clear()
        body_211 = {"token": "fake-emsp-token", "url": partner.versions_url, "party_id": "FAK",
                    "country_code": "BE", "business_details": {"name": "Switcher"}}
        switched = httpx.put(f"{cpo.base}/ocpi/2.1.1/cpo/credentials", json=body_211, headers=raw(token_c),
                             timeout=30)
        assert switched.status_code == 200, switched.text
        new_c = switched.json()["data"]["token"]
        assert new_c != token_c and "roles" not in switched.json()["data"]
        assert [(s.method, s.path) for s in partner.seen] == [("GET", "/versions"), ("GET", "/ocpi/2.1.1")]
        assert all(s.authorization == "Token fake-emsp-token" for s in partner.seen)  # raw: 2.1.1 now

    row = next(p for p in cpo.partners() if p["name"] == "switcher")
    assert row["version"] == "2.1.1" and row["status"] == "REGISTERED"
    assert [e["url"] for e in json.loads(row["endpoints"]) if e["identifier"] == "credentials"] == [
        f"{partner.base}/ocpi/2.1.1/credentials"]
    assert httpx.get(f"{cpo.base}/ocpi/versions", headers=raw(token_c), timeout=10).status_code == 401
    assert httpx.get(f"{cpo.base}/ocpi/versions", headers=raw(new_c), timeout=10).status_code == 200
