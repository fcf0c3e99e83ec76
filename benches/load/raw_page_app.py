"""Ceiling for the locations load run: a bare ASGI callable (no framework) answering every request with the same
prebuilt envelope of the 50 locations. What granian, loopback and wrk cost for a response of this size."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locations_data import location  # noqa: E402

_BODY = json.dumps({"data": [location(i) for i in range(50)], "status_code": 1000, "status_message": "Success",
                    "timestamp": "2024-01-01T00:00:00Z"}, separators=(",", ":")).encode()
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
