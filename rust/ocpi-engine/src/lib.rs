//! ocpi-engine core: the tariff engine, CDR pricing and bulk location diffing, in pure Rust.
//! No PyO3, no I/O, no async: the bindings crate `ocpi-engine-py` wraps this for Python.
//!
//! Start at [`pricing::price_cdr_json`]: CDR (2.2.1 or 2.1.1) + tariffs in, [`pricing::PriceReport`] out.
#![forbid(unsafe_code)]

pub mod error;
pub mod lint;
pub mod location_diff;
pub mod money;
pub mod ocpi;
pub mod pricing;
pub mod reprice;
pub mod tariff;
pub mod timezone;

pub use error::Error;
pub use lint::lint_tariff_json;
pub use location_diff::{apply_location_ops, diff_locations_json, LocationDiff, LocationOp};
pub use pricing::{price_cdr_json, price_session_json, PriceOptions, PriceReport};

/// Version of the core crate, exported to Python as `ocpi_engine._core.__version__`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
