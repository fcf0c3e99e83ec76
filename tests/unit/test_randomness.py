"""Random identifiers from the pooled CSPRNG (ocpi_engine/randomness.py)."""

from __future__ import annotations

import os
from unittest import mock

from ocpi_engine import randomness
from ocpi_engine.randomness import random_hex


def test_hex_of_the_asked_length_and_never_repeated() -> None:
    seen = {random_hex(12) for _ in range(20_000)}  # spans several pool refills
    assert len(seen) == 20_000
    assert all(len(v) == 24 and int(v, 16) >= 0 for v in list(seen)[:100])
    assert len(random_hex(32)) == 64 and len(random_hex(10_000)) == 20_000  # larger than the pool too


def test_one_system_call_per_pool_not_per_identifier() -> None:
    real = os.urandom
    with mock.patch.object(randomness.os, "urandom", side_effect=real) as urandom:
        randomness._forget_after_fork()
        for _ in range(600):
            random_hex(12)
    assert urandom.call_count == 1  # 600 x 12 bytes from one 8 KB draw


def test_a_forked_child_draws_its_own_bytes() -> None:
    random_hex(12)  # the parent's pool is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next identifier, exit at once
        os.write(write, random_hex(12).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert child != random_hex(12)
