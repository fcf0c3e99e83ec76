//! ocpi-engine core: the tariff engine, CDR pricing and bulk location diffing, in pure Rust.
//! No PyO3, no I/O, no async: the bindings crate `ocpi-engine-py` wraps this for Python.
#![forbid(unsafe_code)]

pub mod ocpi;

/// Version of the core crate, exported to Python as `ocpi_engine._core.__version__`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
