//! OCPI 2.2.1 wire types (serde), one file per OCPI module.
pub mod cdr;
pub mod tariff;
