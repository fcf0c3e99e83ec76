//! OCPI 2.1.1 wire types (serde), one file per OCPI module, each upgrading to 2.2.1 via `From`.
//! 2.1.1 tariffs also decode as 2.2.1 `Tariff`s directly (2.1.1 only lacks fields); `tariff` types them.
pub mod cdr;
pub mod tariff;
