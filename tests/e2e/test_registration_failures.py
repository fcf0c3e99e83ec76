"""Registration through the CLI with a partner that fails in every way credentials.md lets it: each failure is
OCPI 3001/3002/3003 (or the 405 hint), says what to fix, and leaves no partner row and no live token behind."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.fake_partner import FakePartner

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def emsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("failures"), "emsp", "EMB", "EMSP")
    server.env["OCPI_ENGINE_OUTBOUND_TIMEOUT"] = "1"
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("behaviour", "status", "phrases"),
    [
        ("refuse_token", 3001, ["401", "token was refused"]),
        ("no_mutual_version", 3002, ["no mutual OCPI version", "2.0"]),
        ("no_credentials_endpoint", 3003, ["no credentials endpoint"]),
        ("garbage_credentials", 3001, ["invalid 2.2.1 credentials", "token"]),
        ("error_envelope", 3001, ["POST credentials", "OCPI 2001"]),
        ("html_500", 3001, ["HTTP 500", "not an OCPI response envelope"]),
        ("already_registered", 2000, ["already registered", "partners update"]),
        ("hang", 3001, ["timed out", "check the partner is up"]),
    ],
)
def test_failed_registration_reports_and_leaves_nothing(
    emsp: Server, behaviour: str, status: int, phrases: list[str]
) -> None:
    before = emsp.partners()
    with FakePartner(behaviour=behaviour, hang_seconds=2.5) as partner:
        result = emsp.cli("partners", "register", partner.versions_url, partner.accepted_token, check=False)
    assert result.returncode == 1, result.stdout
    assert f"OCPI {status}:" in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert partner.accepted_token not in result.stderr  # the Token A we were given is not echoed back
    assert emsp.partners() == before  # nothing half-written
    # A Token B we offered during a failed POST must not open anything on our side afterwards.
    for seen in partner.seen:
        if seen.method == "POST":
            token_b = __import__("json").loads(seen.body)["token"]
            assert emsp.get("/ocpi/versions", token_b).status_code == 401


def test_the_same_token_a_works_after_a_failed_attempt(emsp: Server) -> None:
    with FakePartner(behaviour="error_envelope") as partner:
        assert emsp.cli("partners", "register", partner.versions_url, partner.accepted_token,
                        check=False).returncode == 1
        partner.behaviour = "ok"
        emsp.cli("partners", "register", partner.versions_url, partner.accepted_token, "--name", "retry")
        token_b = partner.posted_credentials()["token"]
    rows = [p for p in emsp.partners() if p["name"] == "retry"]
    assert [r["status"] for r in rows] == ["REGISTERED"]
    assert rows[0]["outbound_token"] == "fake-token-c"
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 200


def test_unreachable_partner_says_what_to_check(emsp: Server) -> None:
    before = emsp.partners()
    with FakePartner() as partner:
        url = partner.versions_url
    # The fake is closed now: nothing listens on its port.
    result = emsp.cli("partners", "register", url, "fake-token-a", check=False)
    assert result.returncode == 1
    assert "OCPI 3001:" in result.stderr and "reachable" in result.stderr
    assert emsp.partners() == before


def test_bad_arguments_to_register_are_2001_naming_the_field(emsp: Server, tmp_path: Path) -> None:
    before = emsp.partners()
    admin = emsp.cli("admin-token").stdout.strip().split()[-1]
    response = httpx.post(f"{emsp.base}/admin/partners/register", json={"versions_url": 5, "token_a": "x"},
                          headers={"Authorization": f"Bearer {admin}"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert "`versions_url`" in response.json()["status_message"]
    missing = httpx.post(f"{emsp.base}/admin/partners/register", json={"versions_url": "http://x/versions"},
                         headers={"Authorization": f"Bearer {admin}"}, timeout=10)
    assert missing.status_code == 400 and "`token_a`" in missing.json()["status_message"]
    assert emsp.partners() == before


def test_no_token_in_the_server_log(emsp: Server) -> None:
    log = emsp.log.read_text()
    for secret in ("fake-token-a", "fake-token-c", base64.b64encode(b"fake-token-a").decode()):
        assert secret not in log


def test_registering_a_party_we_already_connect_to_is_refused_and_undone(
    platforms: tuple[Server, Server],
) -> None:
    _, emsp = platforms
    with FakePartner() as first, FakePartner() as second:  # both answer with the party BE*FAK
        emsp.cli("partners", "register", first.versions_url, first.accepted_token, "--name", "first")
        before = emsp.partners()
        result = emsp.cli("partners", "register", second.versions_url, second.accepted_token, check=False)
        assert result.returncode == 1
        assert "OCPI 2001:" in result.stderr and "BE*FAK" in result.stderr
        assert emsp.partners() == before
        # The second partner had registered us already; we told it we are gone again.
        deletes = [s for s in second.seen if s.method == "DELETE"]
        assert len(deletes) == 1 and deletes[0].path == "/ocpi/2.2.1/credentials"
        assert second.accepted_token == "nothing-is-accepted-any-more"
