"""Random identifiers for the request path, drawn from a pool refilled by one `os.urandom` call per 8 KB.

`os.urandom` is a `getrandom` system call that releases the GIL: on a granian worker the runtime thread takes it,
and the event loop then waits to get it back (up to the interpreter's 5 ms switch interval when both are busy).
One call per request for the request/correlation ids and another for each authorization_reference put that
wait in the tail of every answer. The pool keeps the same source (the kernel's CSPRNG) with one call per few
hundred requests. Each process refills its own pool after a fork, so workers never hand out the same bytes.
"""

from __future__ import annotations

import os
import threading

__all__ = ["random_hex"]

_POOL_SIZE = 8192
_lock = threading.Lock()
_pool = b""
_pos = 0


def random_hex(nbytes: int) -> str:
    """`nbytes` random bytes as hex text (like `secrets.token_hex(nbytes)`); each byte is handed out once."""
    global _pool, _pos
    with _lock:
        start = _pos
        end = start + nbytes
        if end > len(_pool):
            _pool = os.urandom(max(_POOL_SIZE, nbytes))
            start, end = 0, nbytes
        _pos = end
        return _pool[start:end].hex()


def _forget_after_fork() -> None:
    global _pool, _pos, _lock
    _lock = threading.Lock()
    _pool, _pos = b"", 0


os.register_at_fork(after_in_child=_forget_after_fork)
