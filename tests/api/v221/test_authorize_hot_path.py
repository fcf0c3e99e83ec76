"""The served ASGI app (`HotPathApp`) answers real-time authorization before Litestar's router: the same answers,
status codes, envelopes and echoed headers as the Litestar route, for every outcome."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.api.hot_paths import HotPathApp
from tests.conftest import auth

TOKENS = [
    {"country_code": "NL", "party_id": "OCE", "uid": "HOT1", "type": "RFID", "contract_id": "NL-OCE-C1",
     "issuer": "x", "valid": True, "whitelist": "NEVER", "last_updated": "2024-01-01T00:00:00Z"},
    {"country_code": "NL", "party_id": "OCE", "uid": "HOT2", "type": "APP_USER", "contract_id": "NL-OCE-C2",
     "issuer": "x", "valid": False, "whitelist": "NEVER", "last_updated": "2024-01-01T00:00:00Z"},
]


@pytest.fixture
async def both(app: Litestar, client: AsyncTestClient[Litestar]) -> AsyncIterator[tuple[Any, Any]]:
    """(the Litestar route through the test client, the served HotPathApp through httpx) on one app state."""
    from ocpi_engine.models.v221.tokens import token_decoder

    for token in TOKENS:
        await app.state.tokens.put(token_decoder.decode(json.dumps(token).encode()), partner_id=None)
    served = httpx.AsyncClient(transport=httpx.ASGITransport(app=HotPathApp(app)), base_url="https://ocpi.example.com")
    async with served:
        yield client, served


def comparable(response: httpx.Response) -> tuple[int, int, Any]:
    body = response.json()
    data = body.get("data")
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "authorization_reference"}
    return response.status_code, body["status_code"], data


CASES = [
    ("/ocpi/2.2.1/emsp/tokens/HOT1/authorize", None, 200, 1000),
    ("/ocpi/2.2.1/emsp/tokens/HOT1/authorize?type=RFID", {"location_id": "LOC1", "evse_uids": ["E1", "E2"]}, 200, 1000),
    ("/ocpi/2.2.1/emsp/tokens/HOT2/authorize?type=APP_USER", None, 200, 1000),  # BLOCKED is still 1000
    ("/ocpi/2.2.1/emsp/tokens/HOT2/authorize", None, 404, 2004),  # HOT2 is an APP_USER, not RFID
    ("/ocpi/2.2.1/emsp/tokens/NOPE/authorize", None, 404, 2004),
    ("/ocpi/2.2.1/emsp/tokens/HOT1/authorize?type=BADGE", None, 400, 2001),
    ("/ocpi/2.2.1/emsp/tokens/" + "X" * 37 + "/authorize", None, 400, 2001),
    ("/ocpi/2.2.1/emsp/tokens/HOT1/authorize", {"location_id": 5}, 400, 2001),
]


@pytest.mark.parametrize(("path", "body", "http_status", "status_code"), CASES)
async def test_same_answers_as_the_route(both: tuple[Any, Any], register_partner: Any, path: str, body: Any,
                                         http_status: int, status_code: int) -> None:
    route, served = both
    _, token = await register_partner(("CPO", "DE", "CPO"))
    headers = {**auth(token), "X-Request-ID": "hot-1", "X-Correlation-ID": "corr-1"}
    via_route = await route.post(path, json=body, headers=headers) if body is not None else \
        await route.post(path, headers=headers)
    via_hot = await served.post(path, json=body, headers=headers) if body is not None else \
        await served.post(path, headers=headers)
    assert comparable(via_hot) == comparable(via_route)
    assert (via_hot.status_code, via_hot.json()["status_code"]) == (http_status, status_code)
    assert via_hot.headers["x-request-id"] == "hot-1" and via_hot.headers["x-correlation-id"] == "corr-1"
    assert via_hot.headers["content-type"].startswith("application/json")


async def test_allowed_and_blocked(both: tuple[Any, Any], register_partner: Any) -> None:
    _, served = both
    _, token = await register_partner(("CPO", "DE", "CPO"))
    allowed = (await served.post("/ocpi/2.2.1/emsp/tokens/HOT1/authorize", headers=auth(token),
                                 json={"location_id": "LOC1", "evse_uids": ["E1"]})).json()["data"]
    assert allowed["allowed"] == "ALLOWED" and allowed["location"] == {"location_id": "LOC1", "evse_uids": ["E1"]}
    assert len(allowed["authorization_reference"]) == 24
    blocked = (await served.post("/ocpi/2.2.1/emsp/tokens/HOT2/authorize?type=APP_USER", headers=auth(token)))
    assert blocked.json()["data"]["allowed"] == "BLOCKED" and "authorization_reference" not in blocked.json()["data"]


async def test_authentication_is_still_required(both: tuple[Any, Any], token_a: Any) -> None:
    _, served = both
    path = "/ocpi/2.2.1/emsp/tokens/HOT1/authorize"
    missing = await served.post(path)
    assert (missing.status_code, missing.json()["status_code"]) == (401, 2000)
    unknown = await served.post(path, headers=auth("not-a-token"))
    assert unknown.status_code == 401
    registration = await served.post(path, headers=auth(await token_a()))
    assert registration.status_code == 401 and "registration token" in registration.json()["status_message"]


async def test_oversized_body_is_refused(both: tuple[Any, Any], register_partner: Any) -> None:
    _, served = both
    _, token = await register_partner()
    big = {"location_id": "L", "evse_uids": ["E" * 36] * 3000}
    response = await served.post("/ocpi/2.2.1/emsp/tokens/HOT1/authorize", json=big, headers=auth(token))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert "body" in response.json()["status_message"]


async def test_other_paths_go_to_litestar(both: tuple[Any, Any], register_partner: Any) -> None:
    _, served = both
    _, token = await register_partner()
    assert (await served.get("/ocpi/2.2.1", headers=auth(token))).json()["data"]["version"] == "2.2.1"
    assert (await served.get("/ocpi/2.2.1/emsp/tokens/HOT1/authorize", headers=auth(token))).status_code == 405


async def test_a_chunked_body_is_read(both: tuple[Any, Any], register_partner: Any) -> None:
    _, served = both
    _, token = await register_partner(("CPO", "DE", "CPO"))

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent with Transfer-Encoding: chunked
        yield b'{"location_id": "LOC9", '
        yield b'"evse_uids": ["E9"]}'

    response = await served.post("/ocpi/2.2.1/emsp/tokens/HOT1/authorize", headers=auth(token), content=chunks())
    assert response.json()["data"]["location"] == {"location_id": "LOC9", "evse_uids": ["E9"]}


@pytest.mark.parametrize(("http_version", "extra_headers", "reads_body"), [
    ("1.1", [(b"content-length", b"0")], False),
    ("1.1", [], False),  # HTTP/1.1 without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3)
    ("2", [], True),  # HTTP/2 frames may carry a body without Content-Length: read it
    ("1.1", [(b"content-length", b"44")], True),
])
async def test_receive_is_awaited_only_when_a_body_is_announced(
        app: Litestar, both: tuple[Any, Any], register_partner: Any, http_version: str,
        extra_headers: list[tuple[bytes, bytes]], reads_body: bool) -> None:
    _, token = await register_partner(("CPO", "DE", "CPO"))
    body = b'{"location_id": "LOC1", "evse_uids": ["E1"]}'
    received: list[str] = []

    async def receive() -> dict[str, Any]:
        received.append("receive")
        return {"type": "http.request", "body": body, "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in auth(token).items()] + extra_headers
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": http_version, "method": "POST",
             "scheme": "http", "path": "/ocpi/2.2.1/emsp/tokens/HOT1/authorize",
             "raw_path": b"/ocpi/2.2.1/emsp/tokens/HOT1/authorize", "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}
    await HotPathApp(app)(scope, receive, send)
    assert sent[0]["status"] == 200
    data = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["data"]
    assert bool(received) == reads_body
    assert data["allowed"] == "ALLOWED" and ("location" in data) == reads_body
