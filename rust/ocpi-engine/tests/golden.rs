//! Golden corpus: every case in `tests/fixtures/<case>/` (see its README) priced and compared exactly.

use std::fs;
use std::path::PathBuf;

use ocpi_engine::money::ROUNDING;
use ocpi_engine::pricing::{price_cdr_json, PriceOptions, PriceReport};
use ocpi_engine::timezone::parse_zone;
use rust_decimal::Decimal;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn decimal(value: &Value) -> Decimal {
    match value {
        Value::String(s) => s.parse().expect("decimal string"),
        Value::Number(n) => n.to_string().parse().expect("decimal number"),
        other => panic!("not a decimal: {other}"),
    }
}

fn field(report: &PriceReport, name: &str) -> (Decimal, Option<Decimal>) {
    let price = |p: &ocpi_engine::money::Price| (p.excl_vat.as_decimal(), Some(p.incl_vat.as_decimal()));
    match name {
        "total_cost" => price(&report.total_cost),
        "total_fixed_cost" => price(&report.total_fixed_cost),
        "total_energy_cost" => price(&report.total_energy_cost),
        "total_time_cost" => price(&report.total_time_cost),
        "total_parking_cost" => price(&report.total_parking_cost),
        "total_reservation_cost" => price(&report.total_reservation_cost),
        "total_energy" => (report.total_energy.as_decimal(), None),
        "total_time" => (report.total_time.as_decimal(), None),
        "total_parking_time" => (report.total_parking_time.as_decimal(), None),
        other => panic!("unknown field {other}"),
    }
}

#[test]
fn golden_corpus() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut dirs: Vec<_> = fs::read_dir(fixtures()).expect("tests/fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.join("expected.json").exists()) {
        count += 1;
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected: Value = serde_json::from_slice(&fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let cdr = fs::read(dir.join("cdr.json")).unwrap();
        let tariff = fs::read(dir.join("tariff.json")).ok();
        // `"time_zone": null`: the engine derives the zone from the CDR (location time_zone, else country).
        let options = PriceOptions {
            time_zone: expected["time_zone"].as_str().map(|zone| parse_zone(zone).unwrap()),
            ..PriceOptions::default()
        };
        let dp = u32::try_from(expected["decimals"].as_u64().unwrap()).unwrap();
        let report = match price_cdr_json(&cdr, tariff.as_deref(), &options) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: error {e}"));
                continue;
            }
        };
        for (key, want) in expected["totals"].as_object().unwrap() {
            let (excl, incl) = field(&report, key);
            let round = |d: Decimal| d.round_dp_with_strategy(dp, ROUNDING);
            if let Value::Object(price) = want {
                if round(excl) != decimal(&price["excl_vat"]) {
                    failures.push(format!("{name}: {key}.excl_vat = {} want {}", round(excl), price["excl_vat"]));
                }
                if let (Some(want_incl), Some(incl)) = (price.get("incl_vat"), incl) {
                    if round(incl) != decimal(want_incl) {
                        failures.push(format!("{name}: {key}.incl_vat = {} want {}", round(incl), want_incl));
                    }
                }
            } else if round(excl) != decimal(want) {
                failures.push(format!("{name}: {key} = {} want {}", round(excl), want));
            }
        }
    }
    assert!(count >= 49, "expected the whole corpus, found {count} cases");
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Lint cases: `tests/fixtures/<case>/tariff.json` with `expected_lint.json` listing every expected warning in
/// order (`code` and a substring of the message).
#[test]
fn lint_corpus() {
    let mut count = 0;
    let mut dirs: Vec<_> = fs::read_dir(fixtures()).expect("tests/fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.join("expected_lint.json").exists()) {
        count += 1;
        let expected: Value = serde_json::from_slice(&fs::read(dir.join("expected_lint.json")).unwrap()).unwrap();
        let warnings = ocpi_engine::lint_tariff_json(&fs::read(dir.join("tariff.json")).unwrap()).unwrap();
        let want = expected["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), want.len(), "{}: {warnings:?}", dir.display());
        for (got, want) in warnings.iter().zip(want) {
            assert_eq!(got.code, want["code"].as_str().unwrap(), "{}: {got:?}", dir.display());
            assert!(got.message.contains(want["contains"].as_str().unwrap()), "{}: {got:?}", dir.display());
        }
    }
    assert!(count >= 1, "no lint cases found");
}
