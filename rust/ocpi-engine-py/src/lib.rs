//! PyO3 bindings: `ocpi_engine._core`. Only the module wiring lives here.

mod convert;
mod errors;
mod locations;
mod pricing;
mod reprice;

use pyo3::prelude::*;

#[pymodule]
mod _core {
    #[pymodule_export]
    use crate::errors::{CurrencyMismatchError, EngineError, InvalidInputError, NoValidTariffError, UnknownTimeZoneError};
    #[pymodule_export]
    use crate::locations::{apply_location_ops, diff_locations, PyLocationOp};
    #[pymodule_export]
    use crate::pricing::{lint_tariff, price_cdr, price_session, PyPrice, PyPriceReport};
    #[pymodule_export]
    use crate::reprice::PyRepricer;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", ocpi_engine::VERSION)
    }
}
