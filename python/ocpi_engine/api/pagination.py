"""Paginated list GET for every OCPI Sender list endpoint (transport.md section 8).

- `date_from` inclusive, `date_to` exclusive on last_updated; `offset`/`limit`; results ordered by creation.
- `Link: <...>; rel="next"` only when more objects follow: absolute (public base URL from settings, so it is
  right behind a proxy), repeating every filter, with the next `offset` and a keyset `cursor` (the last
  creation sequence number): following Links costs the same on page 1 and page 10,000, and an object
  updated during the crawl does not shift later pages. Clients that build `offset` URLs themselves still work.
- `X-Total-Count`: objects matching the filters that this client may see; `X-Limit`: the server maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response

from ocpi_engine.api.envelope import ocpi_list_response
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models._base import normalize_datetime
from ocpi_engine.storage.base import ANY, Page, Store

__all__ = ["ListQuery", "parse_list_params", "parse_list_query", "page_headers", "paginated_response", "list_page",
           "list_objects"]


class ListQuery:
    __slots__ = ("date_from", "date_to", "offset", "limit", "cursor", "raw_date_from", "raw_date_to")

    def __init__(self, date_from: str | None, date_to: str | None, offset: int, limit: int, cursor: int | None,
                 raw_date_from: str | None, raw_date_to: str | None) -> None:
        self.date_from = date_from
        self.date_to = date_to
        self.offset = offset
        self.limit = limit
        self.cursor = cursor
        self.raw_date_from = raw_date_from
        self.raw_date_to = raw_date_to


def _int_param(params: Any, name: str, default: int | None, minimum: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParametersError(f"invalid parameter `{name}`: {raw!r} is not an integer", field=name) from None
    if value < minimum:
        raise InvalidParametersError(f"invalid parameter `{name}`: must be >= {minimum}", field=name)
    return value


def _date_param(params: Any, name: str) -> tuple[str | None, str | None]:
    raw = params.get(name)
    if raw is None or raw == "":
        return None, None
    try:
        return normalize_datetime(raw), raw
    except ValueError:
        raise InvalidParametersError(
            f"invalid parameter `{name}`: {raw!r} is not an OCPI DateTime (e.g. 2024-01-01T00:00:00Z)", field=name
        ) from None


def parse_list_params(params: Any, max_limit: int, *, require_date_from: bool = False) -> ListQuery:
    """The list query from query parameters (a MultiDict: `get` gives the first value, `items` every pair)."""
    date_from, raw_from = _date_param(params, "date_from")
    date_to, raw_to = _date_param(params, "date_to")
    if require_date_from and date_from is None:
        raise InvalidParametersError("missing parameter `date_from` (required for this list)", field="date_from")
    offset = _int_param(params, "offset", 0, 0) or 0
    limit = min(_int_param(params, "limit", max_limit, 1) or max_limit, max_limit)
    cursor = _int_param(params, "cursor", None, 0)
    return ListQuery(date_from, date_to, offset, limit, cursor, raw_from, raw_to)


def parse_list_query(request: Request[Any, Any, Any], max_limit: int, *, require_date_from: bool = False) -> ListQuery:
    return parse_list_params(request.query_params, max_limit, require_date_from=require_date_from)


def page_headers(path: str, params: Any, query: ListQuery, page: Page, max_limit: int,
                 public_url: str) -> dict[str, str]:
    """X-Total-Count, X-Limit and, when more objects follow, the absolute Link to the next page."""
    headers = {"X-Total-Count": str(page.total), "X-Limit": str(max_limit)}
    if page.next_cursor is not None:
        link: dict[str, Any] = {}
        if query.raw_date_from is not None:
            link["date_from"] = query.raw_date_from
        if query.raw_date_to is not None:
            link["date_to"] = query.raw_date_to
        link["offset"] = query.offset + len(page.items) + len(page.bodies)
        link["limit"] = query.limit
        link["cursor"] = page.next_cursor
        for key, value in params.items():
            if key not in ("date_from", "date_to", "offset", "limit", "cursor"):
                link[key] = value
        headers["Link"] = f'<{public_url}{path}?{urlencode(link)}>; rel="next"'
    return headers


def paginated_response(
    request: Request[Any, Any, Any], query: ListQuery, page: Page, max_limit: int, public_url: str,
    bodies: Sequence[bytes] | None = None,
) -> Response[bytes]:
    """The list response for a page: envelope + Link / X-Total-Count / X-Limit headers."""
    headers = page_headers(request.url.path, request.query_params, query, page, max_limit, public_url)
    items = bodies if bodies is not None else page.bodies or [item.body for item in page.items]
    return ocpi_list_response(items, headers=headers)


async def list_page(
    store: Store,
    module: str,
    path: str,
    params: Any,
    settings: Any,
    *,
    partner_id: Any = ANY,
    parties: Sequence[tuple[str, str]] | None = None,
    token_parties: Sequence[tuple[str, str]] | None = None,
    require_date_from: bool = False,
) -> tuple[bytes, dict[str, str]]:
    """One Sender list page: the stored bodies joined with commas (the `data` array's content, for
    `envelope.list_envelope_bytes`) and its headers. Shared by the Litestar route (`list_objects`) and the ASGI hot
    path (api/hot_paths.py), so both answer the same. A page is kept until the next write to the store (by any
    process): a crawl or many partners asking for the same page read it once."""
    mark = store.change_mark()
    key: tuple[Any, ...] | None = None
    if mark is not None:
        items = getattr(params, "multi_items", params.items)
        key = (mark, module, path, tuple(items()), repr(partner_id), _frozen(parties), _frozen(token_parties),
               require_date_from, settings.page_size, settings.public_url)
        kept = _PAGES.get(key)
        if kept is not None:
            return kept[0], dict(kept[1])
    joined, headers = await _list_page(store, module, path, params, settings, partner_id=partner_id, parties=parties,
                                       token_parties=token_parties, require_date_from=require_date_from)
    if key is not None and store.change_mark() == mark:  # nothing was written meanwhile
        if len(_PAGES) >= _PAGES_KEPT:
            _PAGES.clear()
        _PAGES[key] = (joined, dict(headers))
    return joined, headers


_PAGES: dict[tuple[Any, ...], tuple[bytes, dict[str, str]]] = {}
"""List pages of this process keyed by the store's `change_mark` (it moves on any write anywhere) and the query."""
_PAGES_KEPT = 512


def _frozen(parties: Sequence[tuple[str, str]] | None) -> tuple[tuple[str, str], ...] | None:
    return None if parties is None else tuple(sorted(parties))


async def _list_page(
    store: Store,
    module: str,
    path: str,
    params: Any,
    settings: Any,
    *,
    partner_id: Any,
    parties: Sequence[tuple[str, str]] | None,
    token_parties: Sequence[tuple[str, str]] | None,
    require_date_from: bool,
) -> tuple[bytes, dict[str, str]]:
    query = parse_list_params(params, settings.page_size, require_date_from=require_date_from)
    page = await store.list_objects(
        module,
        partner_id=partner_id,
        parties=parties,
        token_parties=token_parties,
        date_from=query.date_from,
        date_to=query.date_to,
        offset=query.offset,
        after_seq=query.cursor,
        limit=query.limit,
        bodies_only=True,
    )
    return b",".join(page.bodies), page_headers(
        path, params, query, page, settings.page_size, settings.public_url)


async def list_objects(
    request: Request[Any, Any, Any],
    store: Store,
    module: str,
    *,
    partner_id: Any = ANY,
    parties: Sequence[tuple[str, str]] | None = None,
    token_parties: Sequence[tuple[str, str]] | None = None,
    require_date_from: bool = False,
) -> Response[bytes]:
    """The whole Sender list GET for stored objects of `module` in one call."""
    joined, headers = await list_page(
        store, module, request.url.path, request.query_params, request.app.state.settings, partner_id=partner_id,
        parties=parties, token_parties=token_parties, require_date_from=require_date_from)
    return ocpi_list_response([joined], headers=headers)
