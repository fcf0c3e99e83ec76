"""Drive an ASGI app in-process (no sockets): the same driver for every app compared, so ratios show app cost."""

from __future__ import annotations

import asyncio
from typing import Any


class AsgiDriver:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def startup(self) -> None:
        messages = [{"type": "lifespan.startup"}]
        self._lifespan_task = self.loop.create_task(self._lifespan(messages))
        self.loop.run_until_complete(asyncio.sleep(0.05))

    async def _lifespan(self, messages: list[dict[str, Any]]) -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for m in messages:
            queue.put_nowait(m)

        async def send(message: dict[str, Any]) -> None:
            return None

        await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, queue.get, send)

    def get(self, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._request("GET", path, headers))

    async def _request(self, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
            "state": {},
        }
        status = 0
        body = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(body)
