"""The CPO Sender lists answered on the ASGI hot path (api/hot_paths.py `answer_list`) give the same status, body
and paging headers as their Litestar routes, for valid and invalid queries, inside the Litestar app (after
routing) and in `HotPathApp` (what granian serves, before routing)."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.api import middleware
from ocpi_engine.api.hot_paths import HotPathApp
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth

QUERIES = [
    "", "?limit=3", "?offset=4&limit=3", "?offset=12", "?offset=99", "?limit=500",
    "?date_from=2024-01-02T00:00:00Z&limit=2", "?date_from=2024-01-02T00:00:00Z&date_to=2024-01-03T00:00:00Z",
    "?limit=2&limit=5&foo=bar&foo=baz&empty=", "?cursor=3&offset=2&limit=4", "?limit=abc", "?limit=0",
    "?offset=-1", "?date_from=yesterday", "?cursor=x",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.page_size = 10
    return settings


async def _seed(app: Litestar) -> None:
    records = [
        ObjectRecord(module=module, country_code="NL", party_id="OCE", id=f"X{i:03d}",
                     last_updated=f"2024-01-{1 + i % 3:02d}T00:00:00.000000Z",
                     body=msgspec.json.encode({"id": f"X{i:03d}", "n": i}), partner_id=None if i % 5 else 9)
        for module in ("locations", "tariffs") for i in range(25)
    ]
    await app.state.store.put_objects(records)


def _comparable(response: httpx.Response) -> tuple[Any, ...]:
    body = response.json()
    body.pop("timestamp")
    headers = {name: response.headers.get(name) for name in ("content-type", "x-total-count", "x-limit", "link")}
    return response.status_code, body, headers


def _before_timestamp(response: httpx.Response) -> bytes:
    return response.content.split(b',"timestamp":')[0]


async def test_hot_path_answers_like_the_route(app: Litestar, client: AsyncTestClient[Litestar],
                                               register_partner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    await _seed(app)
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    paths = [f"/ocpi/2.2.1/cpo/{module}{slash}" for module in ("locations", "tariffs") for slash in ("", "/")]
    hot = {}
    for path in paths:
        for query in QUERIES:
            hot[path + query] = await client.get(path + query, headers=auth(token))
    served = HotPathApp(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=served),
                                 base_url="https://ocpi.example.com") as direct:
        for url, response in hot.items():
            before_routing = await direct.get(url, headers=auth(token))
            assert _comparable(before_routing) == _comparable(response), url
            assert _before_timestamp(before_routing) == _before_timestamp(response), url
    monkeypatch.setattr(middleware, "match_list_path", lambda scope, roles: None)  # the Litestar routes answer
    for url, response in hot.items():
        route = await client.get(url, headers=auth(token))
        assert _comparable(route) == _comparable(response), url
        assert _before_timestamp(route) == _before_timestamp(response), url
    assert hot["/ocpi/2.2.1/cpo/locations?limit=3"].json()["data"] == [{"id": f"X{i:03d}", "n": i} for i in (1, 2, 3)]
    assert hot["/ocpi/2.2.1/cpo/locations?limit=abc"].status_code == 400


async def test_hot_path_refuses_like_the_middleware(app: Litestar, client: AsyncTestClient[Litestar]) -> None:
    await _seed(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=HotPathApp(app)),
                                 base_url="https://ocpi.example.com") as direct:
        missing = await direct.get("/ocpi/2.2.1/cpo/locations")
        wrong = await direct.get("/ocpi/2.2.1/cpo/locations", headers=auth("not-a-token"))
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["status_code"] == 2000 and "data" not in missing.json()
