"""The Rust extension through Python: inputs, errors, Decimal exactness, batch repricing, the stub."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ocpi_engine
from ocpi_engine import _core
from ocpi_engine.errors import EngineError, InvalidInputError, NoValidTariffError, UnknownTimeZoneError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TARIFF = {"country_code": "DE", "party_id": "ALL", "id": "T1", "currency": "EUR",
          "elements": [{"price_components": [{"type": "ENERGY", "price": Decimal("0.1"), "vat": Decimal("20"),
                                              "step_size": 1},
                                             {"type": "FLAT", "price": Decimal("0.2"), "step_size": 1}]}],
          "last_updated": "2024-01-01T00:00:00Z"}


def cdr(energy: str = "3", **extra: Any) -> dict[str, Any]:
    return {"id": "C1", "start_date_time": "2024-03-01T10:00:00Z", "end_date_time": "2024-03-01T11:00:00Z",
            "currency": "EUR", "cdr_location": {"country": "NLD"},
            "charging_periods": [{"start_date_time": "2024-03-01T10:00:00Z",
                                  "dimensions": [{"type": "ENERGY", "volume": Decimal(energy)},
                                                 {"type": "TIME", "volume": Decimal("1")}]}], **extra}


def test_version_comes_from_the_crate() -> None:
    assert ocpi_engine.__version__ == _core.__version__ == "0.1.0"


def test_bytes_str_dict_and_struct_inputs_agree() -> None:
    as_bytes = msgspec.json.encode(cdr())
    reports = [
        ocpi_engine.price_cdr(as_bytes, msgspec.json.encode(TARIFF)),
        ocpi_engine.price_cdr(as_bytes.decode(), json.dumps(TARIFF, default=str)),
        ocpi_engine.price_cdr(cdr(), TARIFF),
        ocpi_engine.price_cdr(cdr(), [TARIFF]),
    ]
    assert {r.to_json() for r in reports} == {reports[0].to_json()}


def test_money_is_exact_decimal() -> None:
    # 0.1 + 0.2 per kWh-ish sums that floats get wrong: 3 kWh x 0.1 = 0.3 exactly, plus 0.2 flat
    report = ocpi_engine.price_cdr(cdr("3"), TARIFF)
    assert report.total_energy_cost.excl_vat == Decimal("0.3")
    assert report.total_cost.excl_vat == Decimal("0.5")
    assert report.total_cost.incl_vat == Decimal("0.56")  # 0.36 + 0.2 (FLAT without VAT)
    assert isinstance(report.total_cost.excl_vat, Decimal)


def test_time_zone_fallback_is_reported() -> None:
    report = ocpi_engine.price_cdr(cdr(), TARIFF)
    assert report.time_zone == "Europe/Amsterdam"
    assert report.warnings[0][0] == "time_zone_from_country"
    explicit = ocpi_engine.price_cdr(cdr(), TARIFF, time_zone="Europe/Berlin")
    assert explicit.time_zone == "Europe/Berlin" and explicit.warnings == []


def test_breakdown_names_tariff_element_and_price() -> None:
    report = ocpi_engine.price_cdr(cdr("3"), TARIFF)
    dims = {p["dimension"]: p for p in report.periods}
    assert dims["ENERGY"]["tariff_id"] == "T1" and dims["ENERGY"]["element"] == 0
    assert dims["ENERGY"]["volume"] == Decimal("3") and dims["ENERGY"]["price"] == Decimal("0.1")
    assert dims["FLAT"]["cost_excl_vat"] == Decimal("0.2")
    decoded = json.loads(report.to_json(), parse_float=Decimal)
    assert decoded["total_cost"] == {"excl_vat": Decimal("0.5"), "incl_vat": Decimal("0.56")}


@pytest.mark.parametrize(
    ("cdr_input", "tariffs", "kwargs", "error", "phrase"),
    [
        (b"{not json", TARIFF, {}, InvalidInputError, "invalid JSON"),
        (cdr(), {**TARIFF, "elements": [{"price_components": [{"type": "WATER", "price": 1, "step_size": 1}]}]},
         {}, InvalidInputError, "WATER"),
        (cdr(), {**TARIFF, "start_date_time": "2030-01-01T00:00:00Z"}, {}, NoValidTariffError, "no tariff is valid"),
        (cdr(), TARIFF, {"time_zone": "Mars/Base"}, UnknownTimeZoneError, "IANA"),
        (cdr(), {**TARIFF, "elements": [{"price_components": [{"type": "TIME", "price": 1, "step_size": 1}],
                                         "restrictions": {"start_time": "25:00"}}]}, {}, InvalidInputError,
         "elements[0].restrictions.start_time"),
        (cdr(), {**TARIFF, "currency": "USD"}, {}, EngineError, "currency"),
    ],
)
def test_errors_are_typed_and_name_the_problem(cdr_input: Any, tariffs: Any, kwargs: dict[str, Any],
                                                error: type[Exception], phrase: str) -> None:
    with pytest.raises(error, match=None) as info:
        ocpi_engine.price_cdr(cdr_input, tariffs, **kwargs)
    assert phrase in str(info.value)
    assert isinstance(info.value, ValueError)


def test_wrong_argument_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _core.price_cdr(123)  # type: ignore[arg-type]


def test_price_session_prices_the_periods_so_far() -> None:
    session = {"start_date_time": "2024-03-01T10:00:00Z", "last_updated": "2024-03-01T10:30:00Z",
               "currency": "EUR", "charging_periods": cdr("2")["charging_periods"]}
    report = ocpi_engine.price_session(session, TARIFF, time_zone="UTC")
    assert report.total_cost.excl_vat == Decimal("0.4")
    assert report.total_time == Decimal("0.5")


def test_reprice_streams_results_and_survives_bad_records() -> None:
    lines = [msgspec.json.encode(cdr(str(i + 1))) for i in range(50)]
    lines.insert(10, b'{"oops": true}')
    lines.insert(20, b"")
    results = list(ocpi_engine.reprice(b"\n".join(lines) + b"\n", TARIFF, time_zone="UTC", workers=2))
    assert len(results) == 51
    errors = [r for r in results if "error" in r]
    assert [e["line"] for e in errors] == [11]
    priced = [r for r in results if "error" not in r]
    assert [r["total_energy"] for r in priced] == [Decimal(i + 1) for i in range(50)]


def test_reprice_file_reconciles_stated_totals(tmp_path: Path) -> None:
    good = cdr("3", total_cost={"excl_vat": Decimal("0.50"), "incl_vat": Decimal("0.56")})
    tampered = cdr("3", id="C2", total_cost={"excl_vat": Decimal("0.90"), "incl_vat": Decimal("0.56")})
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(msgspec.json.encode(c) for c in (good, tampered)) + b"\nnot json\n")
    seen: list[tuple[int, int, int]] = []
    summary = ocpi_engine.reprice_file(source, tmp_path / "out.jsonl", TARIFF, time_zone="UTC",
                                       discrepancies=tmp_path / "d.csv", progress=lambda *a: seen.append(a))
    assert summary["records"] == 3 and summary["priced"] == 2 and summary["errors"] == 1
    assert summary["with_discrepancies"] == 1
    assert summary["max_abs_difference"] == Decimal("0.4")
    rows = list(csv.DictReader((tmp_path / "d.csv").open()))
    assert rows == [{"line": "2", "id": "C2", "field": "total_cost.excl_vat", "stated": "0.9",
                     "computed": "0.5", "difference": "-0.4"}]
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o.get("id") for o in out] == ["C1", "C2", None]
    assert seen and seen[-1][0] == 3


def test_reprice_file_across_chunks_keeps_line_numbers_and_order(tmp_path: Path) -> None:
    # Over 4 MB, so the file is read in several chunks cut at line ends; blank lines, CRLF, a bad record and
    # a last line without a newline keep their numbers and order.
    padding = "x" * 700
    lines = [msgspec.json.encode(cdr(str(i % 40 + 1), id=f"C{i}", note=padding)) for i in range(7000)]
    lines[3000] = b"{broken"
    lines[4500] = b""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\r\n".join(lines))
    assert source.stat().st_size > 4 << 20
    seen: list[tuple[int, int, int]] = []
    summary = ocpi_engine.reprice_file(source, tmp_path / "out.jsonl", TARIFF, time_zone="UTC", workers=2,
                                       progress=lambda *a: seen.append(a))
    assert summary["records"] == 6999 and summary["errors"] == 1
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["line"] for o in out] == [n for n in range(1, 7001) if n != 4501]
    assert [o.get("id") for o in out if "error" not in o] == [f"C{i}" for i in range(7000) if i not in (3000, 4500)]
    assert [o["line"] for o in out if "error" in o] == [3001]
    assert len(seen) >= 2 and seen[-1] == (6999, source.stat().st_size, source.stat().st_size)


def test_211_cdr_input_is_upgraded() -> None:
    cdr211 = (FIXTURES.parent / "fixtures" / "spec__cdr_example_221" / "cdr.json").read_text()
    assert "end_date_time" in cdr211
    v211 = {"id": "1", "start_date_time": "2024-03-01T10:00:00Z", "stop_date_time": "2024-03-01T11:00:00Z",
            "currency": "EUR", "location": {"time_zone": "Europe/Amsterdam", "country": "NLD"},
            "tariffs": [{"id": "T", "currency": "EUR", "elements": [{"price_components": [
                {"type": "TIME", "price": "2.00", "step_size": 300}]}], "last_updated": "2024-01-01T00:00:00Z"}],
            "charging_periods": [{"start_date_time": "2024-03-01T10:00:00Z",
                                  "dimensions": [{"type": "TIME", "volume": 1}]}], "total_cost": 2.0}
    report = ocpi_engine.price_cdr(v211)
    assert report.total_cost.excl_vat == Decimal("2") and report.time_zone == "Europe/Amsterdam"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_only_raise_engine_errors(data: bytes) -> None:
    try:
        ocpi_engine.price_cdr(data, TARIFF)
    except EngineError:
        pass


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
    | st.sampled_from(["2024-03-01T10:00:00Z", "2024-13-45T99:00:00Z", "ENERGY", "PARKING_TIME", "MONDAY", "25:00"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


_encode_numbers = msgspec.json.Encoder(decimal_format="number").encode


def _bases() -> tuple[dict[str, Any], dict[str, Any]]:
    base_cdr = json.loads(_encode_numbers(cdr("3", total_cost={"excl_vat": Decimal("0.5")})), parse_float=Decimal)
    base_tariff = json.loads(_encode_numbers(TARIFF), parse_float=Decimal)
    base_tariff["elements"][0]["restrictions"] = {"start_time": "08:00", "end_time": "02:00", "max_kwh": 50}
    return base_cdr, base_tariff


def test_the_unmutated_documents_price() -> None:
    base_cdr, base_tariff = _bases()
    report = ocpi_engine.price_cdr(_encode_numbers(base_cdr), _encode_numbers(base_tariff), time_zone="UTC")
    assert report.total_cost.excl_vat == Decimal("0.5")


def _mutate(document: Any, path: list[int], value: Any) -> Any:
    """Replace one node of `document`, chosen by `path` (indexes into the keys or items at each level)."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = _mutate(document[key], path[1:], value)
    return copy


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=5), JSON_VALUES)
def test_any_field_set_to_any_json_only_raises_engine_errors(in_tariff: bool, path: list[int], value: Any) -> None:
    # Structured garbage gets past the JSON parser, deep into the engine: a wrong type, a huge number, a bad
    # date or enum in any field of the CDR or the tariff must give a report or an EngineError, nothing else.
    base_cdr, base_tariff = _bases()
    document = _mutate(base_tariff if in_tariff else base_cdr, path, value)
    cdr_input, tariff_input = (base_cdr, document) if in_tariff else (document, base_tariff)
    try:
        report = ocpi_engine.price_cdr(_encode_numbers(cdr_input), _encode_numbers(tariff_input), time_zone="UTC")
    except EngineError as error:
        assert str(error)
    else:
        assert isinstance(report.total_cost.excl_vat, Decimal)
        json.loads(report.to_json())


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=4, allow_nan=False))
def test_decimals_survive_python_rust_python(volume: Decimal) -> None:
    report = ocpi_engine.price_cdr(cdr(str(volume)), TARIFF, time_zone="UTC")
    assert report.total_energy == volume
    billed = (volume * 1000).to_integral_value(rounding="ROUND_CEILING") / 1000  # step_size 1 Wh
    assert report.total_energy_cost.excl_vat == (billed * Decimal("0.1")).quantize(Decimal("0.0001"),
                                                                                   rounding="ROUND_HALF_UP")


def test_stub_matches_the_extension() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy.stubtest", "ocpi_engine._core", "--ignore-missing-stub"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
