"""Shared fixtures: an app on an in-memory store, an async client, and registered partners.

Module tests reuse `client` and `register_partner` (a partner registered directly in the store, with roles
of your choice) to call OCPI endpoints as that partner.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Awaitable
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.api.app import create_app
from ocpi_engine.services.partners import new_token, token_hash
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import PartnerRecord


def auth(token: str, *, raw: bool = False) -> dict[str, str]:
    """Authorization header for a credentials token (base64 as in 2.2.1 unless raw)."""
    value = token if raw else base64.b64encode(token.encode()).decode()
    return {"Authorization": f"Token {value}"}


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/test.sqlite3",
        public_url="https://ocpi.example.com",
        country_code="NL",
        party_id="OCE",
        roles=("CPO", "EMSP"),
        admin_token="admin-secret-token",
        page_size=50,
        push_worker=False,  # API tests drain the outbox themselves when they test pushes
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="https://ocpi.example.com") as test_client:
        yield test_client


RegisterPartner = Callable[..., Awaitable[tuple[PartnerRecord, str]]]


@pytest.fixture
def register_partner(app: Litestar) -> RegisterPartner:
    """Create a REGISTERED partner in the store; returns (partner, the token it presents to us)."""

    async def _register(
        *parties: tuple[str, str, str], version: str = "2.2.1", name: str = "partner"
    ) -> tuple[PartnerRecord, str]:
        token = new_token()
        roles = [
            {"role": role, "country_code": cc, "party_id": pid, "business_details": {"name": name}}
            for role, cc, pid in (parties or (("EMSP", "DE", "ABC"),))
        ]
        partner = await app.state.store.create_partner(
            PartnerRecord(
                id=0, name=name, status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(token),
                outbound_token=new_token(), versions_url="https://partner.example.com/versions",
                version=version, roles=roles, endpoints=[],
            )
        )
        return partner, token

    return _register


@pytest.fixture
def token_a(app: Litestar) -> Callable[[str], Awaitable[str]]:
    async def _issue(name: str = "new partner") -> str:
        _, token = await app.state.credentials.issue_token_a(name)
        return token

    return _issue


def partner_transport(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))
