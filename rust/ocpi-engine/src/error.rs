//! The one error type of the core. Every variant says what failed and how to fix it.

use chrono::{DateTime, Utc};

/// Errors of the tariff engine and the other core algorithms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not valid JSON or does not have the OCPI shape; `path` locates the problem.
    /// Fix the named field (see the OCPI module's object definition).
    #[error("invalid JSON at {path}: {reason}")]
    Json { path: String, reason: String },
    /// A field has a value the engine cannot use (named by its JSON path). Fix that value.
    #[error("invalid {what}: {reason}")]
    InvalidInput { what: String, reason: String },
    /// No tariff is valid at the session start: pass tariffs explicitly, or check their
    /// `start_date_time` / `end_date_time` and the CDR's `tariff_id`s.
    #[error("no tariff is valid at {start}: pass tariffs explicitly or check their start_date_time/end_date_time")]
    NoValidTariff { start: DateTime<Utc> },
    /// The time zone is not an IANA name (e.g. `Europe/Amsterdam`).
    #[error("unknown time zone {0:?}: use an IANA name such as Europe/Amsterdam")]
    UnknownTimeZone(String),
    /// A computation overflowed the 28-digit decimal range: the input volumes or prices are absurd.
    #[error("decimal overflow while computing {0}: check the volumes and prices for absurd values")]
    Overflow(&'static str),
    /// Tariffs of a CDR use different currencies; one session is priced in one currency.
    #[error("currency mismatch: the CDR is in {cdr} but tariff {tariff_id} is in {tariff}")]
    CurrencyMismatch { cdr: String, tariff: String, tariff_id: String },
}

impl Error {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { what: what.into(), reason: reason.into() }
    }

    pub(crate) fn from_json(err: &serde_json::Error, what: &str) -> Self {
        Error::Json { path: what.to_string(), reason: err.to_string() }
    }
}
