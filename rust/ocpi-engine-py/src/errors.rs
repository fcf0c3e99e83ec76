//! Core errors as Python exceptions: `EngineError(ValueError)` and one subclass per kind (STYLE.md section 8).

use ocpi_engine::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

create_exception!(ocpi_engine._core, EngineError, PyValueError, "Base of every ocpi-engine core error.");
create_exception!(ocpi_engine._core, InvalidInputError, EngineError, "Input is not valid OCPI; the message names the field.");
create_exception!(ocpi_engine._core, NoValidTariffError, EngineError, "No tariff is valid at the session start.");
create_exception!(ocpi_engine._core, UnknownTimeZoneError, EngineError, "Not an IANA time zone name.");
create_exception!(ocpi_engine._core, CurrencyMismatchError, EngineError, "Tariff and CDR currencies differ.");

/// Newtype carrying a core error across the orphan rule.
pub struct PyEngineError(pub Error);

impl From<Error> for PyEngineError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl From<PyEngineError> for PyErr {
    fn from(PyEngineError(err): PyEngineError) -> PyErr {
        let message = err.to_string();
        match err {
            Error::Json { .. } | Error::InvalidInput { .. } | Error::Overflow(_) => InvalidInputError::new_err(message),
            Error::NoValidTariff { .. } => NoValidTariffError::new_err(message),
            Error::UnknownTimeZone(_) => UnknownTimeZoneError::new_err(message),
            Error::CurrencyMismatch { .. } => CurrencyMismatchError::new_err(message),
        }
    }
}
