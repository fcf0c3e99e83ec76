"""An in-memory OCPI partner for credentials tests: answers versions, version details and records calls."""

from __future__ import annotations

import json
from typing import Any

import httpx

BASE = "https://partner.example.com"


class FakePartner:
    def __init__(self, *, version: str = "2.2.1", endpoints: list[dict[str, Any]] | None = None,
                 versions_status: int = 200, garbage: bool = False) -> None:
        self.version = version
        self.endpoints = endpoints if endpoints is not None else [
            {"identifier": "credentials", "role": "SENDER", "url": f"{BASE}/ocpi/{version}/credentials"},
            {"identifier": "locations", "role": "RECEIVER", "url": f"{BASE}/ocpi/{version}/emsp/locations"},
        ]
        if version == "2.1.1":
            for ep in self.endpoints:
                ep.pop("role", None)
        self.versions_status = versions_status
        self.garbage = garbage
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.garbage:
            return httpx.Response(200, content=b"<html>surprise</html>")
        path = request.url.path
        if path == "/versions":
            body = {"data": [{"version": self.version, "url": f"{BASE}/ocpi/{self.version}"}],
                    "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}
            return httpx.Response(self.versions_status, content=json.dumps(body).encode())
        if path == f"/ocpi/{self.version}":
            body = {"data": {"version": self.version, "endpoints": self.endpoints},
                    "status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}
            return httpx.Response(200, content=json.dumps(body).encode())
        return httpx.Response(404, content=b'{"status_code": 2000, "timestamp": "2024-01-01T00:00:00Z"}')

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def credentials_body(token: str = "partner-token-b", version: str = "2.2.1", party_id: str = "ABC") -> dict[str, Any]:
    if version == "2.1.1":
        return {"token": token, "url": f"{BASE}/versions", "party_id": party_id, "country_code": "DE",
                "business_details": {"name": "Partner"}}
    return {"token": token, "url": f"{BASE}/versions",
            "roles": [{"role": "EMSP", "party_id": party_id, "country_code": "DE",
                       "business_details": {"name": "Partner"}}]}
