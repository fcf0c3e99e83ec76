"""An in-process tier in front of Redis, kept coherent across workers and hosts by Redis invalidation messages.

Hot reads (partner authentication, token authorization) are answered from a dict in the worker: no network
round trip. Every write goes to Redis (through `RedisCache`), then an invalidation message naming the key is
published on the platform's channel; every process subscribes to that channel and drops the key.

Why a stale ALLOWED after an accepted BLOCKED cannot be served:

1. A writer publishes one invalidation message per write, then waits until every process that received it
   (PUBLISH counts them) has applied it and acknowledged (an RPUSH to a list named by the message's nonce);
   processes apply invalidations as soon as their event loop sees the socket readable. So when a write is
   acknowledged, every tier has dropped the old entry. A process that does not acknowledge within the lease is covered by (2): the writer waits
   the lease out instead.
2. The local tier is trusted only under a lease: every process publishes a heartbeat carrying its wall clock
   every `heartbeat` seconds; a process trusts its local entries only while the newest heartbeat it has read
   was sent less than `lease` seconds ago. When Redis stalls or the subscription breaks, trust lapses, the
   local tier is emptied and reads go to Redis or the store.
3. A writer that could not publish its invalidation (Redis down or slow), or did not get every receipt, waits
   out the lease before it acknowledges the write: by then no process trusts a local entry from before the
   write (the invalidation precedes any newer heartbeat on the channel, so a process that read a newer
   heartbeat has applied it).
4. Redis itself may hold entries some writer failed to overwrite: every process that sees a Redis failure
   (its heartbeat publishes every `heartbeat` seconds, so within one heartbeat of an outage) marks Redis dirty and
   drops the platform's keys before reading it again (see `RedisCache`); a writer that failed flushes before
   its lease wait is over when Redis returns within it.

Expiry is not part of coherence: a local entry nobody invalidated is as current as Redis. So a read that finds
its entry past the local TTL still answers from it and queues the key for a refresh, which a background task
does in batches (one MGET per 500 keys). A warm start therefore never turns into a wave of Redis round trips on
the request path when the warmed entries come of age together (they are also spread over the TTL's last tenth).

Limit: a network partition that cuts one host off from Redis while the others still reach it is handled by
(3) for the local tiers, but entries that host failed to overwrite in Redis stay until its own flush.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import select
import socket
import time
import urllib.parse
from collections import OrderedDict

from ocpi_engine.cache.base import spread
from ocpi_engine.cache.redis import RedisCache

__all__ = ["TieredCache", "RespSubscriber"]

log = logging.getLogger("ocpi_engine.cache")

_HEARTBEAT = b"\x00hb:"


class RespSubscriber:
    """A SUBSCRIBE connection read without blocking: `drain()` applies whatever Redis has already delivered."""

    def __init__(self, url: str, channel: bytes, *, timeout: float = 0.5) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError(f"the in-process tier needs a redis:// URL, not {parts.scheme}://")
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self._user = urllib.parse.unquote(parts.username) if parts.username else None
        self._password = urllib.parse.unquote(parts.password) if parts.password else None
        self._channel = channel
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._poll = select.poll()
        self._buf = bytearray()

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        """Blocking connect + AUTH + SUBSCRIBE (bounded by the timeout), then non-blocking reads."""
        self.close()
        sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._password is not None:
                args = [b"AUTH", *([self._user.encode()] if self._user else []), self._password.encode()]
                sock.sendall(_command(args))
                reply = sock.recv(4096)
                if not reply.startswith(b"+OK"):
                    raise OSError("redis refused AUTH for the invalidation channel")
            sock.sendall(_command([b"SUBSCRIBE", self._channel]))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        self._buf.clear()

    def fileno(self) -> int | None:
        return self._sock.fileno() if self._sock is not None else None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def drain(self) -> list[bytes]:
        """Payloads of the messages delivered so far (never blocks). On a broken connection: closes it."""
        sock = self._sock
        if sock is None:
            return []
        if not self._poll.poll(0):  # nothing delivered (the common case): no recv, no exception
            return []
        while True:
            try:
                chunk = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.close()
                break
            if not chunk:
                self.close()
                break
            self._buf += chunk
            if len(chunk) < 65536:
                break
        if not self._buf:
            return []
        messages: list[bytes] = []
        pos = 0
        while True:
            parsed = _parse(self._buf, pos)
            if parsed is None:
                break
            value, pos = parsed
            if isinstance(value, list) and len(value) == 3 and value[0] == b"message":
                payload = value[2]
                if isinstance(payload, bytes):
                    messages.append(payload)
        del self._buf[:pos]
        return messages


def _command(args: list[bytes]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def _parse(buf: bytearray, pos: int) -> tuple[object, int] | None:
    """One RESP2 value at `pos`, or None when it has not fully arrived yet."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, line = buf[pos:pos + 1], bytes(buf[pos + 1:end])
    pos = end + 2
    if kind == b"$":
        length = int(line)
        if length < 0:
            return None, pos
        if len(buf) < pos + length + 2:
            return None
        return bytes(buf[pos:pos + length]), pos + length + 2
    if kind == b"*":
        items: list[object] = []
        for _ in range(int(line)):
            parsed = _parse(buf, pos)
            if parsed is None:
                return None
            item, pos = parsed
            items.append(item)
        return items, pos
    if kind == b":":
        return int(line), pos
    return line, pos  # + simple string, - error


class TieredCache:
    """`Cache` with an in-process tier over a `RedisCache`; see the module docstring for the coherence rules."""

    name = "redis"
    local_tier = True

    def __init__(self, remote: RedisCache, url: str, *, namespace: str = "", max_entries: int = 200_000,
                 heartbeat: float = 0.2, lease: float = 1.0, local_ttl: float = 300.0) -> None:
        self.remote = remote
        self._channel = f"{namespace}ocpi:invalidate".encode()
        self._sub = RespSubscriber(url, self._channel)
        self._local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._heartbeat = heartbeat
        self._lease = lease
        self._local_ttl = local_ttl
        self._last_beat = 0.0  # sender wall clock of the newest heartbeat read
        self._generation = 0  # bumped by every invalidation applied: fills racing one are dropped
        self._trusted = False
        self._ever_trusted = False
        self._task: asyncio.Task[None] | None = None
        self._watched: int | None = None  # the subscription socket's fd registered with the event loop
        self._acks: list[str] = []  # receipts to send (list keys)
        self._ack_task: asyncio.Task[None] | None = None
        self._stale: dict[str, None] = {}  # expired local entries still served, queued for a refresh (ordered set)
        self._refresh_task: asyncio.Task[None] | None = None

    # -- life cycle ------------------------------------------------------------------------------------
    async def open(self) -> None:
        await self.remote.open()
        self._try_connect()
        self._watch()
        self._task = asyncio.get_running_loop().create_task(self._beat_forever())
        for _ in range(50):  # our first heartbeat back (at most 1 s): start-up warming can fill the tier
            if self._check():
                break
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            self._refresh_task = None
        self._stale.clear()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
            self._task = None
        self._unwatch()
        self._sub.close()
        self._local.clear()
        await self.remote.close()

    async def ping(self) -> bool:
        return await self.remote.ping()

    def _try_connect(self) -> None:
        try:
            self._sub.connect()
        except OSError as exc:
            log.debug("invalidation channel unavailable: %s", exc)

    def _watch(self) -> None:
        """Apply invalidations as soon as they arrive, not only when a read drains the socket."""
        fd = self._sub.fileno()
        if fd == self._watched:
            return
        self._unwatch()
        if fd is not None:
            asyncio.get_running_loop().add_reader(fd, self._readable)
            self._watched = fd

    def _unwatch(self) -> None:
        if self._watched is not None:
            asyncio.get_running_loop().remove_reader(self._watched)
            self._watched = None

    def _readable(self) -> None:
        self._apply(self._sub.drain())

    async def _beat_forever(self) -> None:
        while True:
            if not self._sub.connected:
                self._unwatch()
                await asyncio.to_thread(self._try_connect)
                self._watch()
            await self._publish(_HEARTBEAT + repr(time.time()).encode())
            self._apply(self._sub.drain())
            await asyncio.sleep(self._heartbeat)

    async def _send_acks(self) -> None:
        while self._acks:
            batch, self._acks = self._acks, []
            await self.remote.push_acks(batch)

    # -- coherence -----------------------------------------------------------------------------------
    def _apply(self, messages: list[bytes]) -> None:
        for payload in messages:
            if payload.startswith(_HEARTBEAT):
                try:
                    sent = float(payload[len(_HEARTBEAT):])
                except ValueError:
                    continue
                if sent > self._last_beat:
                    self._last_beat = sent
                continue
            if not payload.startswith(b"i:"):
                continue
            nonce, _, names = payload[2:].partition(b":")
            self._generation += 1
            for name in names.split(b"\x1f"):
                if name == b"*":
                    self._local.clear()
                else:
                    self._local.pop(name.decode(), None)
            self._acks.append(f"ocpi:ack:{nonce.decode()}")
            if self._ack_task is None or self._ack_task.done():
                self._ack_task = asyncio.get_running_loop().create_task(self._send_acks())
        if self._sub.fileno() != self._watched:
            self._unwatch()  # the connection broke: the beat loop reconnects and watches the new one

    def _check(self) -> bool:
        """True while the lease holds (local entries may be served). No system call here: invalidations are applied
        by the event loop's reader callback, and a write is acknowledged only once every process has applied it
        (rule 1), so a read never needs to drain the socket first; a system call per read would also hand the GIL
        to granian's runtime thread and back on every lookup."""
        trusted = self._sub.connected and time.time() - self._last_beat < self._lease
        if trusted != self._trusted:
            self._trusted = trusted
            if not trusted:
                self._local.clear()
                self._generation += 1
                log.warning("cache invalidation channel lost; in-process tier off until Redis answers again")
            elif self._ever_trusted:
                log.warning("cache invalidation channel back; in-process tier on")
            self._ever_trusted = self._ever_trusted or trusted
        return trusted

    async def _publish(self, payload: bytes) -> int | None:
        return await self.remote.publish(self._channel, payload)

    async def _invalidate(self, keys: tuple[str, ...]) -> None:
        """Drop `keys` from every tier before returning (see rules 1 and 3 of the module docstring)."""
        self._generation += 1
        for key in keys:
            self._local.pop(key, None)
        started = time.monotonic()
        deadline = started + self._lease + self._heartbeat
        nonce = os.urandom(8).hex()
        receivers = await self._publish(b"i:" + nonce.encode() + b":" + "\x1f".join(keys).encode())
        if receivers is not None:
            ack_key = f"ocpi:ack:{nonce}"
            pause = 0.0002
            while time.monotonic() < deadline:
                count = await self.remote.list_length(ack_key)
                if count is None:
                    break
                if count >= receivers:
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.005)
        # Some process may still trust an entry from before this write: wait until its lease is over.
        self._local.clear()
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))

    # -- refresh of expired entries (see the module docstring) ----------------------------------------
    def _expires(self) -> float:
        return time.monotonic() + spread(self._local_ttl)

    def _refresh_later(self, key: str) -> None:
        if key in self._stale:
            return
        self._stale[key] = None
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        while self._stale:
            keys = list(itertools.islice(self._stale, 500))
            for key in keys:
                del self._stale[key]
            generation = self._generation
            values = await self.remote.get_many(keys)
            if values is None or generation != self._generation or not self._check():
                # Redis unavailable, or a write raced the read: drop them, the next read of each goes the usual way.
                for key in keys:
                    self._local.pop(key, None)
                continue
            expires = self._expires()
            for key, value in zip(keys, values):
                if value is None:  # gone from Redis (its own TTL): the next read fills from the store
                    self._local.pop(key, None)
                elif key in self._local:
                    self._local[key] = (expires, value)

    # -- Cache -----------------------------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        if self._check():
            entry = self._local.get(key)
            if entry is not None:
                if entry[0] < time.monotonic():
                    self._refresh_later(key)
                return entry[1]
        generation = self._generation
        value = await self.remote.get(key)
        if value is not None and self._check() and generation == self._generation:
            self._local[key] = (self._expires(), value)
            if len(self._local) > self._max:
                self._local.popitem(last=False)
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        await self.remote.set(key, value, ttl)
        await self._invalidate((key,))

    async def set_if_absent(self, key: str, value: bytes, ttl: int) -> None:
        # A fill after a miss: only Redis; the local tier fills from Redis on the next read.
        await self.remote.set_if_absent(key, value, ttl)

    async def set_many(self, items: list[tuple[str, bytes]], ttl: int) -> None:
        if not items:
            return
        await self.remote.set_many(items, ttl)
        if len(items) <= 100:
            await self._invalidate(tuple(key for key, _ in items))
        else:  # a bulk write: every tier drops everything (one message instead of one per key)
            self._local.clear()
            await self._invalidate(("*",))

    def mark(self) -> int:
        self._apply(self._sub.drain())
        return self._generation

    async def fill_many(self, items: list[tuple[str, bytes]], ttl: int, mark: int) -> None:
        await self.remote.fill_many(items, ttl, mark)
        # The values were read from the store after `mark`: any write since then has bumped the generation (its
        # invalidation drained here) and the whole batch stays out of the local tier; later writes evict.
        if self._check() and self.mark() == mark:
            for key, value in items:
                self._local[key] = (self._expires(), value)
            while len(self._local) > self._max:
                self._local.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        await self.remote.delete(*keys)
        await self._invalidate(keys)
