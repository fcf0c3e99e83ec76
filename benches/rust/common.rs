//! Shared helpers for the criterion benches of the ocpi-engine core.
