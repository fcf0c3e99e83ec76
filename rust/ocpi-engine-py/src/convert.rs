//! Boundary conversions: JSON input as bytes or str, time zone names.

use chrono_tz::Tz;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::PyEngineError;

/// The bytes of a `bytes` or `str` argument (other types are encoded by the Python wrapper first).
pub fn json_bytes<'a>(value: &'a Bound<'_, PyAny>, name: &str) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(std::borrow::Cow::Borrowed(bytes.as_bytes()));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(std::borrow::Cow::Borrowed(text.to_str()?.as_bytes()));
    }
    Err(PyTypeError::new_err(format!("{name} must be JSON bytes or str (ocpi_engine.price_cdr also takes dicts)")))
}

pub fn zone(name: Option<&str>) -> PyResult<Option<Tz>> {
    name.map(|n| ocpi_engine::timezone::parse_zone(n).map_err(|e| PyErr::from(PyEngineError(e)))).transpose()
}
