"""Own data in: the platform's objects (locations, tariffs, tokens, ...) enter the store through importers.

Each OCPI module registers one `Importer` per KIND with one line in `IMPORTER_MODULES` (a module whose
import calls `register_importer`). `ocpi-engine import KIND FILE.jsonl` and `POST /admin/import/{kind}`
both run `import_lines`: every line is validated like OCPI input first; one invalid line means nothing is
written (the error names the line and the field); then all records are written in one transaction and the
importer's `after_write` hook runs (cache refresh, push to partners).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from ocpi_engine.errors import InvalidParametersError, OcpiError
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, Store

__all__ = ["IMPORTER_MODULES", "Importer", "ImportResult", "register_importer", "importers", "import_lines"]

IMPORTER_MODULES: list[str] = [
    "ocpi_engine.services.tokens",
    "ocpi_engine.services.sessions",
    "ocpi_engine.services.cdrs",
    "ocpi_engine.services.locations",
    "ocpi_engine.services.tariffs",
]
"""Modules that register importers when imported, one line each (e.g. "ocpi_engine.services.locations")."""

_IMPORTERS: dict[str, Importer] = {}


@dataclass(frozen=True)
class Importer:
    kind: str
    """The KIND users type: `locations`, `tariffs`, `tokens`, ..."""
    to_record: Callable[[bytes, Settings], ObjectRecord]
    """Validate one JSON object (the platform's own, 2.2.1 form) and build its record; raise OcpiError."""
    after_write: Callable[[Any, list[ObjectRecord]], Awaitable[None]] | None = None
    """Called with the app state (or a CLI context with .store/.cache/.settings) after the write."""
    description: str = ""
    prepare: Callable[[Store, Settings, list[ObjectRecord]], Awaitable[list[ObjectRecord]]] | None = None
    """Optional: complete the validated records before the write (e.g. sessions' total_cost from our tariffs)."""


class ImportResult(msgspec.Struct, kw_only=True):
    kind: str
    imported: int
    created: int


def register_importer(importer: Importer) -> None:
    _IMPORTERS[importer.kind] = importer


def importers() -> dict[str, Importer]:
    for name in IMPORTER_MODULES:
        importlib.import_module(name)
    return dict(_IMPORTERS)


async def import_lines(
    kind: str,
    lines: Iterable[bytes],
    *,
    store: Store,
    settings: Settings,
    context: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    available = importers()
    importer = available.get(kind)
    if importer is None:
        known = ", ".join(sorted(available)) or "none yet"
        raise InvalidParametersError(f"unknown import kind {kind!r}; known kinds: {known}", field="kind")
    records: list[ObjectRecord] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(importer.to_record(line, settings))
        except OcpiError as exc:
            errors.append(f"line {number}: {exc.message}")
            if len(errors) >= 20:
                break
        if progress is not None and number % 1000 == 0:
            progress(number)
    if errors:
        more = " (stopped after 20 errors)" if len(errors) >= 20 else ""
        raise InvalidParametersError(
            f"nothing imported: {len(errors)} invalid line(s){more}: " + "; ".join(errors), field="line"
        )
    if importer.prepare is not None:
        records = await importer.prepare(store, settings, records)
    # Pushes to partners are queued in the same transaction as the objects (services/sync.py).
    from ocpi_engine.services.sync import plan_push

    entries = await plan_push(store, kind, records)
    created = await store.put_objects_with_outbox(records, entries) if entries else await store.put_objects(records)
    wake = getattr(context, "push_wake", None) if entries else None
    if wake is not None:
        wake.set()
    if importer.after_write is not None:
        await importer.after_write(context, records)
    return ImportResult(kind=kind, imported=len(records), created=created)
