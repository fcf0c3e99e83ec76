"""First push between two real servers on loopback (issue 5): the eMSP imports its tokens, and only then the CPO
registers with it (`partners register` on the CPO: the eMSP is the credentials server). The eMSP's registration
queues every token for that CPO, held back `initial_push_delay` seconds so the CPO has stored the registration
(until then its token opens only the credentials endpoints); the eMSP's push worker brings them all over."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, running
from tests.e2e.test_commands_e2e import wait_until

pytestmark = pytest.mark.e2e

STAMP = "2024-01-01T00:00:00Z"
TOKENS = [{"country_code": "NL", "party_id": "EMB", "uid": f"CARD{i}", "type": "RFID", "contract_id": f"NL-EMB-{i}",
           "issuer": "EMB", "valid": True, "whitelist": "ALLOWED", "last_updated": STAMP} for i in range(20)]
TOKENS.append({**TOKENS[0], "type": "APP_USER", "whitelist": "NEVER"})


def test_a_cpo_registering_after_the_import_receives_every_token(tmp_path: Path) -> None:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    emsp.env["OCPI_ENGINE_INITIAL_PUSH_DELAY"] = "1"
    with running(cpo, emsp):
        source = tmp_path / "tokens.jsonl"
        source.write_text("".join(json.dumps(t) + "\n" for t in TOKENS))
        assert f"imported {len(TOKENS)} tokens" in emsp.cli("import", "tokens", str(source)).stdout

        added = json.loads(emsp.cli("partners", "add", "the CPO", "--json").stdout)
        cpo.cli("partners", "register", added["versions_url"], added["token_a"], "--name", "the eMSP")
        [emsp_token] = [p["outbound_token"] for p in emsp.partners() if p["status"] == "REGISTERED"]  # it presents

        def at_cpo(t: dict[str, Any]) -> Any:
            got = cpo.get(f"/ocpi/2.2.1/cpo/tokens/NL/EMB/{t['uid']}?type={t['type']}", str(emsp_token))
            return got.json()["data"] if got.status_code == 200 else None

        for sent in TOKENS:
            assert wait_until(f"{sent['uid']} {sent['type']} at the CPO", lambda t=sent: at_cpo(t)) == sent
        status = json.loads(emsp.cli("sync", "status", "--json").stdout)
        [row] = [r for r in status if r["name"] == "the CPO"]
        assert row["outbox"]["dead"] == 0 and row["dead_letters"] == []
        for server in (cpo, emsp):
            assert str(emsp_token) not in server.log.read_text()

