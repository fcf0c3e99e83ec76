//! Tariff lint: what a tariff author most likely got wrong. Unknown or misspelt fields (`restriction`,
//! `dayOfWeek`), elements that can never apply, components shadowed by earlier elements, and reservation
//! elements pricing dimensions the spec does not allow there (tariffs.md sections 3-4).

use serde_json::{Map, Value};

use crate::error::Error;
use crate::pricing::Warning;

const TARIFF_FIELDS: &[&str] = &[
    "country_code", "party_id", "id", "currency", "type", "tariff_alt_text", "tariff_alt_url", "min_price",
    "max_price", "elements", "start_date_time", "end_date_time", "energy_mix", "last_updated",
];
const ELEMENT_FIELDS: &[&str] = &["price_components", "restrictions"];
const COMPONENT_FIELDS: &[&str] = &["type", "price", "vat", "step_size"];
const RESTRICTION_FIELDS: &[&str] = &[
    "start_time", "end_time", "start_date", "end_date", "min_kwh", "max_kwh", "min_current", "max_current",
    "min_power", "max_power", "min_duration", "max_duration", "day_of_week", "reservation",
];
const PRICE_FIELDS: &[&str] = &["excl_vat", "incl_vat"];

/// Warnings about a tariff (one Tariff object or an array of them), 2.2.1 or 2.1.1.
///
/// # Errors
/// [`Error::Json`] when the input is not JSON or does not decode as a Tariff (a missing `id`, an unknown
/// `type` value, ...): a tariff the pricer cannot read is an error, not a warning.
pub fn lint_tariff_json(tariff_json: &[u8]) -> Result<Vec<Warning>, Error> {
    let value: Value = serde_json::from_slice(tariff_json).map_err(|e| Error::from_json(&e, "tariff"))?;
    let mut warnings = Vec::new();
    match &value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                lint_tariff(item, &format!("[{i}]"), &mut warnings);
            }
        }
        other => lint_tariff(other, "", &mut warnings),
    }
    // The tariff must also decode: report the first hard error as an error, not a warning.
    crate::pricing::parse_tariffs(tariff_json)?;
    Ok(warnings)
}

fn warn(warnings: &mut Vec<Warning>, code: &'static str, message: String) {
    warnings.push(Warning { code, message });
}

fn unknown_fields(object: &Map<String, Value>, known: &[&str], path: &str, warnings: &mut Vec<Warning>) {
    for key in object.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let message = match suggest(key, known) {
            Some(close) => format!("{path}.{key} is not an OCPI field (did you mean `{close}`?); it is ignored"),
            None => format!("{path}.{key} is not an OCPI field; it is ignored"),
        };
        warn(warnings, "unknown_field", message);
    }
}

/// The known field closest to `key`: same letters ignoring case and underscores (camelCase), a plural or
/// singular, or an edit distance of at most 2.
fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let squash = |s: &str| s.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect::<String>();
    let k = squash(key);
    known
        .iter()
        .map(|candidate| {
            let c = squash(candidate);
            let distance = if c == k || c.trim_end_matches('s') == k.trim_end_matches('s') { 0 } else { edit_distance(&k, &c) };
            (distance, *candidate)
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb { previous } else { 1 + previous.min(row[j]).min(row[j + 1]) };
            previous = current;
        }
    }
    row[b.len()]
}

fn number(value: Option<&Value>) -> Option<f64> {
    // Only comparisons for the lint; prices are never computed from these.
    value.and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

fn lint_tariff(tariff: &Value, path: &str, warnings: &mut Vec<Warning>) {
    let Some(object) = tariff.as_object() else { return };
    let root = if path.is_empty() { "tariff".to_string() } else { format!("tariffs{path}") };
    unknown_fields(object, TARIFF_FIELDS, &root, warnings);
    code_case(object, &root, warnings);
    for field in ["min_price", "max_price"] {
        if let Some(Value::Object(price)) = object.get(field) {
            unknown_fields(price, PRICE_FIELDS, &format!("{root}.{field}"), warnings);
        }
    }
    let Some(Value::Array(elements)) = object.get("elements") else { return };
    // Dimensions already covered by an unrestricted element: later components of them never apply.
    let mut unrestricted: Vec<String> = Vec::new();
    for (index, element) in elements.iter().enumerate() {
        let element_path = format!("{root}.elements[{index}]");
        let Some(element) = element.as_object() else { continue };
        unknown_fields(element, ELEMENT_FIELDS, &element_path, warnings);
        let restrictions = element.get("restrictions").and_then(Value::as_object);
        let components: Vec<(usize, &Map<String, Value>)> = element
            .get("price_components")
            .and_then(Value::as_array)
            .map(|c| c.iter().enumerate().filter_map(|(i, v)| v.as_object().map(|o| (i, o))).collect())
            .unwrap_or_default();
        for (i, component) in &components {
            unknown_fields(component, COMPONENT_FIELDS, &format!("{element_path}.price_components[{i}]"), warnings);
        }
        let mut never = None;
        if let Some(r) = restrictions {
            unknown_fields(r, RESTRICTION_FIELDS, &format!("{element_path}.restrictions"), warnings);
            never = never_applies(r);
            if r.contains_key("reservation") {
                for (i, component) in &components {
                    let kind = component.get("type").and_then(Value::as_str).unwrap_or("");
                    if !matches!(kind, "FLAT" | "TIME") {
                        warn(warnings, "reservation_dimension", format!(
                            "{element_path}.price_components[{i}] prices {kind} in a reservation element; reservation elements may only price FLAT and TIME"));
                    }
                }
            }
        }
        if let Some(reason) = never {
            warn(warnings, "never_applies", format!("{element_path} can never apply: {reason}"));
            continue;
        }
        for (i, component) in &components {
            let kind = component.get("type").and_then(Value::as_str).unwrap_or("").to_string();
            if unrestricted.contains(&kind) {
                warn(warnings, "shadowed", format!(
                    "{element_path}.price_components[{i}] ({kind}) never applies: an earlier element without restrictions already prices {kind}"));
            }
        }
        let has_restrictions = restrictions.is_some_and(|r| r.values().any(|v| !v.is_null() && v != &Value::Array(Vec::new())));
        if !has_restrictions {
            for (_, component) in &components {
                if let Some(kind) = component.get("type").and_then(Value::as_str) {
                    if !unrestricted.iter().any(|k| k == kind) {
                        unrestricted.push(kind.to_string());
                    }
                }
            }
        }
    }
}

/// `currency` is an ISO 4217 code (3 upper-case letters) and `country_code` an ISO 3166-1 alpha-2 code
/// (2 upper-case letters) in 2.2.1 (tariffs.md section 3.1). The pricer compares currencies ignoring case, but
/// a partner may not.
fn code_case(object: &Map<String, Value>, root: &str, warnings: &mut Vec<Warning>) {
    for (field, len, standard) in [("currency", 3, "ISO 4217"), ("country_code", 2, "ISO 3166-1 alpha-2")] {
        let Some(code) = object.get(field).and_then(Value::as_str) else { continue };
        if code.len() != len || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            let hint = if code.len() == len { format!(" (write `{}`)", code.to_ascii_uppercase()) } else { String::new() };
            warn(warnings, "invalid_code", format!(
                "{root}.{field} {code:?} is not {len} upper-case letters ({standard}){hint}"));
        }
    }
}

fn never_applies(r: &Map<String, Value>) -> Option<String> {
    let text = |k: &str| r.get(k).and_then(Value::as_str);
    if let (Some(start), Some(end)) = (text("start_time"), text("end_time")) {
        if start == end {
            return Some(format!("start_time and end_time are both {start} (an empty window)"));
        }
    }
    if let (Some(start), Some(end)) = (text("start_date"), text("end_date")) {
        if start >= end {
            return Some(format!("start_date {start} is not before end_date {end}"));
        }
    }
    for (min, max) in [("min_kwh", "max_kwh"), ("min_current", "max_current"), ("min_power", "max_power"), ("min_duration", "max_duration")] {
        if let (Some(lo), Some(hi)) = (number(r.get(min)), number(r.get(max))) {
            if lo >= hi {
                return Some(format!("{min} {lo} is not below {max} {hi}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::lint_tariff_json;

    fn codes(json: &str) -> Vec<(&'static str, String)> {
        lint_tariff_json(json.as_bytes()).unwrap().into_iter().map(|w| (w.code, w.message)).collect()
    }

    #[test]
    fn misspelt_fields_get_a_suggestion() {
        let w = codes(r#"{"id":"T","currency":"EUR","elements":[{"price_components":[{"type":"TIME","price":1,"step_size":1}],
            "restriction":{"dayOfWeek":["MONDAY"]}}]}"#);
        assert_eq!(w.len(), 1);
        assert!(w[0].1.contains("`restrictions`"), "{w:?}");
        let w = codes(r#"{"id":"T","currency":"EUR","elements":[{"price_components":[{"type":"TIME","price":1,"step_size":1}],
            "restrictions":{"dayOfWeek":["MONDAY"]}}]}"#);
        assert!(w[0].1.contains("`day_of_week`"), "{w:?}");
    }

    #[test]
    fn impossible_and_shadowed_elements() {
        let w = codes(r#"{"id":"T","currency":"EUR","elements":[
            {"price_components":[{"type":"ENERGY","price":1,"step_size":1}],"restrictions":{"start_time":"10:00","end_time":"10:00"}},
            {"price_components":[{"type":"ENERGY","price":1,"step_size":1}],"restrictions":{"min_kwh":20,"max_kwh":10}},
            {"price_components":[{"type":"ENERGY","price":1,"step_size":1}]},
            {"price_components":[{"type":"ENERGY","price":2,"step_size":1},{"type":"TIME","price":2,"step_size":1}],"restrictions":{"start_time":"18:00"}}]}"#);
        let kinds: Vec<&str> = w.iter().map(|(c, _)| *c).collect();
        assert_eq!(kinds, ["never_applies", "never_applies", "shadowed"], "{w:?}");
        assert!(w[2].1.contains("elements[3].price_components[0]"));
    }

    #[test]
    fn a_clean_spec_tariff_has_no_warnings() {
        let w = codes(r#"{"country_code":"DE","party_id":"ALL","id":"14","currency":"EUR","elements":[
            {"price_components":[{"type":"TIME","price":1.2,"step_size":1800}],"restrictions":{"start_time":"00:00","end_time":"17:00"}},
            {"price_components":[{"type":"TIME","price":2.4,"step_size":900}],"restrictions":{"start_time":"17:00","end_time":"20:00"}}],
            "last_updated":"2018-12-18T17:07:11Z"}"#);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn codes_must_be_upper_case_iso() {
        let w = codes(r#"{"country_code":"gbr","party_id":"OSP","id":"T","currency":"gbp","elements":[
            {"price_components":[{"type":"ENERGY","price":0.79,"step_size":1}]}]}"#);
        let messages: Vec<&str> = w.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(messages[0].contains("tariff.currency") && messages[0].contains("`GBP`"), "{w:?}");
        assert!(messages[1].contains("tariff.country_code") && messages[1].contains("alpha-2"), "{w:?}");
    }

    #[test]
    fn reservation_elements_only_price_flat_and_time() {
        let w = codes(r#"{"id":"T","currency":"EUR","elements":[{"price_components":[{"type":"ENERGY","price":1,"step_size":1}],
            "restrictions":{"reservation":"RESERVATION"}}]}"#);
        assert_eq!(w[0].0, "reservation_dimension");
    }
}
