"""The app configured with Redis: authentication through the Redis tier, health reporting it, rotation coherent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ocpi_engine.api.app import create_app
from ocpi_engine.settings import Settings
from tests.api.fake_partner import FakePartner, credentials_body
from tests.conftest import auth

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("OCPI_ENGINE_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("OCPI_ENGINE_TEST_REDIS_URL is not set; run the tests with scripts/test")
        pytest.skip("needs OCPI_ENGINE_TEST_REDIS_URL (scripts/test starts redis-server)")
    return url


async def test_app_authenticates_through_redis(tmp_path: Path, redis_url: str, register_partner: Any) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/r.sqlite3", redis_url=redis_url,
                        public_url="https://ocpi.example.com", admin_token="a")
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="https://ocpi.example.com") as client:
        health = (await client.get("/health")).json()
        assert health["cache"] == {"backend": "redis", "status": "ok"}
        _, token_a = await app.state.credentials.issue_token_a("p")
        app.state.client.http = FakePartner().client()
        registered = await client.post("/ocpi/2.2.1/credentials", json=credentials_body(), headers=auth(token_a))
        token_c = registered.json()["data"]["token"]
        assert (await client.get("/ocpi/2.2.1/credentials", headers=auth(token_c))).status_code == 200
        rotated = await client.put("/ocpi/2.2.1/credentials", json=credentials_body("b2"), headers=auth(token_c))
        new_token = rotated.json()["data"]["token"]
        assert (await client.get("/ocpi/2.2.1/credentials", headers=auth(token_c))).status_code == 401
        assert (await client.get("/ocpi/2.2.1/credentials", headers=auth(new_token))).status_code == 200
