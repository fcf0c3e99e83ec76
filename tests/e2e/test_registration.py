"""Two real servers register with each other through the CLI, rotate tokens and unregister (credentials.md)."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def registered(server: Server) -> dict[str, object]:
    rows = [p for p in server.partners() if p["status"] == "REGISTERED"]
    assert len(rows) == 1, rows
    return rows[0]


def test_register_rotate_unregister(platforms: tuple[Server, Server]) -> None:
    cpo, emsp = platforms
    added = json.loads(cpo.cli("partners", "add", "the eMSP", "--json").stdout)
    token_a = added["token_a"]
    assert added["versions_url"] == f"{cpo.base}/ocpi/versions"

    emsp.cli("partners", "register", added["versions_url"], token_a, "--name", "the CPO")

    at_cpo, at_emsp = registered(cpo), registered(emsp)
    # Each side stored the other's token for outbound calls and only a hash of the token it accepts.
    token_c = at_emsp["outbound_token"]  # the CPO issued it; the eMSP presents it
    token_b = at_cpo["outbound_token"]  # the eMSP issued it; the CPO presents it
    assert at_cpo["incoming_token_hash"] == sha(token_c)
    assert at_emsp["incoming_token_hash"] == sha(token_b)
    assert json.loads(at_cpo["roles"])[0] | {"business_details": None} == {
        "role": "EMSP", "country_code": "NL", "party_id": "EMB", "business_details": None}
    assert {r["role"] for r in json.loads(at_emsp["roles"])} == {"CPO"}
    assert at_cpo["version"] == at_emsp["version"] == "2.2.1"
    assert any(e["identifier"] == "credentials" for e in json.loads(at_emsp["endpoints"]))
    assert cpo.get("/ocpi/2.2.1/credentials", token_c).status_code == 200
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 200
    assert cpo.get("/ocpi/versions", token_a).status_code == 401  # Token A is dead

    partner_id = str(at_emsp["id"])
    emsp.cli("partners", "update", partner_id)
    at_cpo2, at_emsp2 = registered(cpo), registered(emsp)
    new_c, new_b = at_emsp2["outbound_token"], at_cpo2["outbound_token"]
    assert new_c != token_c and new_b != token_b
    assert cpo.get("/ocpi/2.2.1/credentials", token_c).status_code == 401
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 401
    assert cpo.get("/ocpi/2.2.1/credentials", new_c).status_code == 200
    assert emsp.get("/ocpi/2.2.1/credentials", new_b).status_code == 200

    emsp.cli("partners", "remove", partner_id)
    assert cpo.get("/ocpi/2.2.1/credentials", new_c).status_code == 401
    assert emsp.get("/ocpi/2.2.1/credentials", new_b).status_code == 401
    assert [p["status"] for p in cpo.partners() if p["name"] == "the eMSP"] == ["UNREGISTERED"]

    listing = cpo.cli("partners", "list").stdout
    assert "UNREGISTERED" in listing
    for server in (cpo, emsp):
        log = server.log.read_text()
        for secret in (token_a, token_b, token_c, new_b, new_c):
            assert secret not in log, f"a token leaked into {server.name}'s log"


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = b'{"data": [{"version": "2.2.1", "url": "' + self.server.base.encode() + b'/details"}], ' \
               b'"status_code": 1000}' if self.path == "/versions" else b"\x00garbage<html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_registering_with_a_garbage_partner_fails_cleanly(platforms: tuple[Server, Server], tmp_path: Path) -> None:
    _, emsp = platforms
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        before = emsp.partners()
        result = emsp.cli("partners", "register", f"{httpd.base}/versions", "some-token-a", check=False)  # type: ignore[attr-defined]
        assert result.returncode == 1
        assert "OCPI 3001" in result.stderr
        assert "not an OCPI response envelope" in result.stderr
        assert emsp.partners() == before  # nothing half-written
    finally:
        httpd.shutdown()


def test_register_without_our_server_says_what_to_do(tmp_path: Path) -> None:
    server = Server(tmp_path, "offline", "OFF", "EMSP")
    result = server.cli("partners", "register", "http://127.0.0.1:9/versions", "tok", check=False)
    assert result.returncode == 1
    assert "start it with `ocpi-engine serve`" in result.stderr
