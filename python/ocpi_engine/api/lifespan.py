"""Open and close what the app holds on `app.state`: store, cache, partner directory, HTTP client, services."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar

from ocpi_engine.cache import open_cache
from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.services.credentials import CredentialsService
from ocpi_engine.services.partners import PartnerDirectory, new_token
from ocpi_engine.services.sync import run_initial_push
from ocpi_engine.services.tokens import TokenService
from ocpi_engine.storage import open_store

__all__ = ["lifespan", "ensure_admin_token"]

log = logging.getLogger("ocpi_engine")


async def ensure_admin_token(store: object, configured: str | None) -> str:
    """The admin API token: the configured one, else one generated once and kept in the store."""
    if configured:
        return configured
    existing = await store.get_meta("admin_token")  # type: ignore[attr-defined]
    if existing:
        return existing
    token = new_token()
    await store.set_meta("admin_token", token)  # type: ignore[attr-defined]
    return token


def open_charging(app: Litestar, settings: Any, store: Any, client: OcpiClient) -> None:
    """Background tasks, the charger adapter and the services using it (commands, charging profiles, hub info)."""
    from ocpi_engine.services.background import BackgroundTasks
    from ocpi_engine.services.chargers import PlatformChargerHost
    from ocpi_engine.services.chargingprofiles import ChargingProfileService
    from ocpi_engine.services.commands import CommandService
    from ocpi_engine.services.hubclientinfo import HubClientInfoService

    tasks = app.state.tasks = BackgroundTasks()
    host = app.state.chargers = PlatformChargerHost(settings, store, tasks,
                                                    push_wake=lambda: app.state.get("push_wake"))
    app.state.commands = CommandService(settings, store, client, tasks, host)
    app.state.chargingprofiles = ChargingProfileService(settings, store, client, tasks, host)
    app.state.hubclientinfo = HubClientInfoService(store)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    settings = app.state.settings
    store = open_store(settings)
    await store.open()
    cache = open_cache(settings)
    await cache.open()
    client = OcpiClient(timeout=settings.outbound_timeout)
    directory = PartnerDirectory(store, cache, ttl=settings.cache_ttl)
    app.state.store = store
    app.state.cache = cache
    app.state.client = client
    app.state.directory = directory
    app.state.credentials = CredentialsService(settings, store, directory, client)
    app.state.tokens = TokenService(settings, store, cache, client)
    open_charging(app, settings, store, client)
    if settings.warm_cache:
        log.info("token cache warmed with %d tokens", await app.state.tokens.warm())
    app.state.admin_token = await ensure_admin_token(store, settings.admin_token)
    for hook in app.state.get("startup_hooks", []):
        await hook(app)
    push_stop = asyncio.Event()
    push_task: asyncio.Task[None] | None = None
    app.state.push_wake = asyncio.Event()
    app.state.tokens.push_wake = app.state.push_wake
    app.state.credentials.start_initial_push = lambda partner_id, modules, delay: app.state.tasks.spawn(
        run_initial_push(store, partner_id, modules=modules, delay=delay, wake=app.state.push_wake),
        name=f"initial push {partner_id}",
    )
    if settings.push_worker:
        from ocpi_engine.services.outbox import Backoff, PushWorker

        worker = PushWorker(store, client, concurrency=settings.push_concurrency, timeout=settings.outbound_timeout,
                            backoff=Backoff(max=settings.push_max_backoff))
        push_task = asyncio.create_task(worker.run(push_stop, app.state.push_wake), name="ocpi-engine push worker")
    # Objects created at start-up live for the whole process: keep them out of the cyclic GC's work.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        push_stop.set()
        if push_task is not None:
            try:
                await asyncio.wait_for(push_task, timeout=settings.outbound_timeout + 1)
            except (TimeoutError, asyncio.CancelledError):
                push_task.cancel()
        await app.state.tasks.aclose()
        await client.aclose()
        await cache.close()
        await store.close()
