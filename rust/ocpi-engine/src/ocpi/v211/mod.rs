//! OCPI 2.1.1 wire types (serde), one file per OCPI module, each upgrading to 2.2.1 via `From`.
