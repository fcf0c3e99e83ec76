//! Properties of the location diff (proptest, bounded case counts so `cargo test` stays fast):
//! `diff(a, a)` is empty, also across key order and number spelling; `apply(a, diff(a, b))` is equivalent
//! to `b` in the sense of [`location_equivalent`] (EVSE/Connector order free, extra EVSEs only as
//! `REMOVED`), Locations vanished from `b` keep only `REMOVED` EVSEs, and diffing the result against `b`
//! again yields nothing (convergence).

use ocpi_engine::location_diff::{apply_location_ops, location_equivalent, Method};
use ocpi_engine::{diff_locations_json, LocationDiff};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn stamp() -> impl Strategy<Value = Value> {
    prop::sample::select(vec!["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00.5", "2024-03-01T00:00:00Z"])
        .prop_map(|s| json!(s))
}

/// Any JSON leaf or small tree; numbers as exact text (with `arbitrary_precision`), some beyond f64.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,24})?([eE][+-]?[0-9]{1,2})?"
            .prop_map(|n| serde_json::from_str::<Value>(&n).unwrap_or(Value::Null)),
        "[a-z]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with the required fields plus optional ones drawn from `optional`.
fn object(required: Vec<(&'static str, BoxedStrategy<Value>)>, optional: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let required: Vec<_> = required.into_iter().map(|(k, s)| s.prop_map(move |v| (k, Some(v))).boxed()).collect();
    let optional: Vec<_> = optional.into_iter().map(|(k, s)| prop::option::of(s).prop_map(move |v| (k, v)).boxed()).collect();
    (required, optional)
        .prop_map(|(required, optional)| {
            let map: Map<String, Value> =
                required.into_iter().chain(optional).filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect();
            Value::Object(map)
        })
        .boxed()
}

fn unique_by(items: Vec<Value>, id: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    items.into_iter().filter(|item| {
        let key = item[id].clone();
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    }).collect()
}

fn connector() -> BoxedStrategy<Value> {
    object(
        vec![("id", prop::sample::select(vec!["1", "2", "3"]).prop_map(|s| json!(s)).boxed()), ("last_updated", stamp().boxed())],
        vec![
            ("standard", prop::sample::select(vec!["IEC_62196_T2", "CHADEMO"]).prop_map(|s| json!(s)).boxed()),
            ("max_electric_power", value().boxed()),
            ("tariff_ids", prop::collection::vec("1[12]", 0..3).prop_map(|v| json!(v)).boxed()),
        ],
    )
}

fn evse() -> BoxedStrategy<Value> {
    object(
        vec![
            ("uid", prop::sample::select(vec!["A", "B", "C"]).prop_map(|s| json!(s)).boxed()),
            ("status", prop::sample::select(vec!["AVAILABLE", "CHARGING", "REMOVED"]).prop_map(|s| json!(s)).boxed()),
            ("last_updated", stamp().boxed()),
        ],
        vec![
            ("connectors", prop::collection::vec(connector(), 0..4).prop_map(|c| Value::Array(unique_by(c, "id"))).boxed()),
            ("floor_level", value().boxed()),
        ],
    )
}

fn location() -> BoxedStrategy<Value> {
    object(
        vec![
            ("country_code", prop::sample::select(vec!["NL", "BE"]).prop_map(|s| json!(s)).boxed()),
            ("party_id", Just(json!("TNM")).boxed()),
            ("id", prop::sample::select(vec!["1", "2", "3"]).prop_map(|s| json!(s)).boxed()),
            ("last_updated", stamp().boxed()),
        ],
        vec![
            ("name", value().boxed()),
            ("coordinates", value().boxed()),
            ("evses", prop::collection::vec(evse(), 0..4).prop_map(|e| Value::Array(unique_by(e, "uid"))).boxed()),
        ],
    )
}

fn snapshot() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(location(), 0..5).prop_map(|locations| {
        let mut seen = Vec::new();
        locations
            .into_iter()
            .filter(|l| {
                let key = (l["country_code"].clone(), l["id"].clone());
                let fresh = !seen.contains(&key);
                seen.push(key);
                fresh
            })
            .collect()
    })
}

fn bytes(locations: &[Value]) -> Vec<u8> {
    serde_json::to_vec(locations).unwrap_or_default()
}

/// Same JSON with object keys reversed, whitespace added and numbers respelled with an exponent.
fn respelled(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> =
                map.iter().rev().map(|(k, v)| format!("{} : {}", serde_json::to_string(k).unwrap_or_default(), respelled(v))).collect();
            format!("{{ {} }}", members.join(" ,\n"))
        }
        Value::Array(items) => format!("[ {} ]", items.iter().map(respelled).collect::<Vec<_>>().join(" , ")),
        Value::Number(n) => match n.as_str() {
            "0" | "-0" => "0.000".to_string(),
            text if text.contains(['e', 'E']) => text.to_string(),
            text if text.contains('.') => format!("{text}00"),
            text => format!("{text}0e-1"),
        },
        other => other.to_string(),
    }
}

fn key(location: &Value) -> (Value, Value, Value) {
    (location["country_code"].clone(), location["party_id"].clone(), location["id"].clone())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn diff_of_a_snapshot_with_itself_is_empty(a in snapshot()) {
        prop_assert!(diff_locations_json(&bytes(&a), &bytes(&a)).unwrap().is_empty());
        let respelled = format!("[{}]", a.iter().map(respelled).collect::<Vec<_>>().join(","));
        prop_assert!(diff_locations_json(&bytes(&a), respelled.as_bytes()).unwrap().is_empty());
    }

    #[test]
    fn applying_the_diff_gives_the_new_snapshot(a in snapshot(), b in snapshot()) {
        let ops = diff_locations_json(&bytes(&a), &bytes(&b)).unwrap();
        for op in &ops {
            let body: Value = serde_json::from_slice(&op.body).unwrap();
            prop_assert!(op.method == Method::Put || body.get("last_updated").is_some(), "PATCH without last_updated");
        }
        let applied = apply_location_ops(a.clone(), &ops).unwrap();
        for location in &b {
            let found = applied.iter().find(|l| key(l) == key(location));
            prop_assert!(found.is_some_and(|f| location_equivalent(f, location)), "{:?} vs {location}", found);
        }
        for extra in applied.iter().filter(|l| !b.iter().any(|m| key(m) == key(l))) {
            let evses = extra.get("evses").and_then(Value::as_array).cloned().unwrap_or_default();
            prop_assert!(evses.iter().all(|e| e["status"] == "REMOVED"), "vanished location kept a live EVSE: {extra}");
        }
        // Convergence: a second diff between the result and b finds nothing left to send.
        let again = LocationDiff::new(&bytes(&applied), &bytes(&b)).removed_at("2024-01-01T00:00:00Z").run().unwrap();
        prop_assert!(again.is_empty(), "{again:?}");
    }
}
