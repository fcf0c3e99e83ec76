//! Batch repricing: many CDRs (JSON Lines) priced in parallel (rayon), each record independent:
//! a bad record yields a per-record error, never a failed batch. Results keep input order. Also the
//! reconciliation: which totals stated in a CDR differ from the computed ones, and by how much.
//! No I/O here: callers feed chunks of lines and write the returned JSON.

use std::fmt::Write as _;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::error::Error;
use crate::money::{Price, ROUNDING};
use crate::ocpi::v221::cdr::Cdr;
use crate::ocpi::v221::tariff::Price as WirePrice;
use crate::pricing::{normalize_tariffs, parse_cdr, parse_tariffs, price_normalized, push_decimal, PriceOptions, PriceReport};
use crate::tariff::Tariff;

/// One stated total that differs from the computed one by more than the tolerance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    pub field: &'static str,
    pub stated: Decimal,
    pub computed: Decimal,
}

impl Discrepancy {
    #[must_use]
    pub fn difference(&self) -> Decimal {
        self.computed - self.stated
    }
}

/// The outcome of one input line.
#[derive(Debug, Clone)]
pub struct RecordResult {
    /// 1-based line number in the input.
    pub line: u64,
    pub id: Option<String>,
    /// One JSON object (no newline): the totals, or `{"line":..,"error":..}`.
    pub json: String,
    pub discrepancies: Vec<Discrepancy>,
    /// The discrepancies as CSV rows (`line,id,field,stated,computed,difference\n` each), formatted by the
    /// worker that priced the record.
    pub csv: String,
    pub error: Option<String>,
}

/// What [`Repricer::write_line`] found, besides the JSON it wrote.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Priced: the CDR's `id` and the stated totals that differ.
    Priced { id: Option<String>, discrepancies: Vec<Discrepancy> },
    /// The record could not be priced; `message` says why (also written as `"error"`).
    Failed { message: String },
}

/// Prices CDR lines with fixed tariffs (or each CDR's own) and options.
pub struct Repricer {
    tariffs: Option<Vec<Tariff>>,
    options: PriceOptions,
    tolerance: Decimal,
    breakdown: bool,
}

impl Repricer {
    /// `tariffs_json`: one Tariff or an array, used for every CDR; None: each CDR's own `tariffs`.
    /// `tolerance`: a stated total differing by more than this is a discrepancy.
    pub fn new(tariffs_json: Option<&[u8]>, mut options: PriceOptions, tolerance: Decimal, breakdown: bool) -> Result<Self, Error> {
        options.skip_breakdown = !breakdown;
        let tariffs = match tariffs_json {
            Some(bytes) => Some(normalize_tariffs(&parse_tariffs(bytes)?, "tariffs")?),
            None => None,
        };
        Ok(Self { tariffs, options, tolerance, breakdown })
    }

    fn price<'a>(&self, line: &'a [u8]) -> Result<(Cdr<'a>, PriceReport), Error> {
        let cdr = parse_cdr(line, self.options.version)?;
        let report = match &self.tariffs {
            Some(t) => price_normalized(&cdr, t, &self.options)?,
            None => price_normalized(&cdr, &normalize_tariffs(&cdr.tariffs, "cdr.tariffs")?, &self.options)?,
        };
        Ok((cdr, report))
    }

    /// Price one line (1-based `line` number for the output).
    #[must_use]
    pub fn price_line(&self, line: u64, bytes: &[u8]) -> RecordResult {
        let mut json = String::with_capacity(700);
        let mut csv = String::new();
        let outcome = self.write_line(line, bytes, &mut json, &mut csv);
        match outcome {
            Outcome::Priced { id, discrepancies } => {
                RecordResult { line, id, json, discrepancies, csv, error: None }
            }
            Outcome::Failed { message } => {
                RecordResult { line, id: None, json, discrepancies: Vec::new(), csv, error: Some(message) }
            }
        }
    }

    /// Price one line and append its result to `json` (one object, no newline) and its discrepancy rows to
    /// `csv` (`line,id,field,stated,computed,difference\n` each). Appending into caller-owned buffers lets a
    /// batch write many records with a handful of allocations.
    pub fn write_line(&self, line: u64, bytes: &[u8], json: &mut String, csv: &mut String) -> Outcome {
        match self.price(bytes) {
            Ok((cdr, mut report)) => {
                let exact_for_output = if self.options.currency_rounding { Some(report.clone()) } else { None };
                report.round_in_place(self.options.currency_rounding);
                let discrepancies = reconcile(&cdr, &report, self.tolerance);
                let _ = write!(json, "{{\"line\":{line},\"id\":");
                push_json_opt(json, cdr.id.as_deref());
                json.push(',');
                let start = json.len();
                match &exact_for_output {
                    Some(exact) => exact.write_json(json, self.breakdown),
                    None => report.write_rounded_json(json, self.breakdown),
                }
                // Splice: drop the object's own braces (`{` at `start`, `}` at the end).
                json.remove(start);
                json.pop();
                json.push_str(",\"discrepancies\":[");
                for (i, d) in discrepancies.iter().enumerate() {
                    if i > 0 {
                        json.push(',');
                    }
                    json.push_str("{\"field\":\"");
                    json.push_str(d.field);
                    json.push_str("\",\"stated\":");
                    push_decimal(json, d.stated);
                    json.push_str(",\"computed\":");
                    push_decimal(json, d.computed);
                    json.push_str(",\"difference\":");
                    push_decimal(json, d.difference());
                    json.push('}');
                }
                json.push_str("]}");
                for d in &discrepancies {
                    let _ = write!(csv, "{line},");
                    push_csv_field(csv, cdr.id.as_deref());
                    csv.push(',');
                    csv.push_str(d.field);
                    csv.push(',');
                    push_decimal(csv, d.stated);
                    csv.push(',');
                    push_decimal(csv, d.computed);
                    csv.push(',');
                    push_decimal(csv, d.difference());
                    csv.push('\n');
                }
                Outcome::Priced { id: cdr.id.map(|id| id.to_string()), discrepancies }
            }
            Err(err) => {
                let message = err.to_string();
                let _ = write!(json, "{{\"line\":{line},\"error\":");
                push_json_opt(json, Some(&message));
                json.push('}');
                Outcome::Failed { message }
            }
        }
    }

    /// Price many lines in parallel on the current rayon pool; `first_line` numbers the first.
    #[must_use]
    pub fn price_lines(&self, first_line: u64, lines: &[&[u8]]) -> Vec<RecordResult> {
        lines
            .par_iter()
            .enumerate()
            .map(|(i, bytes)| self.price_line(first_line + i as u64, bytes))
            .collect()
    }
}

/// Split a buffer into its non-empty lines (`\n` or `\r\n`).
#[must_use]
pub fn split_lines(buffer: &[u8]) -> Vec<&[u8]> {
    buffer
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .collect()
}

fn push_csv_field(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) if v.contains([',', '"', '\n', '\r']) => {
            out.push('"');
            out.push_str(&v.replace('"', "\"\""));
            out.push('"');
        }
        Some(v) => out.push_str(v),
        None => {}
    }
}

/// `value` as a JSON string (or `null`), without an allocation when nothing needs escaping.
fn push_json_opt(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) if !v.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) => {
            out.push('"');
            out.push_str(v);
            out.push('"');
        }
        Some(v) => match serde_json::to_string(v) {
            Ok(quoted) => out.push_str(&quoted),
            Err(_) => out.push_str("null"),
        },
        None => out.push_str("null"),
    }
}

/// Stated totals of the CDR that differ from the computed (rounded) ones by more than `tolerance`.
#[must_use]
pub fn reconcile(cdr: &Cdr<'_>, report: &PriceReport, tolerance: Decimal) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    let mut check = |field: &'static str, stated: Option<Decimal>, computed: Decimal| {
        if let Some(stated) = stated {
            let stated_r = stated.round_dp_with_strategy(4, ROUNDING);
            if (computed - stated_r).abs() > tolerance {
                out.push(Discrepancy { field, stated, computed });
            }
        }
    };
    let mut price = |excl: &'static str, incl: &'static str, stated: Option<WirePrice>, computed: Price| {
        if let Some(p) = stated {
            check(excl, Some(p.excl_vat), computed.excl_vat.as_decimal());
            check(incl, p.incl_vat, computed.incl_vat.as_decimal());
        }
    };
    price("total_cost.excl_vat", "total_cost.incl_vat", cdr.total_cost, report.total_cost);
    price("total_energy_cost.excl_vat", "total_energy_cost.incl_vat", cdr.total_energy_cost, report.total_energy_cost);
    price("total_time_cost.excl_vat", "total_time_cost.incl_vat", cdr.total_time_cost, report.total_time_cost);
    price("total_parking_cost.excl_vat", "total_parking_cost.incl_vat", cdr.total_parking_cost, report.total_parking_cost);
    price("total_fixed_cost.excl_vat", "total_fixed_cost.incl_vat", cdr.total_fixed_cost, report.total_fixed_cost);
    price(
        "total_reservation_cost.excl_vat",
        "total_reservation_cost.incl_vat",
        cdr.total_reservation_cost,
        report.total_reservation_cost,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARIFF: &str = r#"{"country_code":"NL","party_id":"ENG","id":"T","currency":"EUR","elements":[{"price_components":[{"type":"ENERGY","price":0.25,"step_size":1}]}],"last_updated":"2024-01-01T00:00:00Z"}"#;
    const CDR: &str = r#"{"id":"C\"1","start_date_time":"2024-03-01T10:00:00Z","end_date_time":"2024-03-01T11:00:00Z","currency":"EUR","cdr_location":{"country":"NLD"},"charging_periods":[{"start_date_time":"2024-03-01T10:00:00Z","dimensions":[{"type":"ENERGY","volume":4}]}],"total_cost":{"excl_vat":1.5},"last_updated":"2024-03-01T11:00:00Z"}"#;

    fn repricer() -> Repricer {
        let options = PriceOptions { time_zone: Some(chrono_tz::Tz::UTC), ..PriceOptions::default() };
        Repricer::new(Some(TARIFF.as_bytes()), options, Decimal::new(5, 3), false).expect("tariff")
    }

    #[test]
    fn a_priced_line_carries_its_number_id_totals_and_discrepancies() {
        let (mut json, mut csv) = (String::new(), String::new());
        let outcome = repricer().write_line(7, CDR.as_bytes(), &mut json, &mut csv);
        let Outcome::Priced { id, discrepancies } = outcome else { panic!("not priced: {json}") };
        assert_eq!(id.as_deref(), Some("C\"1"));
        assert_eq!(discrepancies.len(), 1);
        assert_eq!(discrepancies[0].difference(), Decimal::new(-5, 1));
        let value: serde_json::Value = serde_json::from_str(&json).expect("one JSON object");
        assert_eq!(value["line"], 7);
        assert_eq!(value["id"], "C\"1");
        assert_eq!(value["discrepancies"][0]["field"], "total_cost.excl_vat");
        assert_eq!(csv, "7,\"C\"\"1\",total_cost.excl_vat,1.5,1,-0.5\n");
    }

    #[test]
    fn a_bad_line_is_an_error_record_not_a_failed_batch() {
        let lines = [b"{not json".as_slice(), CDR.as_bytes(), b"[]".as_slice()];
        let results = repricer().price_lines(1, &lines);
        assert_eq!(results.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(results[0].error.is_some() && results[2].error.is_some());
        assert!(results[1].error.is_none());
        for r in &results {
            let value: serde_json::Value = serde_json::from_str(&r.json).expect("one JSON object per line");
            assert_eq!(value["line"], r.line);
        }
    }
}
