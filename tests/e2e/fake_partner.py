"""A tiny OCPI partner on a loopback port (stdlib HTTP server in a thread) for end-to-end registration tests.

It answers versions, version details and the credentials module for one OCPI version, records every request
(method, path, Authorization header, body), and can misbehave in the ways a real partner does: refuse the
token, offer no mutual version, publish no credentials endpoint, answer garbage or an error envelope, hang.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TIMESTAMP = "2026-01-01T00:00:00Z"


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    body: bytes


@dataclass
class FakePartner:
    version: str = "2.2.1"
    """The only OCPI version this partner speaks."""
    accepted_token: str = "fake-token-a"
    """The token the partner accepts (Token A before registration, then whatever it hands out)."""
    token_c: str = "fake-token-c"
    """The token it hands out in its credentials answer (the one we must use with it)."""
    strict_raw: bool = False
    """Accept only `Token <raw>` (a strict 2.1.1 peer); otherwise raw and base64 are both accepted."""
    behaviour: str = "ok"
    """ok | refuse_token | no_mutual_version | no_credentials_endpoint | garbage_credentials | error_envelope |
    html_500 | already_registered | hang"""
    hang_seconds: float = 3.0
    seen: list[Seen] = field(default_factory=list)
    base: str = ""

    def __post_init__(self) -> None:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                partner.seen.append(Seen(self.command, self.path, self.headers.get("Authorization"), body))
                status, payload = partner.answer(self.command, self.path, self.headers.get("Authorization"), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def versions_url(self) -> str:
        return f"{self.base}/versions"

    def __enter__(self) -> FakePartner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Token "):
            return False
        value = header[len("Token "):]
        if value == self.accepted_token:
            return True
        if self.strict_raw:
            return False
        try:
            return base64.b64decode(value, validate=True).decode() == self.accepted_token
        except ValueError:
            return False

    def _envelope(self, data: Any, status_code: int = 1000, message: str | None = None) -> bytes:
        body: dict[str, Any] = {"status_code": status_code, "timestamp": TIMESTAMP}
        if data is not None:
            body["data"] = data
        if message:
            body["status_message"] = message
        return json.dumps(body).encode()

    def _credentials(self) -> dict[str, Any]:
        if self.version == "2.1.1":
            return {"token": self.token_c, "url": self.versions_url, "party_id": "FAK", "country_code": "BE",
                    "business_details": {"name": "Fake Partner"}}
        return {"token": self.token_c, "url": self.versions_url,
                "roles": [{"role": "CPO", "party_id": "FAK", "country_code": "BE",
                           "business_details": {"name": "Fake Partner"}}]}

    def answer(self, method: str, path: str, authorization: str | None, body: bytes) -> tuple[int, bytes]:
        if self.behaviour == "hang":
            time.sleep(self.hang_seconds)
        if self.behaviour == "html_500":
            return 500, b"<html><body>Internal Server Error</body></html>"
        if self.behaviour == "refuse_token" or not self._authorized(authorization):
            return 401, self._envelope(None, 2000, "Unauthorized")
        details_url = f"{self.base}/ocpi/{self.version}"
        credentials_url = f"{details_url}/credentials"
        if path == "/versions":
            offered = "2.0" if self.behaviour == "no_mutual_version" else self.version
            return 200, self._envelope([{"version": offered, "url": details_url}])
        if path == f"/ocpi/{self.version}":
            endpoints = [{"identifier": "locations", "role": "SENDER", "url": f"{details_url}/cpo/locations"}]
            if self.behaviour != "no_credentials_endpoint":
                endpoints.append({"identifier": "credentials", "role": "RECEIVER", "url": credentials_url})
            if self.version == "2.1.1":
                for endpoint in endpoints:
                    endpoint.pop("role")
            return 200, self._envelope({"version": self.version, "endpoints": endpoints})
        if path == f"/ocpi/{self.version}/credentials":
            if self.behaviour == "garbage_credentials":
                return 200, self._envelope({"token": 42, "url": "not a url", "roles": "CPO"})
            if self.behaviour == "error_envelope":
                return 200, self._envelope(None, 2001, "roles[0].party_id: expected 3 characters")
            if self.behaviour == "already_registered":
                return 405, self._envelope(None, 2000, "already registered")
            if method in ("POST", "PUT"):
                self.accepted_token = self.token_c
                return 200, self._envelope(self._credentials())
            if method == "DELETE":
                self.accepted_token = "nothing-is-accepted-any-more"
                return 200, self._envelope(None)
            return 200, self._envelope(self._credentials())
        return 404, self._envelope(None, 2000, "no such endpoint")

    def posted_credentials(self) -> dict[str, Any]:
        """The credentials object we POSTed (our Token B, our versions URL, our roles)."""
        posts = [s for s in self.seen if s.method == "POST" and s.path.endswith("/credentials")]
        assert posts, f"no credentials POST reached the fake partner; it saw {[(s.method, s.path) for s in self.seen]}"
        return json.loads(posts[-1].body)  # type: ignore[no-any-return]
