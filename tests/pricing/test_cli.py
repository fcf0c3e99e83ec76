"""`ocpi-engine price` and `ocpi-engine reprice`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ocpi_engine.cli import main

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "spec__ex4_complex_saturday"


def test_price_prints_a_breakdown_table() -> None:
    result = CliRunner().invoke(main, ["price", str(CASE / "cdr.json"), "--tariff", str(CASE / "tariff.json"),
                                       "--time-zone", "Europe/Amsterdam"])
    assert result.exit_code == 0, result.output
    assert "PARKING_TIME" in result.output
    assert "12.3750 excl. VAT" in result.output


def test_price_json() -> None:
    result = CliRunner().invoke(main, ["price", str(CASE / "cdr.json"), "--tariff", str(CASE / "tariff.json"),
                                       "--time-zone", "Europe/Amsterdam", "--json"])
    assert json.loads(result.output)["total_cost"] == {"excl_vat": 12.375, "incl_vat": 13.975}


def test_price_errors_say_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = CliRunner().invoke(main, ["price", str(bad)])
    assert result.exit_code == 1
    assert "InvalidInputError" in result.output
    missing = CliRunner().invoke(main, ["price", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_reprice_writes_results_and_discrepancies(tmp_path: Path) -> None:
    line = json.dumps(json.loads((CASE / "cdr.json").read_text()))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([line] * 5) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["reprice", str(source), "--tariffs", str(CASE / "tariff.json"),
                                       "--out", str(out), "--time-zone", "Europe/Amsterdam", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "5 priced, 0 errors" in result.output
    assert len(out.read_text().splitlines()) == 5
    assert (tmp_path / "out.discrepancies.csv").exists()


def test_lint_points_at_misspelt_fields(tmp_path: Path) -> None:
    tariff = tmp_path / "t.json"
    tariff.write_text(json.dumps({"id": "T", "currency": "EUR", "elements": [
        {"price_components": [{"type": "TIME", "price": 1, "step_size": 1}], "restriction": {"start_time": "10:00"}}]}))
    result = CliRunner().invoke(main, ["lint", str(tariff)])
    assert result.exit_code == 1
    assert "did you mean `restrictions`" in result.output
    clean = CliRunner().invoke(main, ["lint", str(CASE / "tariff.json")])
    assert clean.exit_code == 0, clean.output
