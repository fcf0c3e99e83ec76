"""Bad input through a real granian server: every malformed body is HTTP 400 with OCPI 2001 naming the field,
never a 500, and changes nothing; every request leaves one structured access-log line without the token."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    platform = Server(tmp_path_factory.mktemp("bad-input"), "cpo", "CPA", "CPO")
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()


@pytest.fixture(scope="module")
def token_a(server: Server) -> str:
    return str(json.loads(server.cli("partners", "add", "prober", "--json").stdout)["token_a"])


def valid() -> dict[str, Any]:
    return {"token": "partner-token", "url": "http://127.0.0.1:9/versions",
            "roles": [{"role": "EMSP", "party_id": "ABC", "country_code": "DE",
                       "business_details": {"name": "Partner", "website": "https://partner.example.com"}}]}


def post(server: Server, token: str, content: bytes) -> httpx.Response:
    return httpx.post(f"{server.base}/ocpi/2.2.1/credentials", content=content, timeout=10,
                      headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00",
        b'{"token": "abc"',
        b"[" * 20_000 + b"]" * 20_000,
        b"null",
        b'"a string"',
        b"[]",
    ],
    ids=["broken", "empty", "not-utf8", "truncated", "deeply-nested", "null", "string", "array"],
)
def test_bodies_that_are_not_a_credentials_object_are_400(server: Server, token_a: str, content: bytes) -> None:
    response = post(server, token_a, content)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 2001
    assert body["status_message"]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$", body["timestamp"])  # DateTime string(25)


def _set(path: list[Any], value: Any) -> Any:
    def mutate(body: dict[str, Any]) -> None:
        target: Any = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_set(["token"], 12345), "token"),
        (_set(["token"], "t" * 65), "token"),
        (_set(["url"], "not a url"), "url"),
        (_set(["url"], "http://x/" + "p" * 300), "url"),
        (_set(["roles"], {"role": "EMSP"}), "roles"),
        (_set(["roles", 0, "role"], "PIRATE"), "roles[0].role"),
        (_set(["roles", 0, "role"], "emsp"), "roles[0].role"),
        (_set(["roles", 0, "party_id"], "ABCD"), "roles[0].party_id"),
        (_set(["roles", 0, "country_code"], 49), "roles[0].country_code"),
        (_set(["roles", 0, "business_details", "name"], "n" * 101), "roles[0].business_details.name"),
        (_set(["roles", 0, "business_details", "name"], None), "roles[0].business_details.name"),
        (_set(["roles", 0, "business_details", "logo"], {"url": "x", "category": "SELFIE", "type": "png"}),
         "roles[0].business_details.logo"),
    ],
)
def test_invalid_fields_are_2001_naming_the_field(server: Server, token_a: str, mutate: Any, field: str) -> None:
    body = valid()
    mutate(body)
    response = post(server, token_a, json.dumps(body).encode())
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 2001
    assert f"`{field}" in response.json()["status_message"], response.json()["status_message"]


def test_bad_input_changed_nothing_and_token_a_still_works(server: Server, token_a: str) -> None:
    for _ in range(3):
        post(server, token_a, b"{broken")
    rows = [p for p in server.partners() if p["name"] == "prober"]
    assert [(r["status"], r["outbound_token"]) for r in rows] == [("PENDING", None)]
    assert httpx.get(f"{server.base}/ocpi/2.2.1/credentials", headers={"Authorization": f"Token {token_a}"},
                     timeout=10).status_code == 200


def test_wrong_methods_and_unknown_paths(server: Server, token_a: str) -> None:
    auth = {"Authorization": f"Token {token_a}"}
    unknown = httpx.get(f"{server.base}/ocpi/2.2.1/nothing-here", headers=auth, timeout=10)
    assert unknown.status_code == 404  # no such route: an OCPI envelope, not an HTML page
    assert unknown.json()["status_code"] == 2000
    patch = httpx.patch(f"{server.base}/ocpi/2.2.1/credentials", headers=auth, content=b"{}", timeout=10)
    assert patch.status_code == 405
    assert patch.json()["status_code"] == 2000
    # PUT and DELETE before registering are credentials misuse: 405 (credentials.md).
    assert httpx.put(f"{server.base}/ocpi/2.2.1/credentials", headers=auth, content=json.dumps(valid()),
                     timeout=10).status_code == 405
    assert httpx.delete(f"{server.base}/ocpi/2.2.1/credentials", headers=auth, timeout=10).status_code == 405


def test_one_structured_log_line_per_request_without_the_token(server: Server, token_a: str) -> None:
    headers = {"Authorization": f"Token {token_a}", "X-Request-ID": "e2e-request-1",
               "X-Correlation-ID": "e2e-correlation-1", "OCPI-from-country-code": "DE", "OCPI-from-party-id": "ABC",
               "OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPA"}
    response = httpx.get(f"{server.base}/ocpi/versions", headers=headers, timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "e2e-request-1"
    assert response.headers["X-Correlation-ID"] == "e2e-correlation-1"
    assert (response.headers["OCPI-to-country-code"], response.headers["OCPI-to-party-id"]) == ("DE", "ABC")
    assert (response.headers["OCPI-from-country-code"], response.headers["OCPI-from-party-id"]) == ("NL", "CPA")

    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + 5
    while not lines and time.monotonic() < deadline:
        lines = [json.loads(line[line.index("{"):]) for line in server.log.read_text().splitlines()
                 if "e2e-request-1" in line]
        time.sleep(0.05)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["request_id"] == "e2e-request-1" and line["correlation_id"] == "e2e-correlation-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/ocpi/versions", 200)
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    prober = next(p for p in server.partners() if p["name"] == "prober")
    assert line["partner"] == prober["id"]
    assert token_a not in server.log.read_text()

    generated = httpx.get(f"{server.base}/health", timeout=10)
    assert len(generated.headers["X-Request-ID"]) >= 16 and generated.headers["X-Correlation-ID"]
