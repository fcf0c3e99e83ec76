"""Open the Store named by a database URL."""

from __future__ import annotations

from ocpi_engine.settings import Settings, SettingsError
from ocpi_engine.storage.base import Store
from ocpi_engine.storage.sqlite import SqliteStore


def open_store(settings: Settings) -> Store:
    """Build (not yet open) the store for `settings.database_url`."""
    path = settings.sqlite_path()
    if path is not None:
        return SqliteStore(path)
    raise SettingsError(
        f"OCPI_ENGINE_DATABASE_URL {settings.database_url.split('@')[-1]!r} is not supported yet; "
        "use sqlite:///path/to/file.sqlite3"
    )
