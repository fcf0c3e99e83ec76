"""`ocpi-engine serve` prints the versions URL and a Token A a partner can register with (README command 1);
the same Token A until a partner used it, then a fresh one."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


def printed(server: Server) -> list[tuple[str, str]]:
    text = server.log.read_text()
    urls = re.findall(r"versions URL : (\S+)", text)
    tokens = re.findall(r"Token A\s+: (\S+)", text)
    assert len(urls) == len(tokens)
    return list(zip(urls, tokens, strict=True))


def test_printed_token_a_registers_a_partner(platforms: tuple[Server, Server]) -> None:
    cpo, emsp = platforms
    [(url, token_a)] = printed(cpo)
    assert url == f"{cpo.base}/ocpi/versions"

    cpo.stop()
    cpo.start()
    assert printed(cpo)[-1] == (url, token_a)  # unused: the same Token A again

    emsp.cli("partners", "register", url, token_a, "--name", "the CPO")
    assert [p["status"] for p in cpo.partners() if p["name"] == "first partner"] == ["REGISTERED"]
    assert cpo.get("/ocpi/versions", token_a).status_code == 401

    cpo.stop()
    cpo.start()
    url_after, token_after = printed(cpo)[-1]
    assert url_after == url and token_after != token_a  # used up: a new one
    assert cpo.get("/ocpi/versions", token_after).status_code == 200
