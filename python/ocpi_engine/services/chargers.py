"""The platform side of the charger interface (`ocpi_engine.chargers.ChargerHost`): our own locations, tariffs and
sessions for the adapter, and publishing the sessions and CDRs the chargers produce.

Publishing writes the object as our own (partner_id None) and, when partner sync is available, queues its
push to the receiving partners in the same transaction (`services.sync.enqueue_push`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from ocpi_engine.chargers import Requester, load_adapter
from ocpi_engine.models._base import normalize_datetime
from ocpi_engine.models.v221.chargingprofiles import ActiveChargingProfile
from ocpi_engine.models.v221.commands import CommandResult
from ocpi_engine.services.background import BackgroundTasks
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, Store

if TYPE_CHECKING:
    from ocpi_engine.services.chargingprofiles import ChargingProfileService
    from ocpi_engine.services.commands import CommandService

__all__ = ["PlatformChargerHost"]

log = logging.getLogger("ocpi_engine.chargers")
_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder(float_hook=Decimal)


class PlatformChargerHost:
    """What an adapter sees of the platform; owns the adapter (`self.adapter`)."""

    def __init__(self, settings: Settings, store: Store, tasks: BackgroundTasks, *,
                 push_wake: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.tasks = tasks
        self.push_wake = push_wake
        """Returns the asyncio.Event that wakes the push worker (None: no worker)."""
        self.commands: CommandService | None = None
        self.profiles: ChargingProfileService | None = None
        self.adapter: Any = load_adapter(settings.charger_adapter, self)

    def spawn(self, coro: Any, *, name: str) -> Any:
        return self.tasks.spawn(coro, name=name)

    async def _own(self, module: str, object_id: str) -> dict[str, Any] | None:
        record = await self.store.get_object(module, self.settings.country_code, self.settings.party_id, object_id)
        if record is None or record.partner_id is not None:
            return None
        value: dict[str, Any] = _decoder.decode(record.body)
        return value

    async def own_location(self, location_id: str) -> dict[str, Any] | None:
        return await self._own("locations", location_id)

    async def own_tariffs(self, tariff_ids: list[str]) -> list[dict[str, Any]]:
        found = [await self._own("tariffs", tariff_id) for tariff_id in tariff_ids]
        return [t for t in found if t is not None]

    async def own_session(self, session_id: str) -> dict[str, Any] | None:
        return await self._own("sessions", session_id)

    def _record(self, module: str, body: dict[str, Any]) -> ObjectRecord:
        return ObjectRecord(module=module, country_code=str(body["country_code"]).upper(),
                            party_id=str(body["party_id"]).upper(), id=str(body["id"]),
                            last_updated=normalize_datetime(str(body["last_updated"])), body=_encoder.encode(body),
                            partner_id=None)

    async def _write(self, module: str, body: dict[str, Any]) -> None:
        record = self._record(module, body)
        if hasattr(self.store, "put_objects_with_outbox"):
            try:
                from ocpi_engine.services.sync import enqueue_push
            except ImportError:
                pass
            else:
                await enqueue_push(self.store, module, [record],
                                   wake=self.push_wake() if self.push_wake is not None else None)
                return
        await self.store.put_object(record)

    def _context(self) -> Any:
        """What the sessions / CDRs services expect of a caller: settings, store and the push worker's wake event."""
        from types import SimpleNamespace

        return SimpleNamespace(settings=self.settings, store=self.store,
                               push_wake=self.push_wake() if self.push_wake is not None else None)

    async def publish_session(self, session: dict[str, Any], *, changes: dict[str, Any] | None = None) -> None:
        """Through the sessions service (validated, priced, pushed) when it exists, else a plain own write."""
        try:
            from ocpi_engine.models.v221.sessions import session_decoder
            from ocpi_engine.services.sessions import own_session_changed
        except ImportError:
            await self._write("sessions", session)
            return
        await own_session_changed(self._context(), session_decoder.decode(_encoder.encode(session)))

    async def publish_cdr(self, cdr: dict[str, Any]) -> None:
        """Through the CDRs service (validated, written once, POSTed) when it exists, else a plain own write."""
        try:
            from ocpi_engine.models.v221.cdrs import cdr_decoder
            from ocpi_engine.services.cdrs import own_cdr_created
        except ImportError:
            await self._write("cdrs", cdr)
            return
        await own_cdr_created(self._context(), cdr_decoder.decode(_encoder.encode(cdr)))

    async def send_command_result(self, response_url: str, requester: Requester, result: CommandResult) -> bool:
        if self.commands is None:
            return False
        return await self.commands.post_result(response_url, requester, result)

    async def active_profile_changed(self, session_id: str, profile: ActiveChargingProfile) -> None:
        if self.profiles is not None:
            await self.profiles.push_active_profile(session_id, profile)
