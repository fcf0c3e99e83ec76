"""Token A opens exactly the versions, version details and credentials endpoints (transport.md 5.1), not a
functional module URL whose last segment happens to read `credentials` (an object id)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import auth


@pytest.mark.parametrize(
    "path",
    [
        "/ocpi/versions", "/ocpi/cpo/versions", "/ocpi/emsp/versions", "/ocpi/2.2.1", "/ocpi/2.1.1",
        "/ocpi/2.1.1/cpo", "/ocpi/2.1.1/emsp", "/ocpi/2.2.1/credentials", "/ocpi/2.1.1/cpo/credentials",
        "/ocpi/2.1.1/emsp/credentials", "/ocpi/2.2.1/credentials/",
    ],
)
async def test_token_a_opens_registration_endpoints(client: AsyncTestClient[Litestar], token_a: Any,
                                                    path: str) -> None:
    response = await client.get(path, headers=auth(await token_a()))
    assert response.status_code == 200, (path, response.text)


@pytest.mark.parametrize(
    "path",
    ["/ocpi/2.2.1/cpo/tokens/NL/ABC/credentials", "/ocpi/2.1.1/cpo/tokens/NL/ABC/credentials"],
)
async def test_token_a_is_401_on_functional_module_urls(client: AsyncTestClient[Litestar], token_a: Any,
                                                        path: str) -> None:
    for method in ("GET", "PUT", "PATCH"):
        response = await client.request(method, path, headers=auth(await token_a()), content=b"{}")
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert "registration token" in response.json()["status_message"]


@pytest.mark.parametrize(
    "path",
    ["/ocpi/2.2.1/cpo/locations/credentials", "/ocpi/2.2.1/cpo/locations/LOC1/EVSE1/credentials",
     "/ocpi/2.2.1/emsp/tokens/credentials/authorize"],
)
async def test_token_a_never_reaches_other_handlers(client: AsyncTestClient[Litestar], token_a: Any,
                                                    path: str) -> None:
    """Routes of modules not mounted here are 404 for everyone; mounted ones must refuse Token A."""
    for method in ("GET", "POST"):
        response = await client.request(method, path, headers=auth(await token_a()), content=b"{}")
        assert response.status_code in (401, 404, 405), (method, path, response.status_code, response.text)
