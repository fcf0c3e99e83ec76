"""Pagination of Sender list endpoints (transport.md section 8), through the HTTP layer."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.api import registry
from ocpi_engine.api.app import create_app
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth

URL = "/ocpi/2.2.1/cpo/things"


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    monkeypatch.setattr(registry, "MODULES", [*registry.MODULES, "tests.api.sample_module"])
    settings.page_size = 10
    return create_app(settings)


async def seed(app: Litestar, count: int, *, day: int = 1) -> None:
    records = [
        ObjectRecord(
            module="things", country_code="NL", party_id="OCE", id=f"T{i:05d}",
            last_updated=f"2024-01-{day + (i % 3):02d}T00:00:00.000000Z",
            body=msgspec.json.encode({"id": f"T{i:05d}", "n": i}),
        )
        for i in range(count)
    ]
    await app.state.store.put_objects(records)


async def crawl(client: AsyncTestClient[Litestar], token: str, url: str, limit_pages: int = 100) -> list[int]:
    seen: list[int] = []
    for _ in range(limit_pages):
        response = await client.get(url, headers=auth(token))
        assert response.status_code == 200, response.text
        seen += [item["n"] for item in response.json()["data"]]
        link = response.headers.get("link")
        if link is None:
            return seen
        assert link.endswith('>; rel="next"')
        absolute = link[1: link.index(">")]
        assert absolute.startswith("https://ocpi.example.com/ocpi/2.2.1/cpo/things?")
        url = absolute.removeprefix("https://ocpi.example.com")
    raise AssertionError("crawl did not end")


async def test_empty_list_has_no_link(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, token = await register_partner()
    response = await client.get(URL, headers=auth(token))
    assert response.json()["data"] == []
    assert "link" not in response.headers
    assert response.headers["x-total-count"] == "0"
    assert response.headers["x-limit"] == "10"


@pytest.mark.parametrize("count", [1, 9, 10, 11, 20, 35])
async def test_following_links_returns_everything_once(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, count: int
) -> None:
    _, token = await register_partner()
    await seed(app, count)
    assert await crawl(client, token, URL) == list(range(count))


async def test_exact_multiple_of_page_size_ends_without_link(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    await seed(app, 20)
    first = await client.get(URL, headers=auth(token))
    second_url = first.headers["link"][1: first.headers["link"].index(">")].removeprefix("https://ocpi.example.com")
    second = await client.get(second_url, headers=auth(token))
    assert len(second.json()["data"]) == 10
    assert "link" not in second.headers


async def test_limit_above_maximum_is_capped(app: Litestar, client: AsyncTestClient[Litestar],
                                             register_partner: Any) -> None:
    _, token = await register_partner()
    await seed(app, 25)
    response = await client.get(f"{URL}?limit=2000", headers=auth(token))
    assert len(response.json()["data"]) == 10
    assert response.headers["x-limit"] == "10"
    query = parse_qs(urlparse(response.headers["link"][1:-13]).query)
    assert query["limit"] == ["10"] and query["offset"] == ["10"]


async def test_date_window_is_inclusive_from_exclusive_to_and_repeated_in_link(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    await seed(app, 60)  # last_updated: Jan 1, 2, 3 in turn
    url = f"{URL}?date_from=2024-01-02T00:00:00Z&date_to=2024-01-03T00:00:00Z&limit=5"
    response = await client.get(url, headers=auth(token))
    assert response.headers["x-total-count"] == "20"
    query = parse_qs(urlparse(response.headers["link"][1:-13]).query)
    assert query["date_from"] == ["2024-01-02T00:00:00Z"]
    assert query["date_to"] == ["2024-01-03T00:00:00Z"]
    seen = await crawl(client, token, url)
    assert seen == [i for i in range(60) if i % 3 == 1]


async def test_plain_offset_urls_still_work(app: Litestar, client: AsyncTestClient[Litestar],
                                            register_partner: Any) -> None:
    _, token = await register_partner()
    await seed(app, 30)
    response = await client.get(f"{URL}?offset=25&limit=3", headers=auth(token))
    assert [x["n"] for x in response.json()["data"]] == [25, 26, 27]
    assert response.headers["x-total-count"] == "30"


async def test_objects_updated_during_the_crawl_do_not_shift_later_pages(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    """With date_to, an object updated mid-crawl leaves the window; keyset paging skips nothing else."""
    _, token = await register_partner()
    await seed(app, 30)
    url = f"{URL}?date_to=2024-02-01T00:00:00Z"
    first = await client.get(url, headers=auth(token))
    assert [x["n"] for x in first.json()["data"]] == list(range(10))
    store = app.state.store
    moved = await store.get_object("things", "NL", "OCE", "T00003")
    await store.put_object(msgspec.structs.replace(moved, last_updated="2024-03-01T00:00:00.000000Z"))
    rest = await crawl(client, token, first.headers["link"][1: first.headers["link"].index(">")]
                       .removeprefix("https://ocpi.example.com"))
    assert rest == list(range(10, 30))
