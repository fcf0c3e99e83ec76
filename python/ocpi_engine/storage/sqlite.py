"""SQLite Store: the embedded default (WAL, versioned migrations).

Queries run on the event loop thread: with WAL and the indexes below they take microseconds, less than
a hop to a worker thread would cost, so an async facade over one connection is the fastest shape for
a single-process server. Multi-process deployments (granian workers > 1) each open their own
connection; SQLite's WAL lets readers proceed while one writer commits (busy_timeout handles bursts).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ocpi_engine.storage.base import ANY, OWN, ObjectRecord, Page, PartnerRecord

__all__ = ["SqliteStore"]

MIGRATIONS: list[str] = [
    # 1: objects, partners, meta
    """
    CREATE TABLE objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        module TEXT NOT NULL,
        country_code TEXT NOT NULL COLLATE NOCASE,
        party_id TEXT NOT NULL COLLATE NOCASE,
        id TEXT NOT NULL COLLATE NOCASE,
        last_updated TEXT NOT NULL,
        partner_id INTEGER,
        body BLOB NOT NULL
    );
    CREATE UNIQUE INDEX objects_key ON objects(module, country_code, party_id, id);
    CREATE INDEX objects_module_updated ON objects(module, last_updated);
    CREATE INDEX objects_module_partner_seq ON objects(module, partner_id, seq);
    CREATE TABLE partners (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        token_kind TEXT NOT NULL,
        incoming_token_hash TEXT UNIQUE,
        next_token_hash TEXT UNIQUE,
        outbound_token TEXT,
        versions_url TEXT,
        version TEXT,
        endpoints TEXT NOT NULL DEFAULT '[]',
        roles TEXT NOT NULL DEFAULT '[]',
        outbound_auth TEXT NOT NULL DEFAULT 'auto',
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: find an object by id whoever owns it (a token read at a charger: uid and type, owner unknown)
    """
    CREATE INDEX objects_module_id ON objects(module, id);
    """,
]

_PARTNER_COLUMNS = (
    "id, name, status, token_kind, incoming_token_hash, next_token_hash, outbound_token, versions_url, version, "
    "endpoints, roles, outbound_auth, created, updated"
)
_OBJECT_COLUMNS = "module, country_code, party_id, id, last_updated, body, partner_id, seq"


def _now() -> str:
    from ocpi_engine.models._base import format_datetime, utc_now

    return format_datetime(utc_now())


class SqliteStore:
    """Store backed by one SQLite file (or `:memory:` for tests)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    async def open(self) -> None:
        if self._db is not None:
            return
        if self.path != ":memory:":
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        self._db = db
        self._migrate()

    def _migrate(self) -> None:
        db = self._conn
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        current = row[0] if row else 0
        if current >= len(MIGRATIONS):
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            for version in range(current, len(MIGRATIONS)):
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute("DELETE FROM schema_version")
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def ping(self) -> bool:
        try:
            self._conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("store is not open: call `await store.open()` first")
        return self._db

    # -- module objects -----------------------------------------------------------------------------
    @staticmethod
    def _object(row: tuple[Any, ...]) -> ObjectRecord:
        return ObjectRecord(
            module=row[0],
            country_code=row[1],
            party_id=row[2],
            id=row[3],
            last_updated=row[4],
            body=bytes(row[5]),
            partner_id=row[6],
            seq=row[7],
        )

    async def get_object(self, module: str, country_code: str, party_id: str, id: str) -> ObjectRecord | None:
        row = self._conn.execute(
            f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE module=? AND country_code=? AND party_id=? AND id=?",
            (module, country_code, party_id, id),
        ).fetchone()
        return None if row is None else self._object(row)

    def _upsert(self, record: ObjectRecord) -> bool:
        cursor = self._conn.execute(
            "UPDATE objects SET last_updated=?, body=?, partner_id=? "
            "WHERE module=? AND country_code=? AND party_id=? AND id=?",
            (
                record.last_updated,
                record.body,
                record.partner_id,
                record.module,
                record.country_code.upper(),
                record.party_id.upper(),
                record.id,
            ),
        )
        if cursor.rowcount:
            return False
        self._conn.execute(
            "INSERT INTO objects (module, country_code, party_id, id, last_updated, partner_id, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.module,
                record.country_code.upper(),
                record.party_id.upper(),
                record.id,
                record.last_updated,
                record.partner_id,
                record.body,
            ),
        )
        return True

    async def put_object(self, record: ObjectRecord) -> bool:
        db = self._conn
        db.execute("BEGIN IMMEDIATE")
        try:
            created = self._upsert(record)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return created

    async def put_objects(self, records: Iterable[ObjectRecord]) -> int:
        db = self._conn
        created = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                created += self._upsert(record)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return created

    async def find_objects(self, module: str, id: str, *, partner_id: Any = ANY) -> list[ObjectRecord]:
        where = "module=? AND id=?"
        args: list[Any] = [module, id]
        if partner_id is OWN:
            where += " AND partner_id IS NULL"
        elif partner_id is not ANY:
            where += " AND partner_id = ?"
            args.append(partner_id)
        rows = self._conn.execute(f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE {where} ORDER BY seq", args).fetchall()
        return [self._object(r) for r in rows]

    async def delete_object(self, module: str, country_code: str, party_id: str, id: str) -> bool:
        cursor = self._conn.execute(
            "DELETE FROM objects WHERE module=? AND country_code=? AND party_id=? AND id=?",
            (module, country_code, party_id, id),
        )
        return cursor.rowcount > 0

    async def list_objects(
        self,
        module: str,
        *,
        partner_id: Any = ANY,
        parties: Sequence[tuple[str, str]] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        offset: int = 0,
        after_seq: int | None = None,
        limit: int = 100,
    ) -> Page:
        where = ["module = ?"]
        args: list[Any] = [module]
        if partner_id is OWN:
            where.append("partner_id IS NULL")
        elif partner_id is not ANY:
            where.append("partner_id = ?")
            args.append(partner_id)
        if parties is not None:
            if not parties:
                return Page(items=[], total=0, next_cursor=None)
            where.append(
                "(" + " OR ".join("(country_code = ? AND party_id = ?)" for _ in parties) + ")"
            )
            for country_code, party_id in parties:
                args.extend((country_code, party_id))
        if date_from is not None:
            where.append("last_updated >= ?")
            args.append(date_from)
        if date_to is not None:
            where.append("last_updated < ?")
            args.append(date_to)
        clause = " AND ".join(where)
        total = self._conn.execute(f"SELECT COUNT(*) FROM objects WHERE {clause}", args).fetchone()[0]
        page_args = list(args)
        page_clause = clause
        if after_seq is not None:
            page_clause += " AND seq > ?"
            page_args.append(after_seq)
            skip = 0
        else:
            skip = max(offset, 0)
        rows = self._conn.execute(
            f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE {page_clause} ORDER BY seq LIMIT ? OFFSET ?",
            [*page_args, limit + 1, skip],
        ).fetchall()
        more = len(rows) > limit
        items = [self._object(r) for r in rows[:limit]]
        next_cursor = items[-1].seq if more and items else None
        return Page(items=items, total=total, next_cursor=next_cursor)

    # -- partners -----------------------------------------------------------------------------------
    @staticmethod
    def _partner(row: tuple[Any, ...]) -> PartnerRecord:
        return PartnerRecord(
            id=row[0],
            name=row[1],
            status=row[2],
            token_kind=row[3],
            incoming_token_hash=row[4],
            next_token_hash=row[5],
            outbound_token=row[6],
            versions_url=row[7],
            version=row[8],
            endpoints=msgspec.json.decode(row[9]),
            roles=msgspec.json.decode(row[10]),
            outbound_auth=row[11],
            created=row[12],
            updated=row[13],
        )

    async def create_partner(self, partner: PartnerRecord) -> PartnerRecord:
        now = _now()
        cursor = self._conn.execute(
            "INSERT INTO partners (name, status, token_kind, incoming_token_hash, next_token_hash, outbound_token, "
            "versions_url, version, endpoints, roles, outbound_auth, created, updated) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                partner.name,
                partner.status,
                partner.token_kind,
                partner.incoming_token_hash,
                partner.next_token_hash,
                partner.outbound_token,
                partner.versions_url,
                partner.version,
                msgspec.json.encode(partner.endpoints).decode(),
                msgspec.json.encode(partner.roles).decode(),
                partner.outbound_auth,
                now,
                now,
            ),
        )
        created = msgspec.structs.replace(partner, id=int(cursor.lastrowid or 0), created=now, updated=now)
        return created

    async def update_partner(self, partner: PartnerRecord, *, only_if_token_hash: str | None = None) -> bool:
        partner.updated = _now()
        guard = "" if only_if_token_hash is None else " AND incoming_token_hash=?"
        cursor = self._conn.execute(
            "UPDATE partners SET name=?, status=?, token_kind=?, incoming_token_hash=?, next_token_hash=?, "
            "outbound_token=?, versions_url=?, version=?, endpoints=?, roles=?, outbound_auth=?, updated=? WHERE id=?" + guard,
            (
                partner.name,
                partner.status,
                partner.token_kind,
                partner.incoming_token_hash,
                partner.next_token_hash,
                partner.outbound_token,
                partner.versions_url,
                partner.version,
                msgspec.json.encode(partner.endpoints).decode(),
                msgspec.json.encode(partner.roles).decode(),
                partner.outbound_auth,
                partner.updated,
                partner.id,
                *(() if only_if_token_hash is None else (only_if_token_hash,)),
            ),
        )
        return cursor.rowcount == 1

    async def get_partner(self, partner_id: int) -> PartnerRecord | None:
        row = self._conn.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE id=?", (partner_id,)).fetchone()
        return None if row is None else self._partner(row)

    async def find_partner_by_token_hash(self, token_hash: str) -> PartnerRecord | None:
        row = self._conn.execute(
            f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE incoming_token_hash=? OR next_token_hash=?",
            (token_hash, token_hash),
        ).fetchone()
        return None if row is None else self._partner(row)

    async def list_partners(self) -> list[PartnerRecord]:
        rows = self._conn.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners ORDER BY id").fetchall()
        return [self._partner(r) for r in rows]

    async def delete_partner(self, partner_id: int) -> bool:
        return self._conn.execute("DELETE FROM partners WHERE id=?", (partner_id,)).rowcount > 0

    # -- meta ---------------------------------------------------------------------------------------
    async def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )
