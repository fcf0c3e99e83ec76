//! ocpi-engine core: the tariff engine, CDR pricing and bulk location diffing, in pure Rust.
#![forbid(unsafe_code)]

/// Version of the core crate, exported to Python as `ocpi_engine._core.__version__`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
