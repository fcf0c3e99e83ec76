"""SQLite Store: the embedded default (WAL, versioned migrations).

Queries run on the event loop thread: with WAL and the indexes below they take microseconds, less than
a hop to a worker thread would cost, so an async facade over one connection is the fastest shape for
a single-process server. Multi-process deployments (granian workers > 1) each open their own
connection; SQLite's WAL lets readers proceed while one writer commits (busy_timeout handles bursts).
"""

from __future__ import annotations

import os
import itertools
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from ocpi_engine.storage.base import (
    ANY,
    OWN,
    MergeResult,
    ObjectRecord,
    OutboxEntry,
    OutboxStats,
    Page,
    PartnerRecord,
)
from ocpi_engine.storage.base import ReconciliationRecord

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
    # 3: partner sync outbox (pushes to partners, durable, ordered per object)
    """
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        partner_id INTEGER NOT NULL,
        module TEXT NOT NULL,
        country_code TEXT NOT NULL COLLATE NOCASE,
        party_id TEXT NOT NULL COLLATE NOCASE,
        object_id TEXT NOT NULL COLLATE NOCASE,
        sub_path TEXT NOT NULL DEFAULT '',
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        body BLOB,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'PENDING',
        leased_until REAL NOT NULL DEFAULT 0,
        lease_owner TEXT,
        last_error TEXT,
        created TEXT NOT NULL
    );
    CREATE INDEX outbox_object ON outbox(partner_id, module, country_code, party_id, object_id, state, seq);
    CREATE INDEX outbox_partner_due ON outbox(partner_id, state, next_attempt_at);
    """,
    # 4: CDR reconciliation records (the eMSP's re-pricing of received CDRs)
    """
    CREATE TABLE cdr_reconciliations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        partner_id INTEGER,
        country_code TEXT NOT NULL COLLATE NOCASE,
        party_id TEXT NOT NULL COLLATE NOCASE,
        cdr_id TEXT NOT NULL COLLATE NOCASE,
        status TEXT NOT NULL,
        body BLOB NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX cdr_reconciliations_status ON cdr_reconciliations(status, seq);
    """,
    # 5: the eMSP party a session or CDR is for (its cdr_token's owner), read from the stored 2.2.1 body by every
    # write path alike, so a Sender list shows a partner only its own sessions and CDRs (list_objects
    # `token_parties`); a body without a cdr_token gives NULL, which no partner sees
    """
    ALTER TABLE objects ADD COLUMN token_country_code TEXT GENERATED ALWAYS AS (
        CASE WHEN module IN ('sessions', 'cdrs') AND json_valid(CAST(body AS TEXT))
        THEN upper(json_extract(CAST(body AS TEXT), '$.cdr_token.country_code')) END) VIRTUAL;
    ALTER TABLE objects ADD COLUMN token_party_id TEXT GENERATED ALWAYS AS (
        CASE WHEN module IN ('sessions', 'cdrs') AND json_valid(CAST(body AS TEXT))
        THEN upper(json_extract(CAST(body AS TEXT), '$.cdr_token.party_id')) END) VIRTUAL;
    CREATE INDEX objects_module_token_seq ON objects(module, token_country_code, token_party_id, seq);
    """,
]

_COUNTS_KEPT = 1024
"""Distinct list filters whose object counts SqliteStore keeps between writes."""
_PARTNER_COLUMNS = (
    "id, name, status, token_kind, incoming_token_hash, next_token_hash, outbound_token, versions_url, version, "
    "endpoints, roles, outbound_auth, created, updated"
)
_OBJECT_COLUMNS = "module, country_code, party_id, id, last_updated, body, partner_id, seq"
_OUTBOX_COLUMNS = (
    "partner_id, module, country_code, party_id, object_id, sub_path, method, path, body, attempts, next_attempt_at, "
    "state, last_error, created, seq"
)
_SAME_OBJECT = "partner_id=? AND module=? AND country_code=? AND party_id=? AND object_id=?"
# An earlier waiting entry of the same object as `o` (only the oldest waiting entry of an object may go).
_EARLIER = (
    "SELECT 1 FROM outbox p WHERE p.partner_id=o.partner_id AND p.module=o.module AND p.country_code=o.country_code "
    "AND p.party_id=o.party_id AND p.object_id=o.object_id AND p.state='PENDING' AND p.seq<o.seq"
)


def _now() -> str:
    from ocpi_engine.models._base import format_datetime, utc_now

    return format_datetime(utc_now())


_INSTANCES = itertools.count(1)


class SqliteStore:
    """Store backed by one SQLite file (or `:memory:` for tests)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._counts: dict[tuple[Any, ...], int] = {}
        self._counts_mark: tuple[int, int] | None = None
        self._instance = next(_INSTANCES)

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
        token_parties: Sequence[tuple[str, str]] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        offset: int = 0,
        after_seq: int | None = None,
        limit: int = 100,
        bodies_only: bool = False,
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
        if token_parties is not None:
            if not token_parties:
                return Page(items=[], total=0, next_cursor=None)
            where.append(
                "(" + " OR ".join("(token_country_code = ? AND token_party_id = ?)" for _ in token_parties) + ")"
            )
            for country_code, party_id in token_parties:
                args.extend((country_code.upper(), party_id.upper()))
        if date_from is not None:
            where.append("last_updated >= ?")
            args.append(date_from)
        if date_to is not None:
            where.append("last_updated < ?")
            args.append(date_to)
        clause = " AND ".join(where)
        total = self._count(clause, args)
        page_args = list(args)
        page_clause = clause
        if after_seq is not None:
            page_clause += " AND seq > ?"
            page_args.append(after_seq)
        elif offset > 0:
            # the first object's seq found in the (module, partner_id, seq) index alone, then a keyset read: the
            # skipped objects' rows are never visited (LIMIT ... OFFSET would step through them)
            page_clause += f" AND seq >= (SELECT seq FROM objects WHERE {clause} ORDER BY seq LIMIT 1 OFFSET ?)"
            page_args += [*args, offset]
        if bodies_only:
            rows = self._conn.execute(
                f"SELECT body, seq FROM objects WHERE {page_clause} ORDER BY seq LIMIT ?", [*page_args, limit + 1]
            ).fetchall()
            more = len(rows) > limit
            del rows[limit:]
            next_cursor = rows[-1][1] if more and rows else None
            return Page(items=[], bodies=[row[0] for row in rows], total=total, next_cursor=next_cursor)
        rows = self._conn.execute(
            f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE {page_clause} ORDER BY seq LIMIT ?", [*page_args, limit + 1]
        ).fetchall()
        more = len(rows) > limit
        items = [self._object(r) for r in rows[:limit]]
        next_cursor = items[-1].seq if more and items else None
        return Page(items=items, total=total, next_cursor=next_cursor)

    def change_mark(self) -> object | None:
        db = self._conn
        if db is None or db.in_transaction:
            return None
        # the instance's own number first: marks of two stores (or of a store and a later one at the same
        # address) never compare equal
        return (self._instance, db.execute("PRAGMA data_version").fetchone()[0], db.total_changes)

    def _count(self, clause: str, args: list[Any]) -> int:
        """COUNT(*) of the objects matching `clause`, kept until the next write anywhere: this connection's own
        (`total_changes`) or a commit by any other connection or process (`PRAGMA data_version`). Page after page
        of the same filters then costs one PRAGMA instead of a walk through the index (X-Total-Count)."""
        db = self._conn
        query = f"SELECT COUNT(*) FROM objects WHERE {clause}"
        if db.in_transaction:  # this connection's uncommitted writes may still roll back: do not keep the count
            return int(db.execute(query, args).fetchone()[0])
        mark = (db.execute("PRAGMA data_version").fetchone()[0], db.total_changes)
        if mark != self._counts_mark or len(self._counts) >= _COUNTS_KEPT:
            self._counts.clear()
            self._counts_mark = mark
        key = (clause, *args)
        total = self._counts.get(key)
        if total is None:
            total = self._counts[key] = int(db.execute(query, args).fetchone()[0])
        return total

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

    # -- partner sync: outbox and pulled objects ------------------------------------------------------
    @staticmethod
    def _outbox(row: tuple[Any, ...]) -> OutboxEntry:
        return OutboxEntry(
            partner_id=row[0], module=row[1], country_code=row[2], party_id=row[3], object_id=row[4],
            sub_path=row[5], method=row[6], path=row[7], body=None if row[8] is None else bytes(row[8]),
            attempts=row[9], next_attempt_at=row[10], state=row[11], last_error=row[12], created=row[13], seq=row[14],
        )

    def _enqueue(self, entry: OutboxEntry, now: float, created: str) -> None:
        db = self._conn
        key = (entry.partner_id, entry.module, entry.country_code.upper(), entry.party_id.upper(), entry.object_id)
        if entry.method == "PUT" and entry.sub_path == "":
            # A whole-object PUT carries everything the waiting (not in flight) entries of the object would have
            # said: they go, the PUT takes the latest backoff among them so a failing partner is not hammered.
            row = db.execute(
                f"SELECT MAX(next_attempt_at) FROM outbox WHERE {_SAME_OBJECT} AND state='PENDING' AND leased_until<=?",
                (*key, now),
            ).fetchone()
            not_before = max(entry.next_attempt_at, row[0] or 0.0)
            db.execute(f"DELETE FROM outbox WHERE {_SAME_OBJECT} AND state='PENDING' AND leased_until<=?", (*key, now))
            entry = msgspec.structs.replace(entry, next_attempt_at=not_before)
        elif entry.method == "PUT":
            last = db.execute(
                f"SELECT seq, method, path, leased_until FROM outbox WHERE {_SAME_OBJECT} AND state='PENDING' "
                "ORDER BY seq DESC LIMIT 1",
                key,
            ).fetchone()
            if last is not None and last[1] == "PUT" and last[2] == entry.path and last[3] <= now:
                db.execute("UPDATE outbox SET body=? WHERE seq=?", (entry.body, last[0]))
                return
        db.execute(
            "INSERT INTO outbox (partner_id, module, country_code, party_id, object_id, sub_path, method, path, body, "
            "attempts, next_attempt_at, state, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,'PENDING',?)",
            (*key, entry.sub_path, entry.method, entry.path, entry.body, entry.attempts, entry.next_attempt_at,
             created),
        )

    async def put_objects_with_outbox(self, records: Iterable[ObjectRecord], entries: Iterable[OutboxEntry]) -> int:
        db = self._conn
        now, created_at = time.time(), _now()
        created = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                created += self._upsert(record)
            for entry in entries:
                self._enqueue(entry, now, created_at)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return created

    async def enqueue_outbox(self, entries: Iterable[OutboxEntry]) -> int:
        db = self._conn
        now, created_at = time.time(), _now()
        count = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for entry in entries:
                self._enqueue(entry, now, created_at)
                count += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return count

    async def claim_outbox(self, partner_id: int, *, now: float, lease_until: float, owner: str,
                           limit: int) -> list[OutboxEntry]:
        db = self._conn
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = db.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox o WHERE o.partner_id=? AND o.state='PENDING' "
                f"AND o.next_attempt_at<=? AND o.leased_until<=? AND NOT EXISTS ({_EARLIER}) ORDER BY o.seq LIMIT ?",
                (partner_id, now, now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET leased_until=?, lease_owner=? WHERE seq=?",
                [(lease_until, owner, row[-1]) for row in rows],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return [self._outbox(r) for r in rows]

    async def finish_outbox(self, seq: int) -> None:
        self._conn.execute("DELETE FROM outbox WHERE seq=?", (seq,))

    async def retry_outbox(self, seq: int, *, next_attempt_at: float, error: str) -> None:
        self._conn.execute(
            "UPDATE outbox SET attempts=attempts+1, next_attempt_at=MAX(next_attempt_at, ?), leased_until=0, "
            "lease_owner=NULL, last_error=? WHERE seq=?",
            (next_attempt_at, error, seq),
        )

    async def kill_outbox(self, seq: int, *, error: str) -> None:
        self._conn.execute(
            "UPDATE outbox SET attempts=attempts+1, state='DEAD', leased_until=0, lease_owner=NULL, last_error=? "
            "WHERE seq=?",
            (error, seq),
        )

    async def defer_outbox(self, partner_id: int, until: float) -> None:
        self._conn.execute(
            "UPDATE outbox SET next_attempt_at=? WHERE partner_id=? AND state='PENDING' AND next_attempt_at<?",
            (until, partner_id, until),
        )

    async def outbox_next_due(self, partner_id: int) -> float | None:
        row = self._conn.execute(
            "SELECT MIN(MAX(o.next_attempt_at, o.leased_until)) FROM outbox o WHERE o.partner_id=? "
            f"AND o.state='PENDING' AND NOT EXISTS ({_EARLIER})",
            (partner_id,),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    async def outbox_lease_owners(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT DISTINCT lease_owner FROM outbox WHERE lease_owner IS NOT NULL AND leased_until>0"
        ).fetchall()
        return [r[0] for r in rows]

    async def release_outbox_leases(self, owner: str) -> int:
        return self._conn.execute(
            "UPDATE outbox SET leased_until=0, lease_owner=NULL WHERE lease_owner=?", (owner,)
        ).rowcount

    async def outbox_stats(self) -> list[OutboxStats]:
        rows = self._conn.execute(
            "SELECT partner_id, SUM(state='PENDING'), SUM(state='DEAD'), MIN(created), "
            "MIN(CASE WHEN state='PENDING' THEN next_attempt_at END), MAX(attempts), "
            "(SELECT last_error FROM outbox e WHERE e.partner_id=o.partner_id AND e.last_error IS NOT NULL "
            " ORDER BY e.seq DESC LIMIT 1) "
            "FROM outbox o GROUP BY partner_id ORDER BY partner_id"
        ).fetchall()
        return [OutboxStats(partner_id=r[0], pending=r[1] or 0, dead=r[2] or 0, oldest_created=r[3],
                            next_attempt_at=r[4], max_attempts=r[5] or 0, last_error=r[6]) for r in rows]

    async def list_outbox(self, *, partner_id: int | None = None, state: str | None = None,
                          limit: int = 100) -> list[OutboxEntry]:
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if partner_id is not None:
            where.append("partner_id=?")
            args.append(partner_id)
        if state is not None:
            where.append("state=?")
            args.append(state)
        rows = self._conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?", (*args, limit)
        ).fetchall()
        return [self._outbox(r) for r in rows]

    async def requeue_outbox(self, *, partner_id: int | None = None) -> int:
        args: tuple[Any, ...]
        if partner_id is None:
            sql, args = "UPDATE outbox SET state='PENDING', next_attempt_at=0 WHERE state='DEAD'", ()
        else:
            sql = "UPDATE outbox SET state='PENDING', next_attempt_at=0 WHERE state='DEAD' AND partner_id=?"
            args = (partner_id,)
        return self._conn.execute(sql, args).rowcount

    async def merge_objects(self, records: Iterable[ObjectRecord]) -> MergeResult:
        db = self._conn
        result = MergeResult()
        db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                row = db.execute(
                    "SELECT partner_id, last_updated FROM objects WHERE module=? AND country_code=? AND party_id=? "
                    "AND id=?",
                    (record.module, record.country_code, record.party_id, record.id),
                ).fetchone()
                if row is not None and row[0] != record.partner_id:
                    result.refused += 1
                    continue
                if row is not None and row[1] > record.last_updated:
                    result.older += 1
                    continue
                result.created += self._upsert(record)
                result.written += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return result

    # -- atomic read-modify-write of one object ------------------------------------------------------------
    async def update_object(
        self, module: str, country_code: str, party_id: str, id: str,
        change: Callable[[ObjectRecord | None], ObjectRecord | None],
    ) -> ObjectRecord | None:
        db = self._conn
        db.execute("BEGIN IMMEDIATE")  # the write lock first: no other connection writes between read and write
        try:
            row = db.execute(
                f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE module=? AND country_code=? AND party_id=? AND id=?",
                (module, country_code, party_id, id),
            ).fetchone()
            written = change(None if row is None else self._object(row))
            if written is not None:
                self._upsert(written)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return written

    # -- CDR reconciliation records ---------------------------------------------------------------------
    async def add_reconciliation(self, record: ReconciliationRecord) -> int:
        cursor = self._conn.execute(
            "INSERT INTO cdr_reconciliations (partner_id, country_code, party_id, cdr_id, status, body, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record.partner_id, record.country_code.upper(), record.party_id.upper(), record.cdr_id, record.status,
             record.body, record.created or _now()),
        )
        return int(cursor.lastrowid or 0)

    async def list_reconciliations(self, *, statuses: Sequence[str] | None = None, after_seq: int = 0,
                                   limit: int = 100) -> list[ReconciliationRecord]:
        where = "seq > ?"
        args: list[Any] = [after_seq]
        if statuses is not None:
            where += " AND status IN (" + ",".join("?" * len(statuses)) + ")"
            args.extend(statuses)
        rows = self._conn.execute(
            "SELECT seq, partner_id, country_code, party_id, cdr_id, status, body, created FROM cdr_reconciliations "
            f"WHERE {where} ORDER BY seq LIMIT ?", [*args, limit],
        ).fetchall()
        return [ReconciliationRecord(seq=r[0], partner_id=r[1], country_code=r[2], party_id=r[3], cdr_id=r[4],
                                     status=r[5], body=bytes(r[6]), created=r[7]) for r in rows]
