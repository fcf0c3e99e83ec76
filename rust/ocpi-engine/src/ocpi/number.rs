//! Exact decimal numbers from JSON without an f64 detour and without allocating: the number's raw text is
//! borrowed from the input (serde_json `RawValue`) and parsed by rust_decimal. JSON strings holding a
//! number (2.1.1 examples write prices as `"2.00"`) are accepted too.

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

fn parse(raw: &str) -> Option<Decimal> {
    let text = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    if text.contains(['e', 'E']) {
        return Decimal::from_scientific(text).ok();
    }
    text.parse::<Decimal>().ok()
}

/// `#[serde(deserialize_with = "decimal")]`
pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = <&RawValue>::deserialize(deserializer)?;
    parse(raw.get()).ok_or_else(|| D::Error::custom(format!("expected a decimal number, found {}", raw.get())))
}

/// `#[serde(default, deserialize_with = "optional_decimal")]`: absent or null is None.
pub fn optional_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    let raw = <&RawValue>::deserialize(deserializer)?;
    if raw.get() == "null" {
        return Ok(None);
    }
    parse(raw.get()).map(Some).ok_or_else(|| D::Error::custom(format!("expected a decimal number, found {}", raw.get())))
}
