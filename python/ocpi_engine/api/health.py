"""Health endpoint: checks the store and the cache; 503 when the store is down (the cache is optional)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from ocpi_engine.api.envelope import encoder


@get("/health", tags=["operations"])
async def health(request: Request[Any, Any, Any]) -> Response[bytes]:
    store_ok = await request.app.state.store.ping()
    cache = request.app.state.cache
    cache_ok = await cache.ping()
    body = {
        "status": "ok" if store_ok and cache_ok else ("degraded" if store_ok else "down"),
        "store": "ok" if store_ok else "down",
        "cache": {"backend": cache.name, "status": "ok" if cache_ok else "down"},
    }
    return Response(content=encoder.encode(body), status_code=200 if store_ok else 503, media_type="application/json")
