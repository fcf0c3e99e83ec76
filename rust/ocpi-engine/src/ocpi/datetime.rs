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
        if let Some(fast) = parse_fast(value.as_bytes()) {
            return Some(Self(fast.and_utc()));
        }
        let trimmed = value.trim();
        if let Some(naive) = trimmed.strip_suffix(['Z', 'z']).or(Some(trimmed)).and_then(parse_naive) {
            return Some(Self(naive.and_utc()));
        }
        DateTime::parse_from_rfc3339(trimmed).ok().map(|dt| Self(dt.with_timezone(&Utc)))
    }
}

/// The common shape `YYYY-MM-DDTHH:MM:SS[.fraction][Z]` without a format-string parser (hot path of CDR decoding).
fn parse_fast(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((b'.', frac)) = rest.split_first() {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        for (i, c) in frac[..digits].iter().enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
        }
        rest = &frac[digits..];
    }
    if !(rest.is_empty() || rest == b"Z" || rest == b"z") {
        return None;
    }
    let year = i32::try_from(num(0..4)?).ok()?;
    let date = chrono::NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

fn parse_naive(value: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

impl fmt::Display for OcpiDateTime {
    /// `YYYY-MM-DDTHH:MM:SSZ` (written by hand: chrono's `format` parses its pattern on every call).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike as _, Timelike as _};
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
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
