//! OCPI `DateTime` (transport.md section 1): UTC, `Z` optional, fractional seconds allowed.
//! Offsets are not OCPI, but a pricer reading third-party CDRs accepts them and converts to UTC.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, always UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OcpiDateTime(pub DateTime<Utc>);

impl OcpiDateTime {
    /// Parse the forms OCPI allows (`2015-06-29T20:39:09Z`, `2015-06-29T20:39:09`, `...09.2Z`) plus RFC 3339 offsets.
    pub fn parse(value: &str) -> Option<Self> {
        let trimmed = value.trim();
        if let Some(naive) = trimmed.strip_suffix(['Z', 'z']).or(Some(trimmed)).and_then(parse_naive) {
            return Some(Self(naive.and_utc()));
        }
        DateTime::parse_from_rfc3339(trimmed).ok().map(|dt| Self(dt.with_timezone(&Utc)))
    }
}

fn parse_naive(value: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

impl fmt::Display for OcpiDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

impl<'de> Deserialize<'de> for OcpiDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = OcpiDateTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an OCPI DateTime such as 2015-06-29T20:39:09Z")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OcpiDateTime, E> {
                OcpiDateTime::parse(v).ok_or_else(|| E::custom(format!("invalid DateTime {v:?}, expected e.g. 2015-06-29T20:39:09Z")))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl Serialize for OcpiDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
