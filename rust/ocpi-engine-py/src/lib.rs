//! PyO3 bindings: `ocpi_engine._core`. Only the module wiring lives here.

use pyo3::prelude::*;

#[pymodule]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", ocpi_engine::VERSION)
    }
}
