"""DateTime output is OCPI string(25): UTC, `Z`, at most milliseconds (transport.md, DateTime)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ocpi_engine.api.envelope import envelope_bytes
from ocpi_engine.models._base import format_datetime, parse_datetime

ALLOWED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")


@pytest.mark.parametrize(
    ("micro", "expected"),
    [(0, "2026-01-01T01:02:03Z"), (999, "2026-01-01T01:02:03Z"), (1000, "2026-01-01T01:02:03.001Z"),
     (120000, "2026-01-01T01:02:03.12Z"), (999999, "2026-01-01T01:02:03.999Z")],
)
def test_format_fits_string_25(micro: int, expected: str) -> None:
    written = format_datetime(dt.datetime(2026, 1, 1, 1, 2, 3, micro, tzinfo=dt.UTC))
    assert written == expected and len(written) <= 25 and ALLOWED.match(written)
    assert parse_datetime(written) <= dt.datetime(2026, 1, 1, 1, 2, 3, micro, tzinfo=dt.UTC)


def test_non_utc_input_is_written_in_utc() -> None:
    amsterdam = dt.timezone(dt.timedelta(hours=2))
    assert format_datetime(dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=amsterdam)) == "2026-06-01T10:00:00Z"


def test_envelope_timestamps_fit() -> None:
    for _ in range(200):
        stamp = re.search(rb'"timestamp":"([^"]+)"', envelope_bytes(None, 1000, None))
        assert stamp is not None and ALLOWED.match(stamp.group(1).decode())


def test_utc_now_text_is_format_datetime_of_now() -> None:
    import datetime as dt

    from ocpi_engine.models._base import format_datetime, parse_datetime, utc_now_text

    for _ in range(2000):  # crosses millisecond (and likely second) boundaries
        before = dt.datetime.now(dt.UTC).replace(microsecond=dt.datetime.now(dt.UTC).microsecond // 1000 * 1000)
        text = utc_now_text()
        after = dt.datetime.now(dt.UTC)
        parsed = parse_datetime(text)
        assert format_datetime(parsed) == text
        assert before - dt.timedelta(milliseconds=1) <= parsed <= after
        assert len(text) <= 25 and text.endswith("Z")
