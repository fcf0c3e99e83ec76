//! OCPI wire types per version (serde, spec field names verbatim). Older versions upgrade to
//! the newest through `From`; algorithms only see 2.2.1 or normalised types.
pub mod datetime;
pub mod number;
pub mod v211;
pub mod v221;

pub use datetime::OcpiDateTime;
