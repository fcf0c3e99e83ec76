"""Transport overhead: an authenticated GET of version details through the full app, next to a bare Litestar
handler returning the same bytes, both driven in-process by the same ASGI driver (same run, same machine).

    .venv/bin/python -m pytest benches/python/test_transport_bench.py --benchmark-enable -q

The ratio full/bare is what our auth guard, header middleware, envelope and access log cost per request.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Response, get

from ocpi_engine.api.app import create_app
from ocpi_engine.services.partners import new_token, token_hash
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import PartnerRecord

from asgi_driver import AsgiDriver  # type: ignore[import-not-found]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[AsgiDriver, list[tuple[bytes, bytes]], bytes]:
    logging.getLogger("ocpi_engine.access").setLevel(logging.INFO)
    logging.getLogger("ocpi_engine.access").addHandler(logging.NullHandler())
    path: Path = tmp_path_factory.mktemp("bench") / "bench.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{path}", admin_token="x"))
    driver = AsgiDriver(app)
    driver.startup()
    token = new_token()
    driver.loop.run_until_complete(app.state.store.create_partner(PartnerRecord(
        id=0, name="bench", status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(token),
        roles=[{"role": "EMSP", "country_code": "DE", "party_id": "ABC"}])))
    headers = [(b"authorization", b"Token " + base64.b64encode(token.encode())),
               (b"x-request-id", b"bench-req"), (b"x-correlation-id", b"bench-corr")]
    status, body = driver.get("/ocpi/2.2.1", headers)
    assert status == 200, body
    return driver, headers, body


def test_version_details_full_app(benchmark: Any, full: tuple[AsgiDriver, list[Any], bytes]) -> None:
    driver, headers, expected = full
    benchmark.group = "transport: GET /ocpi/2.2.1"
    status, body = benchmark(driver.get, "/ocpi/2.2.1", headers)
    assert status == 200 and b'"version":"2.2.1"' in body
    benchmark.extra_info["correct"] = body[:40] == expected[:40]


def test_version_details_bare_litestar(benchmark: Any, full: tuple[AsgiDriver, list[Any], bytes]) -> None:
    _, headers, payload = full

    @get("/ocpi/2.2.1", sync_to_thread=False)
    def details() -> Response[bytes]:
        return Response(content=payload, media_type="application/json")

    driver = AsgiDriver(Litestar(route_handlers=[details], logging_config=None))
    benchmark.group = "transport: GET /ocpi/2.2.1"
    status, body = benchmark(driver.get, "/ocpi/2.2.1", headers)
    assert status == 200 and body == payload
