"""Own data in, end to end: `ocpi-engine import tokens FILE.jsonl` against a running eMSP platform (through its
admin API), then a registered CPO pages through them over OCPI; bad files write nothing; the admin token and
OCPI tokens never open each other's doors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, running

pytestmark = pytest.mark.e2e


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    emsp.env["OCPI_ENGINE_PAGE_SIZE"] = "2"
    with running(cpo, emsp):
        yield cpo, emsp


def token(uid: str, **changes: Any) -> bytes:
    body = {"country_code": "NL", "party_id": "EMB", "uid": uid, "type": "RFID", "contract_id": f"NL-EMB-{uid}",
            "issuer": "EMB Mobility", "valid": True, "whitelist": "ALWAYS", "last_updated": f"2026-01-0{uid[-1]}T10:00:00Z"}
    body.update(changes)
    return json.dumps(body).encode()


def test_import_then_a_partner_pages_through_it(pair: tuple[Server, Server], tmp_path: Path) -> None:
    cpo, emsp = pair
    added = json.loads(emsp.cli("partners", "add", "the CPO", "--json").stdout)
    cpo.cli("partners", "register", added["versions_url"], added["token_a"])
    token_b = next(p for p in cpo.partners() if p["status"] == "REGISTERED")["outbound_token"]  # CPO -> eMSP

    source = tmp_path / "tokens.jsonl"
    source.write_bytes(b"\n".join(token(f"T{i}") for i in range(1, 6)) + b"\n")
    result = emsp.cli("import", "tokens", str(source))
    assert "imported 5 tokens (5 new)" in result.stdout

    url: str | None = f"{emsp.base}/ocpi/2.2.1/emsp/tokens"
    uids: list[str] = []
    pages = 0
    while url and pages < 10:
        page = emsp.get(url.removeprefix(emsp.base), token_b)
        assert page.status_code == 200, page.text
        assert page.headers["X-Total-Count"] == "5" and page.headers["X-Limit"] == "2"
        uids += [t["uid"] for t in page.json()["data"]]
        link = page.headers.get("Link")
        url = link.split(">")[0].lstrip("<") if link else None
        assert url is None or url.startswith(f"{emsp.base}/ocpi/2.2.1/emsp/tokens?")
        pages += 1
    assert sorted(uids) == ["T1", "T2", "T3", "T4", "T5"] and pages == 3

    # Re-importing the same file creates nothing new and changes nothing visible.
    assert "imported 5 tokens (0 new)" in emsp.cli("import", "tokens", str(source)).stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(token("T6") + b"\n" + token("T7", type="PIRATE") + b"\n" + token("T8", party_id="XYZ") + b"\n"
                    + b"{not json\n")
    failed = emsp.cli("import", "tokens", str(bad), check=False)
    assert failed.returncode == 1
    for phrase in ("nothing imported", "line 2", "`type`", "line 3", "XYZ", "line 4"):
        assert phrase in failed.stderr, failed.stderr
    listing = emsp.get("/ocpi/2.2.1/emsp/tokens", token_b)
    assert listing.headers["X-Total-Count"] == "5"  # T6 (valid) was not written either: all or nothing

    unknown = emsp.cli("import", "gadgets", str(source), check=False)
    assert unknown.returncode == 1 and "unknown import kind 'gadgets'" in unknown.stderr
    assert "tokens" in unknown.stderr


def test_admin_and_ocpi_tokens_are_separate(pair: tuple[Server, Server]) -> None:
    cpo, emsp = pair
    added = json.loads(emsp.cli("partners", "add", "the CPO", "--json").stdout)
    cpo.cli("partners", "register", added["versions_url"], added["token_a"])
    token_b = next(p for p in cpo.partners() if p["status"] == "REGISTERED")["outbound_token"]
    admin = emsp.cli("admin-token").stdout.strip().split()[-1]
    line = token("T1")

    def admin_post(authorization: str | None) -> httpx.Response:
        headers = {"Authorization": authorization} if authorization else {}
        return httpx.post(f"{emsp.base}/admin/import/tokens", content=line, headers=headers, timeout=10)

    assert admin_post(None).status_code == 401
    assert admin_post(f"Bearer {token_b}").status_code == 401  # an OCPI partner token is not an admin token
    assert admin_post(f"Token {token_b}").status_code == 401
    assert admin_post(f"Bearer {added['token_a']}").status_code == 401
    assert emsp.get("/ocpi/2.2.1/emsp/tokens", admin).status_code == 401  # the admin token is no OCPI token
    assert httpx.get(f"{emsp.base}/admin/partners", timeout=10).status_code == 401

    ok = admin_post(f"Bearer {admin}")
    assert ok.status_code == 200 and ok.json()["data"] == {"kind": "tokens", "imported": 1, "created": 1}
    partners = httpx.get(f"{emsp.base}/admin/partners", headers={"Authorization": f"Bearer {admin}"}, timeout=10)
    text = partners.text
    assert partners.status_code == 200 and "the CPO" in text
    assert token_b not in text and added["token_a"] not in text  # the admin view never shows secrets
    assert "token_hash" not in text
    for log in (emsp.log.read_text(), cpo.log.read_text()):
        assert admin not in log and token_b not in log
