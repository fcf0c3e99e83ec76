"""Tokens end to end, two real servers on loopback (issue 5): the eMSP imports its tokens (every whitelist type,
one invalid), the outbox push brings them to the CPO; the CPO decides for presented tokens (whitelist, or the
eMSP's real-time answer with an authorization_reference and the location echoed); the eMSP blocks tokens (admin
PATCH, import) and the real-time answer is BLOCKED at once while the push turns the CPO's whitelist decision
BLOCKED; with the eMSP hung or stopped, ALLOWED_OFFLINE falls back to ALLOWED and NEVER to NOT_ALLOWED within
the authorize timeout.

Variant `redis`: both platforms on one redis-server (each its own namespace) with the in-process tier, the eMSP
on 2 granian workers: after the block is acknowledged, 50 real-time authorizations on fresh connections (spread
over both workers) all answer BLOCKED."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_commands_e2e import wait_until

pytestmark = pytest.mark.e2e

STAMP = "2024-01-01T00:00:00Z"
AUTHORIZE_TIMEOUT = 1.0


def token(uid: str, whitelist: str, *, kind: str = "RFID", valid: bool = True, **extra: Any) -> dict[str, Any]:
    return {"country_code": "NL", "party_id": "EMB", "uid": uid, "type": kind, "contract_id": f"NL-EMB-{uid}",
            "issuer": "EMB Mobility", "valid": valid, "whitelist": whitelist, "last_updated": STAMP, **extra}


TOKENS = [
    token("ALW1", "ALWAYS", visual_number="EMB-0001", group_id="G1", language="nl", default_profile_type="GREEN",
          energy_contract={"supplier_name": "Green Power", "contract_id": "GP-1"}),
    token("ALD1", "ALLOWED"),
    token("OFF1", "ALLOWED_OFFLINE"),
    token("NEV1", "NEVER", kind="APP_USER"),
    token("BAD1", "NEVER", valid=False),
]


@pytest.fixture(params=["memory", "redis"])
def redis_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "memory":
        yield None
        return
    from tests.cache.test_redis_cache import REDIS_SERVER, RedisProcess

    if REDIS_SERVER is None:
        pytest.skip("redis-server not installed (scripts/test installs it)")
    process = RedisProcess(tmp_path)
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


_ADMIN_TOKENS: dict[str, str] = {}


def admin(server: Server, method: str, path: str, **kwargs: Any) -> Any:
    """One admin API call (the admin token read once per server)."""
    key = str(server.db)
    if key not in _ADMIN_TOKENS:
        _ADMIN_TOKENS[key] = server.cli("admin-token").stdout.strip().split()[-1]
    answer = httpx.request(method, f"{server.base}/admin{path}", timeout=30,
                           headers={"Authorization": f"Bearer {_ADMIN_TOKENS[key]}"}, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def header(token_c: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token_c.encode()).decode()}


def outbound(server: Server) -> str:
    """The token `server` presents to its one registered partner."""
    [value] = [p["outbound_token"] for p in server.partners() if p["status"] == "REGISTERED"]
    return str(value)


def decide(cpo: Server, uid: str, kind: str = "RFID", **location: Any) -> dict[str, Any]:
    """The CPO's decision through its admin API."""
    decision: dict[str, Any] = admin(cpo, "POST", "/tokens/authorize", json={"uid": uid, "type": kind, **location})
    return decision


def cli_decide(cpo: Server, uid: str, *args: str) -> dict[str, Any]:
    """The CPO's decision through `ocpi-engine tokens authorize` (exit 0 only for ALLOWED)."""
    result = cpo.cli("tokens", "authorize", uid, *args, "--json", check=False)
    decision: dict[str, Any] = json.loads(result.stdout)
    assert result.returncode == (0 if decision["allowed"] == "ALLOWED" else 1), result.stderr
    return decision


def realtime(emsp: Server, token_c: str, uid: str, kind: str = "RFID") -> str:
    """One real-time authorization at the eMSP, as the CPO, on a fresh connection (any worker may answer)."""
    answer = httpx.post(f"{emsp.base}/ocpi/2.2.1/emsp/tokens/{uid}/authorize", params={"type": kind},
                        headers=header(token_c), timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["allowed"])


def worker_count(server: Server) -> int:
    """Processes in the server's process group besides the main one (granian workers)."""
    assert server.proc is not None
    group = os.getpgid(server.proc.pid)
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != server.proc.pid:
            try:
                if os.getpgid(int(entry)) == group:
                    count += 1
            except ProcessLookupError:
                continue
    return count


def test_tokens_pushed_decided_blocked_and_fallbacks(tmp_path: Path, redis_url: str | None) -> None:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    cpo.env["OCPI_ENGINE_AUTHORIZE_TIMEOUT"] = str(AUTHORIZE_TIMEOUT)
    emsp.env["OCPI_ENGINE_PUSH_WORKER"] = "1"
    if redis_url is not None:
        for server in (cpo, emsp):
            server.env["OCPI_ENGINE_REDIS_URL"] = redis_url
        emsp.env["OCPI_ENGINE_WORKERS"] = "2"
    try:
        cpo.start()
        emsp.start()
        if redis_url is not None:
            assert worker_count(emsp) >= 2
            assert httpx.get(f"{emsp.base}/health", timeout=5).json()["cache"]["backend"] == "redis"
        added = json.loads(cpo.cli("partners", "add", "the eMSP", "--json").stdout)
        emsp.cli("partners", "register", added["versions_url"], added["token_a"])
        emsp_token, cpo_token = outbound(emsp), outbound(cpo)

        # 1. The eMSP imports its tokens; the push worker brings them to the CPO's Receiver.
        source = tmp_path / "tokens.jsonl"
        source.write_text("".join(json.dumps(t) + "\n" for t in TOKENS))
        assert "imported 5 tokens" in emsp.cli("import", "tokens", str(source)).stdout

        def at_cpo(uid: str, kind: str = "RFID") -> dict[str, Any] | None:
            got = httpx.get(f"{cpo.base}/ocpi/2.2.1/cpo/tokens/NL/EMB/{uid}", params={"type": kind},
                            headers=header(emsp_token), timeout=10)
            return got.json()["data"] if got.status_code == 200 else None

        for sent in TOKENS:
            held = wait_until(f"{sent['uid']} at the CPO", lambda t=sent: at_cpo(t["uid"], t["type"]))
            assert held == sent  # every field, energy_contract and profile included
        assert at_cpo("NEV1") is None  # the APP_USER token is not the RFID one

        # 2. The CPO decides for presented tokens.
        always = cli_decide(cpo, "ALW1", "--type", "RFID")
        assert (always["allowed"], always["source"]) == ("ALLOWED", "whitelist")
        assert always["token"] == TOKENS[0]
        assert (decide(cpo, "ALD1")["allowed"], decide(cpo, "ALD1")["source"]) == ("ALLOWED", "whitelist")
        offline = decide(cpo, "OFF1")
        assert (offline["allowed"], offline["source"]) == ("ALLOWED", "real-time")
        assert offline["authorization_reference"]
        here = {"location_id": "LOC1", "evse_uids": ["EVSE1", "EVSE2"]}
        never = cli_decide(cpo, "NEV1", "--type", "APP_USER", "--location", "LOC1", "--evse", "EVSE1",
                           "--evse", "EVSE2")
        assert (never["allowed"], never["source"], never["location"]) == ("ALLOWED", "real-time", here)
        assert 1 <= len(never["authorization_reference"]) <= 36
        assert never["authorization_reference"] != offline["authorization_reference"]
        invalid = decide(cpo, "BAD1", location_id="LOC1", evse_uids=["EVSE1"])
        assert (invalid["allowed"], invalid["source"]) == ("BLOCKED", "real-time")
        assert invalid.get("authorization_reference") is None and invalid.get("location") is None
        unknown = cli_decide(cpo, "NOPE1")
        assert (unknown["allowed"], unknown["source"]) == ("NOT_ALLOWED", "unknown")

        # Every worker of the eMSP answers (and caches) NEV1 before the block.
        assert {realtime(emsp, cpo_token, "NEV1", "APP_USER") for _ in range(50)} == {"ALLOWED"}

        # 3. The eMSP blocks: admin PATCH (ALW1, NEV1) and an import with valid=false (ALD1).
        blocked = admin(emsp, "PATCH", "/tokens/NEV1", params={"type": "APP_USER"}, json={"valid": False})
        assert blocked["valid"] is False and blocked["whitelist"] == "NEVER"
        answers = [realtime(emsp, cpo_token, "NEV1", "APP_USER") for _ in range(50)]
        assert answers == ["BLOCKED"] * 50, answers  # at once, on every worker: none ALLOWED
        assert (decide(cpo, "NEV1", "APP_USER")["allowed"], decide(cpo, "NEV1", "APP_USER")["source"]) == \
            ("BLOCKED", "real-time")
        later = "2024-02-01T00:00:00Z"
        admin(emsp, "PATCH", "/tokens/ALW1", json={"valid": False, "last_updated": later})
        changed = tmp_path / "blocked.jsonl"
        changed.write_text(json.dumps({**TOKENS[1], "valid": False, "last_updated": later}) + "\n")
        admin(emsp, "POST", "/import/tokens", content=changed.read_bytes())
        for uid in ("ALW1", "ALD1"):
            wait_until(f"{uid} BLOCKED at the CPO", lambda u=uid: decide(cpo, u)["allowed"] == "BLOCKED")
            assert decide(cpo, uid)["source"] == "whitelist"
            held = at_cpo(uid)
            assert held is not None and (held["valid"], held["last_updated"]) == (False, later)
        wait_until("NEV1 invalid at the CPO", lambda: (at_cpo("NEV1", "APP_USER") or {}).get("valid") is False)
        assert at_cpo("ALW1") == {**TOKENS[0], "valid": False, "last_updated": later}

        # 4. The eMSP hangs, then is gone: fallbacks within the authorize timeout.
        assert emsp.proc is not None
        os.killpg(emsp.proc.pid, signal.SIGSTOP)
        try:
            for uid, expected in (("OFF1", "ALLOWED"), ("BAD1", "NOT_ALLOWED")):
                started = time.monotonic()
                fallback = decide(cpo, uid)
                elapsed = time.monotonic() - started
                assert (fallback["allowed"], fallback["source"]) == (expected, "fallback"), fallback
                assert AUTHORIZE_TIMEOUT * 0.9 <= elapsed < AUTHORIZE_TIMEOUT + 1.5, elapsed
        finally:
            os.killpg(emsp.proc.pid, signal.SIGCONT)
        emsp.stop()
        for uid, kind, expected in (("OFF1", "RFID", "ALLOWED"), ("BAD1", "RFID", "NOT_ALLOWED"),
                                    ("NEV1", "APP_USER", "NOT_ALLOWED")):
            started = time.monotonic()
            fallback = decide(cpo, uid, kind)
            assert time.monotonic() - started < AUTHORIZE_TIMEOUT + 1.0
            assert (fallback["allowed"], fallback["source"]) == (expected, "fallback"), fallback
            assert "unreachable" in fallback["reason"]
        # ALWAYS and ALLOWED never needed the eMSP
        assert (decide(cpo, "ALW1")["allowed"], decide(cpo, "ALD1")["allowed"]) == ("BLOCKED", "BLOCKED")
    finally:
        cpo.stop()
        emsp.stop()
