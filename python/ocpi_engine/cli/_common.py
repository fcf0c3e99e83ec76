"""Shared CLI helpers: settings options, the store/services context, talking to a running server."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import click
import httpx

from ocpi_engine.errors import OcpiError
from ocpi_engine.settings import Settings, SettingsError

T = TypeVar("T")

_OPTIONS = [
    click.option("--database-url", default=None, help="Store URL (OCPI_ENGINE_DATABASE_URL)."),
    click.option("--redis-url", default=None, help="Redis URL for the token cache (OCPI_ENGINE_REDIS_URL)."),
    click.option("--public-url", default=None, help="Base URL partners reach us at (OCPI_ENGINE_PUBLIC_URL)."),
    click.option("--host", default=None, help="Bind address (OCPI_ENGINE_HOST)."),
    click.option("--port", type=int, default=None, help="Bind port (OCPI_ENGINE_PORT)."),
]


def settings_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def load_settings(ctx: click.Context, **more: Any) -> Settings:
    overrides = dict(ctx.obj or {})
    overrides.update({k: v for k, v in more.items() if v is not None})
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if "public_url" not in overrides and "OCPI_ENGINE_PUBLIC_URL" not in __import__("os").environ:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        settings.public_url = f"http://{host}:{settings.port}"
    return settings


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine, turning OCPI errors into a clean CLI error (exit 1) that says what to do."""
    try:
        return asyncio.run(coro)
    except OcpiError as exc:
        raise click.ClickException(f"OCPI {exc.status_code}: {exc.message}") from None


class Context:
    """Store, cache and services for commands that work on the store directly (no server needed)."""

    def __init__(self, settings: Settings) -> None:
        from ocpi_engine.cache import open_cache
        from ocpi_engine.clients.ocpi import OcpiClient
        from ocpi_engine.services.credentials import CredentialsService
        from ocpi_engine.services.partners import PartnerDirectory
        from ocpi_engine.storage import open_store

        self.settings = settings
        self.store = open_store(settings)
        self.cache = open_cache(settings)
        self.client = OcpiClient(timeout=settings.outbound_timeout)
        self.directory = PartnerDirectory(self.store, self.cache, ttl=settings.cache_ttl)
        self.credentials = CredentialsService(settings, self.store, self.directory, self.client)


@asynccontextmanager
async def open_context(settings: Settings) -> Any:
    context = Context(settings)
    await context.store.open()
    await context.cache.open()
    try:
        yield context
    finally:
        await context.client.aclose()
        await context.cache.close()
        await context.store.close()


async def admin_call(
    settings: Settings, method: str, path: str, *, json: Any = None, content: bytes | None = None,
    timeout: float = 120.0,
) -> dict[str, Any] | None:
    """Call the admin API of the server running with these settings; None when no server answers."""
    from ocpi_engine.api.lifespan import ensure_admin_token

    async with open_context(settings) as context:
        token = await ensure_admin_token(context.store, settings.admin_token)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://{host}:{settings.port}/admin{path}"
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.request(
                method, url, json=json, content=content, headers={"Authorization": f"Bearer {token}"}
            )
    except httpx.ConnectError:
        return None
    try:
        body = response.json()
    except ValueError:
        raise click.ClickException(f"{url} answered HTTP {response.status_code} without JSON; is it ocpi-engine?")
    if body.get("status_code", 0) >= 2000 or response.status_code >= 400:
        raise click.ClickException(
            f"OCPI {body.get('status_code')}: {body.get('status_message')} (HTTP {response.status_code})"
        )
    return body  # type: ignore[no-any-return]


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def coroutine(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(func(*args, **kwargs))  # type: ignore[arg-type]

    return wrapper
