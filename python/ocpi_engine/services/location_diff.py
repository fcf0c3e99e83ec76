"""Location snapshot diffing through the Rust core: the minimal OCPI 2.2.1 Receiver-interface PUT/PATCH
operations between two snapshots, and their replay with Receiver semantics (locations.md section 2.2).

Snapshots may be JSON bytes/str (a JSON array of Locations) or decoded lists (dicts, msgspec structs); lists
are encoded once with msgspec (Decimal as exact JSON numbers) and handed to Rust in one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from ocpi_engine import _core
from ocpi_engine._core import LocationOp
from ocpi_engine.errors import InvalidInputError

__all__ = ["LocationOp", "apply_location_ops", "diff_locations"]

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder(float_hook=Decimal)

Snapshot = bytes | str | list[Any]


def _json(snapshot: Any, name: str) -> bytes | str:
    if isinstance(snapshot, bytes | str):
        return snapshot
    if isinstance(snapshot, bytearray | memoryview):
        return bytes(snapshot)
    if not isinstance(snapshot, list | tuple):
        raise InvalidInputError(f"{name} must be JSON bytes/str or a list of Locations, not {type(snapshot).__name__}")
    try:
        return _encoder.encode(snapshot)
    except (TypeError, ValueError, msgspec.EncodeError) as err:
        raise InvalidInputError(f"{name} is not JSON-encodable: {err}") from err


def _ocpi_datetime(value: str | datetime) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds" if value.microsecond == 0 else "milliseconds") + "Z"


def diff_locations(old: Snapshot, new: Snapshot, *, removed_at: str | datetime | None = None) -> list[LocationOp]:
    """The operations that turn a Receiver's copy of `old` into `new`, in the order to send them.

    New Locations are PUT; changed Locations, EVSEs and Connectors are PATCHed with only their changed
    top-level fields plus `last_updated` (or PUT when a field was removed, which PATCH cannot express);
    a vanished Connector re-PUTs its EVSE; vanished EVSEs, and the EVSEs of vanished Locations, are
    PATCHed to status REMOVED. `removed_at` dates the latter (default: the latest `last_updated` in `new`).
    """
    return _core.diff_locations(
        _json(old, "old"), _json(new, "new"), removed_at=None if removed_at is None else _ocpi_datetime(removed_at)
    )


def apply_location_ops(snapshot: Snapshot, ops: Iterable[LocationOp]) -> list[dict[str, Any]]:
    """Replay `ops` on `snapshot` as an OCPI Receiver would; numbers come back as int or Decimal."""
    result: list[dict[str, Any]] = _decoder.decode(_core.apply_location_ops(_json(snapshot, "snapshot"), list(ops)))
    return result
