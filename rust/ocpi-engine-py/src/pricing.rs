//! `price_cdr`, `price_session`, and the `PriceReport` / `Price` result classes.

use ocpi_engine::money::Price;
use ocpi_engine::pricing::{price_cdr_json, price_session_json, PriceOptions, PriceReport};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;

use crate::convert::{json_bytes, zone};
use crate::errors::PyEngineError;

/// An amount excluding and including VAT.
#[pyclass(frozen, name = "Price", module = "ocpi_engine._core")]
pub struct PyPrice {
    excl_vat: Decimal,
    incl_vat: Decimal,
}

impl From<Price> for PyPrice {
    fn from(p: Price) -> Self {
        Self { excl_vat: p.excl_vat.as_decimal(), incl_vat: p.incl_vat.as_decimal() }
    }
}

#[pymethods]
impl PyPrice {
    #[getter]
    fn excl_vat(&self) -> Decimal {
        self.excl_vat
    }
    #[getter]
    fn incl_vat(&self) -> Decimal {
        self.incl_vat
    }
    fn __repr__(&self) -> String {
        format!("Price(excl_vat=Decimal('{}'), incl_vat=Decimal('{}'))", self.excl_vat, self.incl_vat)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyPrice>().is_ok_and(|o| {
            let o = o.get();
            o.excl_vat == self.excl_vat && o.incl_vat == self.incl_vat
        })
    }
}

/// Totals of a priced CDR or session (OCPI CDR field names), rounded once for output (4 decimals, or 2 with
/// currency rounding), with the per-period breakdown and warnings.
#[pyclass(frozen, name = "PriceReport", module = "ocpi_engine._core")]
pub struct PyPriceReport {
    report: PriceReport,
}

#[pymethods]
impl PyPriceReport {
    #[getter]
    fn currency(&self) -> &str {
        &self.report.currency
    }
    #[getter]
    fn time_zone(&self) -> &'static str {
        self.report.time_zone
    }
    #[getter]
    fn total_cost(&self) -> PyPrice {
        self.report.total_cost.into()
    }
    #[getter]
    fn total_fixed_cost(&self) -> PyPrice {
        self.report.total_fixed_cost.into()
    }
    #[getter]
    fn total_energy(&self) -> Decimal {
        self.report.total_energy.as_decimal()
    }
    #[getter]
    fn total_energy_cost(&self) -> PyPrice {
        self.report.total_energy_cost.into()
    }
    #[getter]
    fn total_time(&self) -> Decimal {
        self.report.total_time.as_decimal()
    }
    #[getter]
    fn total_time_cost(&self) -> PyPrice {
        self.report.total_time_cost.into()
    }
    #[getter]
    fn total_parking_time(&self) -> Decimal {
        self.report.total_parking_time.as_decimal()
    }
    #[getter]
    fn total_parking_cost(&self) -> PyPrice {
        self.report.total_parking_cost.into()
    }
    #[getter]
    fn total_reservation_cost(&self) -> PyPrice {
        self.report.total_reservation_cost.into()
    }
    /// The breakdown: one dict per priced volume (period, dimension, tariff_id, element, volume, step_extra,
    /// price, vat, step_size, cost_excl_vat, cost_incl_vat).
    #[getter]
    fn periods<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.report
            .periods
            .iter()
            .map(|p| {
                let d = PyDict::new(py);
                d.set_item("period", p.period)?;
                d.set_item("start_date_time", p.start_date_time.to_string())?;
                d.set_item("dimension", p.dimension.as_str())?;
                d.set_item("tariff_id", &p.tariff_id)?;
                d.set_item("element", p.element)?;
                d.set_item("volume", p.volume)?;
                d.set_item("step_extra", p.step_extra)?;
                d.set_item("price", p.price)?;
                d.set_item("vat", p.vat)?;
                d.set_item("step_size", p.step_size)?;
                d.set_item("cost_excl_vat", p.cost.excl_vat.as_decimal())?;
                d.set_item("cost_incl_vat", p.cost.incl_vat.as_decimal())?;
                Ok(d)
            })
            .collect()
    }
    /// `(code, message)` pairs, e.g. the time zone fallback taken.
    #[getter]
    fn warnings(&self) -> Vec<(&'static str, String)> {
        self.report.warnings.iter().map(|w| (w.code, w.message.clone())).collect()
    }
    /// The report as JSON in OCPI CDR field names (numbers), with `periods` and `warnings`.
    fn to_json(&self) -> String {
        self.report.to_json()
    }
    fn __repr__(&self) -> String {
        format!(
            "PriceReport(total_cost=({} excl, {} incl) {}, periods={})",
            self.report.total_cost.excl_vat.as_decimal(),
            self.report.total_cost.incl_vat.as_decimal(),
            self.report.currency,
            self.report.periods.len()
        )
    }
}

fn options(time_zone: Option<&str>, currency_rounding: bool) -> PyResult<PriceOptions> {
    Ok(PriceOptions { time_zone: zone(time_zone)?, currency_rounding, version: None, skip_breakdown: false })
}

/// Price a CDR (2.2.1 or 2.1.1 JSON bytes/str) with `tariffs` (one Tariff or an array), or the CDR's own.
#[pyfunction]
#[pyo3(signature = (cdr, tariffs=None, *, time_zone=None, currency_rounding=false))]
pub fn price_cdr(
    cdr: &Bound<'_, PyAny>,
    tariffs: Option<&Bound<'_, PyAny>>,
    time_zone: Option<&str>,
    currency_rounding: bool,
) -> PyResult<PyPriceReport> {
    let cdr = json_bytes(cdr, "cdr")?;
    let tariffs = tariffs.map(|t| json_bytes(t, "tariffs")).transpose()?;
    let opts = options(time_zone, currency_rounding)?;
    let report = price_cdr_json(&cdr, tariffs.as_deref(), &opts).map_err(PyEngineError)?;
    Ok(PyPriceReport { report: report.rounded(currency_rounding) })
}

/// Price a running session (its charging periods so far) with `tariffs`: Session.total_cost.
#[pyfunction]
#[pyo3(signature = (session, tariffs, *, time_zone=None, currency_rounding=false))]
pub fn price_session(
    session: &Bound<'_, PyAny>,
    tariffs: &Bound<'_, PyAny>,
    time_zone: Option<&str>,
    currency_rounding: bool,
) -> PyResult<PyPriceReport> {
    let session = json_bytes(session, "session")?;
    let tariffs = json_bytes(tariffs, "tariffs")?;
    let opts = options(time_zone, currency_rounding)?;
    let report = price_session_json(&session, &tariffs, &opts).map_err(PyEngineError)?;
    Ok(PyPriceReport { report: report.rounded(currency_rounding) })
}

/// Warnings about a tariff (one or an array): misspelt fields, elements that never apply, shadowed components.
/// Returns `(code, message)` pairs; a tariff that does not decode raises InvalidInputError.
#[pyfunction]
pub fn lint_tariff(tariff: &Bound<'_, PyAny>) -> PyResult<Vec<(&'static str, String)>> {
    let bytes = json_bytes(tariff, "tariff")?;
    let warnings = ocpi_engine::lint_tariff_json(&bytes).map_err(PyEngineError)?;
    Ok(warnings.into_iter().map(|w| (w.code, w.message)).collect())
}
