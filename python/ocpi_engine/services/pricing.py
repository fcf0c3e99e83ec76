"""Pricing use cases: CDRs, running sessions and batch repricing through the Rust tariff engine.

Inputs may be JSON bytes/str or decoded objects (dicts, lists, msgspec structs); objects are encoded once
with msgspec (Decimal as exact JSON numbers) and handed to Rust in one call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import msgspec

from ocpi_engine import _core
from ocpi_engine._core import PriceReport

__all__ = ["lint_tariff", "price_cdr", "price_session", "reprice", "reprice_file", "PriceReport"]

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder(float_hook=Decimal)

JsonInput = bytes | str | dict[str, Any] | list[Any] | msgspec.Struct


def _json(value: Any) -> bytes | str:
    if isinstance(value, bytes | str):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return _encoder.encode(value)


def price_cdr(cdr: JsonInput, tariffs: JsonInput | None = None, *, time_zone: str | None = None,
              currency_rounding: bool = False) -> PriceReport:
    """Price a CDR (2.2.1 or 2.1.1) with `tariffs` (one or a list) or the CDR's own tariffs.

    Restrictions are evaluated in `time_zone` (IANA), else the CDR location's, else its country's single zone.
    """
    return _core.price_cdr(_json(cdr), None if tariffs is None else _json(tariffs), time_zone=time_zone,
                           currency_rounding=currency_rounding)


def price_session(session: JsonInput, tariffs: JsonInput, *, time_zone: str | None = None,
                  currency_rounding: bool = False) -> PriceReport:
    """The cost so far of a running session (Session.total_cost)."""
    return _core.price_session(_json(session), _json(tariffs), time_zone=time_zone,
                               currency_rounding=currency_rounding)


def lint_tariff(tariff: JsonInput) -> list[tuple[str, str]]:
    """`(code, message)` warnings: unknown/misspelt fields, elements that never apply, shadowed components."""
    return _core.lint_tariff(_json(tariff))


def _chunks(source: bytes | str | os.PathLike[str], chunk_bytes: int) -> Iterator[bytes]:
    if isinstance(source, bytes):
        start = 0
        while start < len(source):
            end = source.find(b"\n", min(start + chunk_bytes, len(source)))
            end = len(source) if end < 0 else end + 1
            yield source[start:end]
            start = end
        return
    with open(source, "rb") as handle:
        carry = b""
        while block := handle.read(chunk_bytes):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut]
        if carry:
            yield carry


def reprice(source: bytes | str | os.PathLike[str] | Iterable[bytes], tariffs: JsonInput | None = None, *,
            time_zone: str | None = None, workers: int | None = None, tolerance: str | Decimal = "0.005",
            breakdown: bool = False, chunk_bytes: int = 4 << 20) -> Iterator[dict[str, Any]]:
    """Reprice many CDRs (JSON Lines bytes, a file path, or an iterable of lines), streaming one result dict per
    CDR in input order: the totals and `discrepancies` against the CDR's stated totals, or `error` for a bad
    record (the batch never fails for one record). Runs on all cores (or `workers`) with the GIL released."""
    repricer = _core.Repricer(None if tariffs is None else _json(tariffs), time_zone=time_zone,
                              tolerance=str(tolerance), workers=workers, breakdown=breakdown)
    if isinstance(source, bytes | str | os.PathLike) and not (isinstance(source, str) and "\n" in source):
        chunks: Iterable[bytes] = _chunks(source if not isinstance(source, str) or os.path.exists(source)
                                          else source.encode(), chunk_bytes)
    else:
        chunks = _group(source if not isinstance(source, str) else [source.encode()], chunk_bytes)
    line = 1
    for chunk in chunks:
        for result in repricer.price_chunk(chunk, line):
            yield _decoder.decode(result)
        line += chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)


def _group(lines: Iterable[bytes], chunk_bytes: int) -> Iterator[bytes]:
    batch: list[bytes] = []
    size = 0
    for line in lines:
        line = line.rstrip(b"\r\n")
        batch.append(line)
        size += len(line) + 1
        if size >= chunk_bytes:
            yield b"\n".join(batch) + b"\n"
            batch, size = [], 0
    if batch:
        yield b"\n".join(batch) + b"\n"


def reprice_file(input: str | os.PathLike[str], output: str | os.PathLike[str], tariffs: JsonInput | None = None,
                 *, time_zone: str | None = None, workers: int | None = None, tolerance: str | Decimal = "0.005",
                 discrepancies: str | os.PathLike[str] | None = None, breakdown: bool = False,
                 progress: Callable[[int, int, int], None] | None = None) -> dict[str, Any]:
    """Reprice a JSON Lines file into `output` (bounded memory), optionally writing a discrepancy CSV; returns
    the reconciliation summary (records, priced, errors, with_discrepancies, max_abs_difference, ...)."""
    repricer = _core.Repricer(None if tariffs is None else _json(tariffs), time_zone=time_zone,
                              tolerance=str(tolerance), workers=workers, breakdown=breakdown)
    return repricer.reprice_file(os.fspath(input), os.fspath(output),
                                 discrepancies=None if discrepancies is None else os.fspath(discrepancies),
                                 progress=progress)
