"""Persistence behind the `Store` protocol: SQLite (embedded default) now, PostgreSQL with the same interface."""

from ocpi_engine.storage.base import ObjectRecord, Page, PartnerRecord, Store
from ocpi_engine.storage.factory import open_store

__all__ = ["ObjectRecord", "Page", "PartnerRecord", "Store", "open_store"]
