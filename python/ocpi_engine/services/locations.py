"""Locations use cases (locations.md): the CPO's own locations (Sender GETs, import) and the eMSP's copies of
the locations CPOs push (Receiver GET/PUT/PATCH at location, EVSE and connector level).

A location is one stored object (2.2.1 JSON, EVSEs and connectors inside). Every Receiver change of an EVSE
or connector is one atomic read-modify-write of the location (`Store.update_object`): concurrent PATCHes of
the same location never lose each other's changes, and a change is validated as a whole before anything is
written. The EVSE's and location's `last_updated` follow their children's (locations.md 2.2), never moving
back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from ocpi_engine.errors import InvalidParametersError, NotJsonError, UnknownLocationError
from ocpi_engine.models._base import normalize_datetime
from ocpi_engine.models.locations_convert import downgrade_connector, downgrade_evse, downgrade_location
from ocpi_engine.models.v221.locations import EVSE, Connector, Location, location_decoder
from ocpi_engine.services.importer import Importer, register_importer
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import OWN, ObjectRecord, Store

__all__ = [
    "MODULE",
    "DowngradeCache",
    "LocationService",
    "convert_checked",
    "decode_changes",
    "decode_object",
    "invalid_input",
    "location_record",
    "to_dict",
]

MODULE = "locations"
T = TypeVar("T")
encoder = msgspec.json.Encoder(decimal_format="number")
# PATCH bodies and stored objects as dicts for merging: numbers stay exact (Decimal), never float.
_dict_decoder = msgspec.json.Decoder(float_hook=Decimal)

_POST_INIT = re.compile(r"^`(?P<field>[^`]+)`: (?P<message>.*?) - at `(?P<path>[^`]*)`$", re.DOTALL)


def invalid_input(exc: msgspec.ValidationError) -> InvalidParametersError:
    """A 2001 naming the JSON path of the bad field, also for the checks models run in `__post_init__`
    (they raise "`field`: reason", which msgspec reports at the enclosing object's path)."""
    from ocpi_engine.api.bodies import validation_error

    match = _POST_INIT.match(str(exc))
    if match is None:
        return validation_error(exc)
    path = match.group("path").removeprefix("$").removeprefix(".")
    field = f"{path}.{match.group('field')}" if path else match.group("field")
    return InvalidParametersError(f"invalid field `{field}`: {match.group('message')}", field=field)


def decode_object(body: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    """A request body or import line as a validated model: 400 + 2001 naming the field; not JSON: 400."""
    if not body.strip():
        raise NotJsonError("request body is empty; send a JSON object")
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise invalid_input(exc) from exc
    except msgspec.DecodeError as exc:
        raise NotJsonError(f"request body is not valid JSON: {exc}") from exc


def decode_changes(body: bytes) -> dict[str, Any]:
    """A PATCH body: a JSON object (validated once merged into the stored object)."""
    if not body.strip():
        raise NotJsonError("request body is empty; send a JSON object")
    try:
        changes = _dict_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise NotJsonError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(changes, dict):
        raise InvalidParametersError("invalid field `body`: a PATCH body is a JSON object", field="body")
    return changes


def to_dict(obj: Any) -> dict[str, Any]:
    """A model as a dict for merging, Decimals kept exact."""
    result: dict[str, Any] = msgspec.to_builtins(obj, builtin_types=(Decimal,))
    return result


def convert_checked(data: dict[str, Any], type_: type[T]) -> T:
    """`msgspec.convert` with OCPI errors (2001 naming the field)."""
    try:
        return msgspec.convert(data, type_)
    except msgspec.ValidationError as exc:
        raise invalid_input(exc) from exc


def _later(a: str, b: str) -> str:
    """The later of two OCPI DateTimes (as written)."""
    return b if normalize_datetime(b) > normalize_datetime(a) else a


def _same(a: str, b: str) -> bool:
    return a.upper() == b.upper()


def location_record(location: Location, partner_id: int | None, body: bytes | None = None) -> ObjectRecord:
    return ObjectRecord(
        module=MODULE, country_code=location.country_code.upper(), party_id=location.party_id.upper(),
        id=location.id, last_updated=normalize_datetime(location.last_updated),
        body=encoder.encode(location) if body is None else body, partner_id=partner_id,
    )


def find_evse(location: Location, evse_uid: str) -> tuple[int, EVSE] | None:
    for index, evse in enumerate(location.evses or ()):
        if _same(evse.uid, evse_uid):
            return index, evse
    return None


def find_connector(evse: EVSE, connector_id: str) -> tuple[int, Connector] | None:
    for index, connector in enumerate(evse.connectors):
        if _same(connector.id, connector_id):
            return index, connector
    return None


class DowngradeCache:
    """2.1.1 bodies of stored objects, kept while the stored body is unchanged (bounded, oldest dropped):
    a 2.1.1 crawl of 10,000 locations converts each one once, not once per crawl."""

    def __init__(self, convert: Callable[[bytes], bytes], size: int = 50_000) -> None:
        self.convert = convert
        self.size = size
        self.entries: dict[tuple[str, str, str], tuple[bytes, bytes]] = {}

    def get(self, record: ObjectRecord) -> bytes:
        key = (record.country_code, record.party_id, record.id.upper())
        hit = self.entries.get(key)
        if hit is not None and hit[0] == record.body:
            return hit[1]
        body = self.convert(record.body)
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = (record.body, body)
        return body


downgraded = DowngradeCache(lambda body: encoder.encode(downgrade_location(location_decoder.decode(body))))


class LocationService:
    """Stateless over the store; build one per request (`LocationService(request.app.state.store)`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading ---------------------------------------------------------------------------------------------
    async def own_record(self, location_id: str) -> ObjectRecord | None:
        """One of the platform's own locations (any of our parties) by id."""
        records = await self.store.find_objects(MODULE, location_id, partner_id=OWN)
        return records[0] if records else None

    async def record(self, country_code: str, party_id: str, location_id: str) -> ObjectRecord | None:
        return await self.store.get_object(MODULE, country_code.upper(), party_id.upper(), location_id)

    @staticmethod
    def part(record: ObjectRecord | None, evse_uid: str | None = None,
             connector_id: str | None = None) -> Location | EVSE | Connector:
        """The location, one of its EVSEs or one connector; UnknownLocationError (404, 2003) when absent."""
        if record is None:
            raise UnknownLocationError("unknown location")
        location = location_decoder.decode(record.body)
        if evse_uid is None:
            return location
        found = find_evse(location, evse_uid)
        if found is None:
            raise UnknownLocationError(f"location {location.id} has no EVSE {evse_uid}")
        if connector_id is None:
            return found[1]
        connector = find_connector(found[1], connector_id)
        if connector is None:
            raise UnknownLocationError(
                f"EVSE {evse_uid} of location {location.id} has no connector {connector_id}")
        return connector[1]

    @classmethod
    def part_v211(cls, record: ObjectRecord | None, evse_uid: str | None = None,
                  connector_id: str | None = None) -> bytes:
        """The same in 2.1.1 form (JSON)."""
        part = cls.part(record, evse_uid, connector_id)
        if isinstance(part, Location):
            assert record is not None
            return downgraded.get(record)
        converted = downgrade_evse(part) if isinstance(part, EVSE) else downgrade_connector(part)
        if converted is None:
            raise UnknownLocationError(
                "this EVSE or connector has no OCPI 2.1.1 form (its connector standard is newer than 2.1.1)")
        return encoder.encode(converted)

    # -- Receiver writes (client-owned) ----------------------------------------------------------------------
    async def put_location(self, location: Location, *, partner_id: int | None) -> bool:
        """Create or replace the whole location; True when new."""
        return await self.store.put_object(location_record(location, partner_id))

    async def put_evse(self, country_code: str, party_id: str, location_id: str, evse: EVSE, *,
                       partner_id: int | None) -> bool:
        """Add or replace one EVSE (its connectors as sent); the location's last_updated follows.
        True when new."""
        created = False

        def change(record: ObjectRecord | None) -> ObjectRecord:
            nonlocal created
            location = self._stored(record, location_id)
            evses = list(location.evses or ())
            found = find_evse(location, evse.uid)
            if found is None:
                evses.append(evse)
                created = True
            else:
                evses[found[0]] = evse
            return self._updated(location, evses, evse.last_updated, partner_id)

        await self.store.update_object(MODULE, country_code.upper(), party_id.upper(), location_id, change)
        return created

    async def put_connector(self, country_code: str, party_id: str, location_id: str, evse_uid: str,
                            connector: Connector, *, partner_id: int | None) -> bool:
        """Add or replace one connector; its EVSE's and location's last_updated follow. True when new."""
        created = False

        def change(record: ObjectRecord | None) -> ObjectRecord:
            nonlocal created
            location = self._stored(record, location_id)
            index, evse = self._stored_evse(location, evse_uid)
            connectors = list(evse.connectors)
            found = find_connector(evse, connector.id)
            if found is None:
                connectors.append(connector)
                created = True
            else:
                connectors[found[0]] = connector
            new_evse = msgspec.structs.replace(evse, connectors=connectors,
                                               last_updated=_later(evse.last_updated, connector.last_updated))
            evses = list(location.evses or ())
            evses[index] = new_evse
            return self._updated(location, evses, new_evse.last_updated, partner_id)

        await self.store.update_object(MODULE, country_code.upper(), party_id.upper(), location_id, change)
        return created

    async def patch(self, country_code: str, party_id: str, location_id: str, evse_uid: str | None,
                    connector_id: str | None, changes: dict[str, Any] | Callable[[Any], dict[str, Any]], *,
                    partner_id: int | None) -> None:
        """Merge changes (2.2.1 field names) into the location, EVSE or connector, validate the merged object,
        propagate last_updated to the parents, write. `changes` may be a function of the current part (used
        to translate 2.1.1 PATCHes against the stored object inside the same transaction)."""

        def change(record: ObjectRecord | None) -> ObjectRecord:
            location = self._stored(record, location_id)
            if evse_uid is None:
                fields = changes(location) if callable(changes) else changes
                merged = convert_checked({**to_dict(location), **fields}, Location)
                if (merged.country_code.upper(), merged.party_id.upper(), merged.id.upper()) != (
                        location.country_code.upper(), location.party_id.upper(), location.id.upper()):
                    raise InvalidParametersError(
                        "invalid field `id`: a PATCH cannot change country_code, party_id or id; PUT the "
                        "location under its new URL", field="id")
                return location_record(merged, partner_id)
            index, evse = self._stored_evse(location, evse_uid)
            if connector_id is None:
                fields = changes(evse) if callable(changes) else changes
                new_evse = convert_checked({**to_dict(evse), **fields}, EVSE)
                if not _same(new_evse.uid, evse.uid):
                    raise InvalidParametersError("invalid field `uid`: a PATCH cannot change an EVSE's uid",
                                                 field="uid")
            else:
                found = find_connector(evse, connector_id)
                if found is None:
                    raise UnknownLocationError(
                        f"EVSE {evse_uid} has no connector {connector_id}: PUT it first")
                fields = changes(found[1]) if callable(changes) else changes
                connector = convert_checked({**to_dict(found[1]), **fields}, Connector)
                if not _same(connector.id, found[1].id):
                    raise InvalidParametersError("invalid field `id`: a PATCH cannot change a connector's id",
                                                 field="id")
                connectors = list(evse.connectors)
                connectors[found[0]] = connector
                updated = _later(evse.last_updated, connector.last_updated)
                new_evse = msgspec.structs.replace(evse, connectors=connectors, last_updated=updated)
            evses = list(location.evses or ())
            evses[index] = new_evse
            return self._updated(location, evses, new_evse.last_updated, partner_id)

        await self.store.update_object(MODULE, country_code.upper(), party_id.upper(), location_id, change)

    # -- helpers ---------------------------------------------------------------------------------------------
    @staticmethod
    def _stored(record: ObjectRecord | None, location_id: str) -> Location:
        if record is None:
            raise UnknownLocationError(f"unknown location {location_id}: PUT the location first")
        return location_decoder.decode(record.body)

    @staticmethod
    def _stored_evse(location: Location, evse_uid: str) -> tuple[int, EVSE]:
        found = find_evse(location, evse_uid)
        if found is None:
            raise UnknownLocationError(f"location {location.id} has no EVSE {evse_uid}: PUT the EVSE first")
        return found

    @staticmethod
    def _updated(location: Location, evses: list[EVSE], child_updated: str,
                 partner_id: int | None) -> ObjectRecord:
        new = msgspec.structs.replace(location, evses=evses,
                                      last_updated=_later(location.last_updated, child_updated))
        return location_record(new, partner_id)


# -- own data in --------------------------------------------------------------------------------------------
def _import_record(line: bytes, settings: Settings) -> ObjectRecord:
    """The platform's own locations (it is the CPO): validated like a PUT, and owned by our party."""
    location = decode_object(line, location_decoder)
    owner = (location.country_code.upper(), location.party_id.upper())
    if owner != (settings.country_code, settings.party_id):
        raise InvalidParametersError(
            f"invalid field `country_code`: location {location.id} belongs to {location.country_code}/"
            f"{location.party_id}, not to this platform ({settings.country_code}/{settings.party_id})",
            field="country_code")
    return location_record(location, None)


register_importer(Importer(kind=MODULE, to_record=_import_record,
                           description="the platform's own (CPO) locations, OCPI 2.2.1 Location objects"))
