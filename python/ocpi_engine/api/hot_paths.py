"""Hot paths answered by the header middleware without Litestar's routing, for the one call a driver waits on.

`POST /ocpi/2.2.1/emsp/tokens/{token_uid}/authorize` is answered here once the partner is authenticated: the
same function as the Litestar route (`api/v221/tokens.authorize_envelope`), so the bytes are the same; only
the per-request routing, dependency injection and Request object are skipped. The route stays registered (it
serves the OpenAPI document and any request this module declines). Errors get the same envelopes as
api/errors.py.

`GET /ocpi/2.2.1/cpo/locations` and `GET /ocpi/2.2.1/cpo/tariffs` (the CPO's Sender lists, the pages partners
crawl) are answered the same way with `api/pagination.list_page`, the function behind their Litestar routes: the
stored JSON spliced into the envelope, the same Link / X-Total-Count / X-Limit headers.

`HotPathApp` (the served ASGI app, api/asgi.py) goes one step further: it sends hot-path requests straight to the
header middleware, before Litestar's own router and exception layers. Inside a bare Litestar app (tests) the
middleware still takes the hot path after routing.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from litestar.datastructures import MultiDict

from ocpi_engine.models._base import utc_now_text
from ocpi_engine.api.envelope import list_envelope_bytes
from ocpi_engine.api.errors import error_answer
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.storage.base import OWN

__all__ = ["HotPathApp", "match_hot_path", "match_list_path", "answer_authorize", "answer_list"]


_AUTHORIZE = re.compile(r"^/ocpi/2\.2\.1/emsp/tokens/([^/]+)/authorize/?$")
_OWN_LISTS = re.compile(r"^/ocpi/2\.2\.1/cpo/(locations|tariffs)/?$")
MAX_BODY = 64 * 1024
"""A LocationReferences body is a few hundred bytes; anything above this is refused with 2001."""


def match_hot_path(scope: dict[str, Any], roles: tuple[str, ...]) -> str | None:
    """The token uid when the request is a 2.2.1 real-time authorization this platform serves, else None."""
    if scope["method"] != "POST" or "EMSP" not in roles:
        return None
    found = _AUTHORIZE.match(scope["path"])
    return found.group(1) if found else None


def match_list_path(scope: dict[str, Any], roles: tuple[str, ...]) -> str | None:
    """The module when the request is a 2.2.1 CPO Sender list GET of our own objects this platform serves."""
    if scope["method"] != "GET" or "CPO" not in roles:
        return None
    found = _OWN_LISTS.match(scope["path"])
    return found.group(1) if found else None


def _has_body(scope: dict[str, Any]) -> bool:
    """False when the request announces no body: `Content-Length: 0`, or HTTP/1.x with neither Content-Length nor
    Transfer-Encoding (RFC 9112 6.3). Then `receive` is not awaited at all: on granian each `receive` is a hand-off
    from its runtime thread to the event loop, a wake-up the answer would wait for to learn nothing."""
    length = chunked = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            chunked = value
    if chunked is not None:
        return True
    if length is not None:
        return length.strip() != b"0"
    return not str(scope.get("http_version", "1.1")).startswith("1")


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise InvalidParametersError(
                f"invalid field `body`: over {MAX_BODY} bytes; a LocationReferences object is small", field="body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def answer_authorize(scope: dict[str, Any], receive: Any, send: Any, token_uid: str) -> None:
    from ocpi_engine.api.v221.tokens import authorize_envelope

    try:
        body = await _read_body(receive) if _has_body(scope) else b""
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        kind = query.get("type", [None])[-1]
        service = scope["litestar_app"].state.tokens
        status, content = 200, await authorize_envelope(service, token_uid, kind, body)
    except Exception as exc:  # noqa: BLE001 - the answers of api/errors.py
        status, content = error_answer(exc, "POST", scope["path"])
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
    await send({"type": "http.response.body", "body": content})


_RESPONSES: dict[tuple[Any, ...], tuple[bytes, list[tuple[bytes, bytes]]]] = {}
"""Whole list answers (envelope up to the timestamp, headers) keyed by the store's change mark (which moves on
every write anywhere, so an entry is never served after one) and the request."""


async def answer_list(scope: dict[str, Any], send: Any, module: str) -> None:
    state = scope["litestar_app"].state
    mark = state.store.change_mark()
    key = (mark, module, scope.get("root_path", ""), scope["path"], scope.get("query_string", b""))
    if mark is not None:
        kept = _RESPONSES.get(key)
        if kept is not None:
            # the page as answered before (nothing was written since), with a fresh timestamp; sent in two parts
            # so the ~90 KB prefix is not copied per request
            prefix, headers = kept
            tail = b'"' + utc_now_text().encode() + b'"}'
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*headers, (b"content-length", str(len(prefix) + len(tail)).encode())]})
            await send({"type": "http.response.body", "body": prefix, "more_body": True})
            await send({"type": "http.response.body", "body": tail})
            return
    await _answer_list(scope, send, module, state, mark, key)


async def _answer_list(scope: dict[str, Any], send: Any, module: str, state: Any, mark: Any,
                       key: tuple[Any, ...]) -> None:
    from ocpi_engine.api.pagination import list_page

    headers = [(b"content-type", b"application/json")]
    try:
        # parsed as Litestar parses `request.query_params` (blank values kept, first value wins in `get`)
        params = MultiDict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                  keep_blank_values=True, separator="&"))
        path = scope.get("root_path", "") + scope["path"].rstrip("/")  # as Litestar's router leaves it
        joined, extra = await list_page(state.store, module, path, params, state.settings, partner_id=OWN)
        status, content = 200, list_envelope_bytes(joined)
        headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]
        if mark is not None and state.store.change_mark() == mark:
            if len(_RESPONSES) >= 256:
                _RESPONSES.clear()
            _RESPONSES[key] = (content[:content.rindex(b'"timestamp":') + len(b'"timestamp":')], list(headers))
    except Exception as exc:  # noqa: BLE001 - the answers of api/errors.py
        status, content = error_answer(exc, "GET", scope["path"])
    headers.append((b"content-length", str(len(content)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class HotPathApp:
    """The ASGI app granian serves: hot paths go to the header middleware directly, everything else to Litestar."""

    def __init__(self, app: Any) -> None:
        from ocpi_engine.api.middleware import OcpiHeadersMiddleware

        self.litestar = app
        self._middleware = OcpiHeadersMiddleware(app)
        self._roles: tuple[str, ...] = app.state.settings.roles

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (match_hot_path(scope, self._roles) is not None
                                        or match_list_path(scope, self._roles) is not None):
            scope["litestar_app"] = self.litestar
            # authenticated and answered by the middleware itself (a hot path never reaches Litestar's router)
            await self._middleware(scope, receive, send)
            return
        await self.litestar(scope, receive, send)
