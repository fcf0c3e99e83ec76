//! Bulk location diffing: two snapshots of OCPI 2.2.1 Locations in, the minimal Receiver-interface
//! PUT/PATCH operations that turn a Receiver's copy of the old snapshot into the new one out
//! (locations.md section 2.2, transport.md sections 9 and 11). [`apply_location_ops`] replays operations
//! with Receiver semantics, for tests and reconciliation.
//!
//! Identity: a Location is keyed by (`country_code`, `party_id`, `id`), an EVSE by `uid` within its
//! Location, a Connector by `id` within its EVSE; ids are compared byte for byte (the owning CPO spells
//! its own ids one way). JSON values are compared structurally: object key order and whitespace do not
//! matter, numbers are equal when their decimal values are (`150000`, `150000.0` and `1.5e5` are equal),
//! without an f64 detour. EVSE and Connector order inside their lists is not significant either
//! (Receivers address them by uid/id).
//!
//! Operations, in the new snapshot's order, then vanished locations in the old snapshot's order:
//! - new Location: `PUT` of the whole Location (its bytes as given);
//! - changed Location: child operations first, then a Location `PATCH` of the changed top-level fields plus
//!   `last_updated` (only if a field changed or the `last_updated` propagated by the child operations
//!   differs from the new one);
//! - new EVSE / Connector: `PUT` of it; changed EVSE / Connector: `PATCH` of its changed fields plus its
//!   `last_updated` (connector operations before their EVSE's `PATCH`);
//! - vanished EVSE (not already `REMOVED`): `PATCH {"status": "REMOVED", "last_updated": <new Location's>}`;
//! - vanished Connector: `PUT` of the parent EVSE (OCPI has no Connector delete);
//! - a field removed or set to `null` in the new object: `PATCH` cannot clear information (transport.md
//!   section 9), so that object is `PUT` whole; a Location `PUT` carries the vanished EVSEs as `REMOVED`
//!   (EVSEs are never deleted);
//! - vanished Location: Locations are never deleted (locations.md section 1), so every EVSE not yet `REMOVED`
//!   gets `PATCH {"status": "REMOVED", "last_updated": removed_at}`; a vanished Location without EVSEs
//!   yields nothing. `removed_at` defaults to the latest `last_updated` in the new snapshot (the old one
//!   if the new one has none), so the diff stays a pure function of its inputs.
//!
//! Receiver propagation (locations.md section 2.2): a `PUT`/`PATCH` of an EVSE copies its `last_updated`
//! onto the Location, one of a Connector onto the EVSE and the Location. The diff accounts for it, so
//! replaying the operations gives each object the new snapshot's `last_updated`.
//!
//! Guarantee (`tests/properties.rs`): `apply(old, diff(old, new))` equals `new` except that it may hold,
//! in addition, EVSEs with status `REMOVED` (vanished EVSEs) and Locations whose EVSEs are all `REMOVED`
//! (vanished Locations), that EVSE/Connector list order may differ, and that an `evses` list of only
//! `REMOVED` EVSEs (or an empty one) stands for an absent one ([`location_equivalent`]). Diffing the result
//! against `new` again yields no operation.
//!
//! Speed: each snapshot is scanned once by `serde_json` into borrowed raw Locations; identities are read
//! from the first bytes of each Location; byte-identical Locations are skipped without parsing, so only
//! changed Locations are decoded into trees.

mod scan;

use std::collections::HashMap;
use std::fmt;

use rayon::prelude::*;
use serde_json::{Map, Value};

use self::scan::{Entry, Key, KeyHasher, NewIndex, OldEntry};
use crate::ocpi::OcpiDateTime;
use crate::Error;

/// HTTP method of a Receiver-interface operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Create or replace the whole object.
    Put,
    /// Change only the fields in the body (always including `last_updated`).
    Patch,
}

impl Method {
    /// `"PUT"` or `"PATCH"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Receiver-interface call: `method` on `{locations_endpoint}/{country_code}/{party_id}/{location_id}
/// [/{evse_uid}[/{connector_id}]]` with `body` (JSON bytes of a Location, EVSE, Connector or PATCH object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationOp {
    pub method: Method,
    pub country_code: String,
    pub party_id: String,
    pub location_id: String,
    /// Set when the operation addresses an EVSE or one of its Connectors.
    pub evse_uid: Option<String>,
    /// Set when the operation addresses a Connector.
    pub connector_id: Option<String>,
    pub body: Vec<u8>,
}

impl LocationOp {
    /// The URL path below the locations endpoint: `/{cc}/{pid}/{location_id}[/{evse_uid}[/{connector_id}]]`.
    #[must_use]
    pub fn path(&self) -> String {
        let mut path = format!("/{}/{}/{}", self.country_code, self.party_id, self.location_id);
        for part in [&self.evse_uid, &self.connector_id].into_iter().flatten() {
            path.push('/');
            path.push_str(part);
        }
        path
    }
}

/// Diff two JSON arrays of OCPI 2.2.1 Locations with the default `removed_at` (see the module docs).
///
/// # Errors
/// [`Error::Json`] when a snapshot is not a JSON array of objects, [`Error::InvalidInput`] naming the
/// snapshot, index and field when an identity is missing, not a string, or duplicated, or when a changed
/// Location has malformed EVSEs/Connectors.
pub fn diff_locations_json(old: &[u8], new: &[u8]) -> Result<Vec<LocationOp>, Error> {
    LocationDiff::new(old, new).run()
}

/// Builder of one diff between two snapshots (JSON arrays of Locations).
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct LocationDiff<'a> {
    old: &'a [u8],
    new: &'a [u8],
    removed_at: Option<&'a str>,
}

impl<'a> LocationDiff<'a> {
    pub fn new(old: &'a [u8], new: &'a [u8]) -> Self {
        Self { old, new, removed_at: None }
    }

    /// `last_updated` (OCPI `DateTime` text, sent as given) of the `REMOVED` patches for vanished Locations.
    pub fn removed_at(mut self, removed_at: &'a str) -> Self {
        self.removed_at = Some(removed_at);
        self
    }

    /// Compute the operations.
    ///
    /// # Errors
    /// See [`diff_locations_json`].
    pub fn run(self) -> Result<Vec<LocationOp>, Error> {
        let new = scan::read_new(self.new)?;
        let new_index = NewIndex::build(&new).map_err(|(index, first)| {
            let (cc, pid, id) = &new[index].key;
            Error::invalid(format!("new[{index}]"), format!("duplicate location {cc}/{pid}/{id} (also at new[{first}])"))
        })?;
        let old = scan::read_old(self.old, &new, &new_index)?;
        // For each new Location, the old one with its identity, if any (`None` inside: byte-identical).
        let mut counterpart: Vec<Option<(usize, Option<&Entry<'_>>)>> = vec![None; new.len()];
        let mut vanished: HashMap<&Key<'_>, &Entry<'_>, KeyHasher> = HashMap::default();
        let mut vanished_order = Vec::new();
        for old_entry in &old {
            let (old_index, j, entry) = match old_entry {
                OldEntry::Same { index, new_index } => (*index, Some(*new_index), None),
                OldEntry::Read(entry) => (entry.index, new_index.get(&new, &entry.key), Some(entry)),
            };
            match (j, entry) {
                (Some(j), _) => {
                    if let Some((first, _)) = counterpart[j] {
                        let key = &new[j].key;
                        return Err(Error::invalid(
                            format!("old[{old_index}]"),
                            format!("duplicate location {}/{}/{} (also at old[{first}])", key.0, key.1, key.2),
                        ));
                    }
                    counterpart[j] = Some((old_index, entry.filter(|e| e.raw != new[j].raw)));
                }
                (None, Some(entry)) => {
                    if let Some(first) = vanished.insert(&entry.key, entry) {
                        return Err(duplicate("old", entry, first.index));
                    }
                    vanished_order.push(entry);
                }
                (None, None) => {}
            }
        }
        // Only new and changed Locations need work; changed ones are decoded and compared on all cores.
        let work: Vec<(&Entry<'_>, Option<(usize, &Entry<'_>)>)> = new
            .iter()
            .zip(&counterpart)
            .filter_map(|(entry, before)| match before {
                None => Some((entry, None)),
                Some((_, None)) => None,
                Some((old_index, Some(before))) => Some((entry, Some((*old_index, *before)))),
            })
            .collect();
        let per_location: Vec<Vec<LocationOp>> = work
            .par_iter()
            .map(|&(entry, before)| {
                let Some((old_index, before)) = before else {
                    return Ok(vec![LocationOp {
                        method: Method::Put,
                        country_code: entry.key.0.to_string(),
                        party_id: entry.key.1.to_string(),
                        location_id: entry.key.2.to_string(),
                        evse_uid: None,
                        connector_id: None,
                        body: entry.raw.to_vec(),
                    }]);
                };
                let old_path = format!("old[{old_index}]");
                let new_path = format!("new[{}]", entry.index);
                let old_value = object_of(before.raw, &old_path)?;
                let new_value = object_of(entry.raw, &new_path)?;
                let mut ops = Vec::new();
                diff_location(&Target::location(&entry.key), &old_value, &new_value, &old_path, &new_path, &mut ops)?;
                Ok(ops)
            })
            .collect::<Result<_, Error>>()?;
        let mut ops: Vec<LocationOp> = per_location.into_iter().flatten().collect();
        // Vanished Locations: every EVSE not yet REMOVED gets a REMOVED patch.
        let live: Vec<(&Entry<'_>, Vec<String>)> = vanished_order
            .par_iter()
            .map(|&entry| {
                let path = format!("old[{}]", entry.index);
                let location = object_of(entry.raw, &path)?;
                let uids = evses_of(&location, &path)?.into_iter().filter(|(_, evse, _)| !is_removed(evse));
                Ok((entry, uids.map(|(uid, _, _)| uid.to_string()).collect()))
            })
            .collect::<Result<_, Error>>()?;
        if live.iter().any(|(_, uids)| !uids.is_empty()) {
            let stamp = match self.removed_at {
                Some(at) => Value::String(at.to_string()),
                None => latest_last_updated(&new, &vanished_order)?,
            };
            for (entry, uids) in &live {
                let target = Target::location(&entry.key);
                for uid in uids {
                    ops.push(target.evse(uid).op(Method::Patch, &removed_patch(stamp.clone()))?);
                }
            }
        }
        Ok(ops)
    }
}

fn duplicate(side: &str, entry: &Entry<'_>, first: usize) -> Error {
    let (cc, pid, id) = &entry.key;
    Error::invalid(format!("{side}[{}]", entry.index), format!("duplicate location {cc}/{pid}/{id} (also at {side}[{first}])"))
}

fn object_of(raw: &[u8], path: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid(path, "a Location must be a JSON object")),
        Err(e) => Err(Error::from_json(&e, path)),
    }
}

/// The latest `last_updated` of the new snapshot's Locations (of the vanished ones when the new snapshot has none).
fn latest_last_updated(new: &[Entry<'_>], vanished: &[&Entry<'_>]) -> Result<Value, Error> {
    // Latest instant; among equal instants the first Location's spelling, so the result is deterministic.
    fn dated<'e>(entry: &Entry<'e>) -> Option<(OcpiDateTime, usize, &'e [u8])> {
        let raw = entry.last_updated?;
        let text = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
        let at = match std::str::from_utf8(text) {
            Ok(plain) if !plain.contains('\\') => OcpiDateTime::parse(plain)?,
            _ => OcpiDateTime::parse(&scan::json_str(raw)?)?,
        };
        Some((at, entry.index, raw))
    }
    fn later<'e>(a: (OcpiDateTime, usize, &'e [u8]), b: (OcpiDateTime, usize, &'e [u8])) -> (OcpiDateTime, usize, &'e [u8]) {
        if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) {
            b
        } else {
            a
        }
    }
    let latest = new
        .par_iter()
        .filter_map(dated)
        .reduce_with(later)
        .or_else(|| vanished.iter().filter_map(|e| dated(e)).reduce(later));
    let (_, _, raw) = latest.ok_or_else(|| {
        Error::invalid(
            "removed_at",
            "a location vanished but no snapshot has a parsable last_updated to date its REMOVED EVSEs; pass removed_at",
        )
    })?;
    serde_json::from_slice(raw).map_err(|e| Error::from_json(&e, "last_updated"))
}

/// Where an operation goes: a Location, one of its EVSEs or one of their Connectors.
#[derive(Clone)]
struct Target<'k> {
    country_code: &'k str,
    party_id: &'k str,
    location_id: &'k str,
    evse_uid: Option<&'k str>,
    connector_id: Option<&'k str>,
}

impl<'k> Target<'k> {
    fn location(key: &'k Key<'_>) -> Self {
        Self { country_code: &key.0, party_id: &key.1, location_id: &key.2, evse_uid: None, connector_id: None }
    }

    fn evse(&self, uid: &'k str) -> Self {
        Self { evse_uid: Some(uid), ..self.clone() }
    }

    fn connector(&self, id: &'k str) -> Self {
        Self { connector_id: Some(id), ..self.clone() }
    }

    fn op(&self, method: Method, body: &Map<String, Value>) -> Result<LocationOp, Error> {
        let body = serde_json::to_vec(body).map_err(|e| Error::from_json(&e, "operation body"))?;
        Ok(LocationOp {
            method,
            country_code: self.country_code.to_string(),
            party_id: self.party_id.to_string(),
            location_id: self.location_id.to_string(),
            evse_uid: self.evse_uid.map(str::to_string),
            connector_id: self.connector_id.map(str::to_string),
            body,
        })
    }
}

fn removed_patch(last_updated: Value) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("status".into(), Value::String("REMOVED".into()));
    body.insert("last_updated".into(), last_updated);
    body
}

fn is_removed(evse: &Map<String, Value>) -> bool {
    evse.get("status").and_then(Value::as_str) == Some("REMOVED")
}

/// A child object with its id and its index in the parent's list.
type Child<'v> = (&'v str, &'v Map<String, Value>, usize);

/// Children (`evses` or `connectors`) of an object, keyed by `id_field`, in list order, with their index.
fn children<'v>(
    parent: &'v Map<String, Value>,
    list: &str,
    id_field: &str,
    path: &str,
) -> Result<Vec<Child<'v>>, Error> {
    let Some(value) = parent.get(list) else { return Ok(Vec::new()) };
    let Value::Array(items) = value else {
        return Err(Error::invalid(format!("{path}.{list}"), "expected an array"));
    };
    let mut out: Vec<Child<'v>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(child) = item else {
            return Err(Error::invalid(format!("{path}.{list}[{i}]"), "expected an object"));
        };
        let Some(Value::String(id)) = child.get(id_field) else {
            return Err(Error::invalid(format!("{path}.{list}[{i}].{id_field}"), "missing or not a string"));
        };
        if let Some(&(_, _, first)) = out.iter().find(|(other, _, _)| *other == id.as_str()) {
            return Err(Error::invalid(
                format!("{path}.{list}[{i}]"),
                format!("duplicate {id_field} {id:?} (also at {path}.{list}[{first}])"),
            ));
        }
        out.push((id.as_str(), child, i));
    }
    Ok(out)
}

fn evses_of<'v>(location: &'v Map<String, Value>, path: &str) -> Result<Vec<Child<'v>>, Error> {
    children(location, "evses", "uid", path)
}

fn last_updated<'v>(object: &'v Map<String, Value>, path: &str) -> Result<&'v Value, Error> {
    object.get("last_updated").filter(|v| !v.is_null()).ok_or_else(|| {
        Error::invalid(format!("{path}.last_updated"), "missing (every PATCH needs the object's last_updated)")
    })
}

/// What changed between two versions of one object, ignoring `skip` (its child list) unless the old one lacks it.
struct FieldChanges {
    /// Changed or added fields (not `last_updated`), with their new values.
    changed: Map<String, Value>,
    /// A field vanished or became null: PATCH cannot express that, the object needs a PUT.
    needs_put: bool,
}

fn field_changes(old: &Map<String, Value>, new: &Map<String, Value>, skip: &str) -> FieldChanges {
    let mut changed = Map::new();
    let mut needs_put = old.keys().any(|k| k != skip && !new.contains_key(k));
    for (name, value) in new {
        // A child list the old object lacks is sent whole in the PATCH (an added empty list included).
        if (name == skip && old.contains_key(skip)) || name == "last_updated" {
            continue;
        }
        match old.get(name) {
            Some(before) if json_eq(before, value) => {}
            Some(before) if value.is_null() && !before.is_null() => needs_put = true,
            _ => {
                changed.insert(name.clone(), value.clone());
            }
        }
    }
    FieldChanges { changed, needs_put }
}

fn diff_location(
    target: &Target<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    old_path: &str,
    new_path: &str,
    ops: &mut Vec<LocationOp>,
) -> Result<(), Error> {
    let new_updated = last_updated(new, new_path)?;
    let old_evses = evses_of(old, old_path)?;
    let mut new_evses = evses_of(new, new_path)?;
    let changes = field_changes(old, new, "evses");
    if !old.contains_key("evses") {
        new_evses.clear(); // sent whole in the Location PATCH
    }
    // Dropping the evses list needs a PUT, unless every old EVSE is already REMOVED (nothing to announce).
    let evses_dropped = old.contains_key("evses") && !new.contains_key("evses") && !old_evses.iter().all(|(_, e, _)| is_removed(e));
    if changes.needs_put || evses_dropped {
        ops.push(target.op(Method::Put, &with_tombstones(new, &old_evses, &new_evses, new_updated))?);
        return Ok(());
    }
    // The Location's last_updated as the Receiver holds it after each operation.
    let mut held = old.get("last_updated").cloned().unwrap_or(Value::Null);
    for &(uid, evse, i) in &new_evses {
        let path = format!("{new_path}.evses[{i}]");
        match old_evses.iter().find(|(other, _, _)| *other == uid) {
            None => {
                ops.push(target.evse(uid).op(Method::Put, evse)?);
                held = last_updated(evse, &path)?.clone();
            }
            Some(&(_, before, j)) => {
                if let Some(stamp) = diff_evse(&target.evse(uid), before, evse, &format!("{old_path}.evses[{j}]"), &path, ops)? {
                    held = stamp;
                }
            }
        }
    }
    for &(uid, evse, _) in &old_evses {
        if !is_removed(evse) && !new_evses.iter().any(|(other, _, _)| *other == uid) {
            ops.push(target.evse(uid).op(Method::Patch, &removed_patch(new_updated.clone()))?);
            held = new_updated.clone();
        }
    }
    if !changes.changed.is_empty() || !json_eq(&held, new_updated) {
        let mut body = changes.changed;
        body.insert("last_updated".into(), new_updated.clone());
        ops.push(target.op(Method::Patch, &body)?);
    }
    Ok(())
}

/// The new Location with the old EVSEs it lacks added as `REMOVED`: a Location PUT must not delete EVSEs.
fn with_tombstones(
    new: &Map<String, Value>,
    old_evses: &[Child<'_>],
    new_evses: &[Child<'_>],
    stamp: &Value,
) -> Map<String, Value> {
    let mut body = new.clone();
    let vanished: Vec<Value> = old_evses
        .iter()
        .filter(|(uid, _, _)| !new_evses.iter().any(|(other, _, _)| other == uid))
        .map(|&(_, evse, _)| {
            let mut evse = evse.clone();
            if !is_removed(&evse) {
                evse.insert("status".into(), Value::String("REMOVED".into()));
                evse.insert("last_updated".into(), stamp.clone());
            }
            Value::Object(evse)
        })
        .collect();
    if !vanished.is_empty() {
        if let Value::Array(list) = body.entry("evses").or_insert_with(|| Value::Array(Vec::new())) {
            list.extend(vanished);
        }
    }
    body
}

/// Operations for one EVSE present in both snapshots; the `last_updated` they leave on the Location, if any.
fn diff_evse(
    target: &Target<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    old_path: &str,
    new_path: &str,
    ops: &mut Vec<LocationOp>,
) -> Result<Option<Value>, Error> {
    let new_updated = last_updated(new, new_path)?;
    let old_connectors = children(old, "connectors", "id", old_path)?;
    let mut new_connectors = children(new, "connectors", "id", new_path)?;
    let changes = field_changes(old, new, "connectors");
    if !old.contains_key("connectors") {
        new_connectors.clear(); // sent whole in the EVSE PATCH
    }
    let connector_vanished = (old.contains_key("connectors") && !new.contains_key("connectors"))
        || old_connectors.iter().any(|(id, _, _)| !new_connectors.iter().any(|(other, _, _)| other == id));
    if changes.needs_put || connector_vanished {
        ops.push(target.op(Method::Put, new)?);
        return Ok(Some(new_updated.clone()));
    }
    let mut held = old.get("last_updated").cloned().unwrap_or(Value::Null);
    let mut touched = false;
    for &(id, connector, i) in &new_connectors {
        let path = format!("{new_path}.connectors[{i}]");
        let connector_updated = last_updated(connector, &path)?;
        let before = old_connectors.iter().find(|(other, _, _)| *other == id).map(|&(_, c, _)| c);
        let op = match before {
            None => Some(target.connector(id).op(Method::Put, connector)?),
            Some(before) => {
                let changes = field_changes(before, connector, "");
                if changes.needs_put {
                    Some(target.connector(id).op(Method::Put, connector)?)
                } else if !changes.changed.is_empty()
                    || !json_eq(before.get("last_updated").unwrap_or(&Value::Null), connector_updated)
                {
                    let mut body = changes.changed;
                    body.insert("last_updated".into(), connector_updated.clone());
                    Some(target.connector(id).op(Method::Patch, &body)?)
                } else {
                    None
                }
            }
        };
        if let Some(op) = op {
            ops.push(op);
            held = connector_updated.clone();
            touched = true;
        }
    }
    if !changes.changed.is_empty() || !json_eq(&held, new_updated) {
        let mut body = changes.changed;
        body.insert("last_updated".into(), new_updated.clone());
        ops.push(target.op(Method::Patch, &body)?);
        return Ok(Some(new_updated.clone()));
    }
    Ok(touched.then_some(held))
}

/// The equality [`apply_location_ops`]`(old, diff(old, new))` guarantees for each Location of `new`:
/// `applied` equals `expected` ([`json_eq`]) except that EVSEs are matched by `uid` and Connectors by `id`
/// (list order free), `applied` may hold extra EVSEs whose status is `REMOVED`, and an `evses` list holding
/// only such EVSEs (or none) stands for an absent one. Reconciliation can use
/// it to compare a Receiver's copy with the Sender's.
#[must_use]
pub fn location_equivalent(applied: &Value, expected: &Value) -> bool {
    let evse_eq = |a: &Value, e: &Value| keyed_equal(a, e, "connectors", "id", false, &json_eq);
    keyed_equal(applied, expected, "evses", "uid", true, &evse_eq)
}

/// `applied` and `expected` have equal fields, and their `list` children are equal by `child_eq` when
/// matched by `id`; with `tombstones`, `applied` may have extra children with status `REMOVED`.
fn keyed_equal(
    applied: &Value,
    expected: &Value,
    list: &str,
    id: &str,
    tombstones: bool,
    child_eq: &dyn Fn(&Value, &Value) -> bool,
) -> bool {
    let (Some(a), Some(e)) = (applied.as_object(), expected.as_object()) else { return false };
    let fields = |m: &Map<String, Value>| m.len() - usize::from(m.contains_key(list));
    if fields(a) != fields(e) || !e.iter().all(|(k, v)| k == list || a.get(k).is_some_and(|w| json_eq(v, w))) {
        return false;
    }
    let removed = |v: &Value| tombstones && v.as_object().is_some_and(is_removed);
    match (a.get(list), e.get(list)) {
        (None, None) => true,
        // An absent list of EVSEs (cardinality `*`) is an empty one; tombstones may remain.
        (Some(Value::Array(items)), None) => items.iter().all(removed),
        (Some(Value::Array(a_items)), Some(Value::Array(e_items))) => {
            let key = |v: &'_ Value| -> Option<String> { v.get(id).and_then(Value::as_str).map(str::to_string) };
            let mut matched = 0;
            for item in e_items {
                match a_items.iter().find(|w| key(w).is_some() && key(w) == key(item)) {
                    Some(w) if child_eq(w, item) => matched += 1,
                    _ => return false,
                }
            }
            matched == e_items.len()
                && a_items.iter().all(|w| removed(w) || e_items.iter().any(|v| key(v) == key(w)))
                && a_items.len() == e_items.len() + a_items.iter().filter(|w| !e_items.iter().any(|v| key(v) == key(w))).count()
        }
        (a_list, e_list) => a_list.zip(e_list).is_some_and(|(x, y)| json_eq(x, y)),
    }
}

/// Structural JSON equality: key order free, numbers by exact decimal value.
#[must_use]
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => decimal_eq(x.as_str(), y.as_str()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Equality of two JSON number texts by value, at any precision.
fn decimal_eq(a: &str, b: &str) -> bool {
    a == b || matches!((canonical_decimal(a), canonical_decimal(b)), (Some(x), Some(y)) if x == y)
}

/// `(negative, significant digits, exponent)` with no leading/trailing zeros; zero is `(false, "", 0)`.
fn canonical_decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    let mut exponent = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
    let trailing = digits.len() - digits.trim_end_matches('0').len();
    digits.truncate(digits.len() - trailing);
    exponent = exponent.checked_add(i64::try_from(trailing).ok()?)?;
    let digits = digits.trim_start_matches('0').to_string();
    if digits.is_empty() {
        return Some((false, digits, 0));
    }
    Some((negative, digits, exponent))
}

/// Apply operations to a snapshot (decoded Locations) with OCPI Receiver semantics (locations.md 2.2):
/// `PUT` creates or replaces the addressed object, `PATCH` replaces the top-level fields it carries and
/// must carry `last_updated`; a `PUT`/`PATCH` of an EVSE copies its `last_updated` to the Location, one of
/// a Connector to its EVSE and Location. New Locations are appended, new EVSEs/Connectors appended to
/// their lists.
///
/// # Errors
/// [`Error::InvalidInput`] naming the operation (`ops[i]`) when a Receiver would reject it: a body that is
/// not a JSON object, a `PATCH` without `last_updated` or of an unknown object, an EVSE/Connector
/// operation on an unknown parent, or a `PUT` whose body ids differ from the URL's.
pub fn apply_location_ops<'o>(
    snapshot: Vec<Value>,
    ops: impl IntoIterator<Item = &'o LocationOp>,
) -> Result<Vec<Value>, Error> {
    let mut locations = snapshot;
    let mut index: HashMap<(String, String, String), usize> = HashMap::with_capacity(locations.len());
    for (i, location) in locations.iter().enumerate() {
        let field = |name: &str| location.get(name).and_then(Value::as_str).map(str::to_string);
        let (Some(cc), Some(pid), Some(id)) = (field("country_code"), field("party_id"), field("id")) else {
            return Err(Error::invalid(format!("snapshot[{i}]"), "a Location needs string country_code, party_id and id"));
        };
        if index.insert((cc.clone(), pid.clone(), id.clone()), i).is_some() {
            return Err(Error::invalid(format!("snapshot[{i}]"), format!("duplicate location {cc}/{pid}/{id}")));
        }
    }
    for (n, op) in ops.into_iter().enumerate() {
        let what = || format!("ops[{n}] ({} {})", op.method, op.path());
        let reject = |reason: &str| Error::invalid(what(), reason);
        let body = match serde_json::from_slice::<Value>(&op.body) {
            Ok(Value::Object(body)) => body,
            Ok(_) => return Err(reject("the body must be a JSON object")),
            Err(e) => return Err(Error::from_json(&e, &what())),
        };
        let stamp = body.get("last_updated").cloned();
        if op.method == Method::Patch && stamp.is_none() {
            return Err(reject("a PATCH must include last_updated"));
        }
        let key = (op.country_code.clone(), op.party_id.clone(), op.location_id.clone());
        let Some(evse_uid) = &op.evse_uid else {
            match (op.method, index.get(&key)) {
                (Method::Put, existing) => {
                    let ids = ["country_code", "party_id", "id"].map(|f| body.get(f).and_then(Value::as_str));
                    if ids != [Some(key.0.as_str()), Some(key.1.as_str()), Some(key.2.as_str())] {
                        return Err(reject("the Location's country_code, party_id and id must match the URL"));
                    }
                    if let Some(&i) = existing {
                        locations[i] = Value::Object(body);
                    } else {
                        index.insert(key, locations.len());
                        locations.push(Value::Object(body));
                    }
                }
                (Method::Patch, Some(&i)) => merge(&mut locations[i], body),
                (Method::Patch, None) => return Err(reject("unknown location")),
            }
            continue;
        };
        let Some(&i) = index.get(&key) else { return Err(reject("unknown location")) };
        let location = &mut locations[i];
        let evses = child_list(location, "evses").ok_or_else(|| reject("the location's evses is not a list"))?;
        let position = evses.iter().position(|e| e.get("uid").and_then(Value::as_str) == Some(evse_uid.as_str()));
        match (&op.connector_id, op.method, position) {
            (None, Method::Put, _) => {
                if body.get("uid").and_then(Value::as_str) != Some(evse_uid.as_str()) {
                    return Err(reject("the EVSE's uid must match the URL"));
                }
                match position {
                    Some(p) => evses[p] = Value::Object(body),
                    None => evses.push(Value::Object(body)),
                }
            }
            (None, Method::Patch, Some(p)) => merge(&mut evses[p], body),
            (_, _, None) => return Err(reject("unknown EVSE")),
            (Some(connector_id), method, Some(p)) => {
                let evse = &mut evses[p];
                let connectors =
                    child_list(evse, "connectors").ok_or_else(|| reject("the EVSE's connectors is not a list"))?;
                let at = connectors.iter().position(|c| c.get("id").and_then(Value::as_str) == Some(connector_id.as_str()));
                match (method, at) {
                    (Method::Put, _) if body.get("id").and_then(Value::as_str) != Some(connector_id.as_str()) => {
                        return Err(reject("the Connector's id must match the URL"));
                    }
                    (Method::Put, Some(c)) => connectors[c] = Value::Object(body),
                    (Method::Put, None) => connectors.push(Value::Object(body)),
                    (Method::Patch, Some(c)) => merge(&mut connectors[c], body),
                    (Method::Patch, None) => return Err(reject("unknown connector")),
                }
                set_last_updated(evse, stamp.as_ref());
            }
        }
        set_last_updated(location, stamp.as_ref());
    }
    Ok(locations)
}

/// [`apply_location_ops`] on a JSON array of Locations, returning the resulting array as JSON bytes.
///
/// # Errors
/// [`Error::Json`] when `snapshot` is not a JSON array; otherwise as [`apply_location_ops`].
pub fn apply_location_ops_json<'o>(snapshot: &[u8], ops: impl IntoIterator<Item = &'o LocationOp>) -> Result<Vec<u8>, Error> {
    let locations: Vec<Value> = serde_json::from_slice(snapshot).map_err(|e| Error::from_json(&e, "snapshot"))?;
    let applied = apply_location_ops(locations, ops)?;
    serde_json::to_vec(&applied).map_err(|e| Error::from_json(&e, "snapshot"))
}

fn merge(target: &mut Value, body: Map<String, Value>) {
    if let Value::Object(object) = target {
        object.extend(body);
    }
}

fn set_last_updated(target: &mut Value, stamp: Option<&Value>) {
    if let (Value::Object(object), Some(stamp)) = (target, stamp) {
        object.insert("last_updated".into(), stamp.clone());
    }
}

/// The `name` list of an object, created empty when absent; None when it is not a list.
fn child_list<'v>(parent: &'v mut Value, name: &str) -> Option<&'v mut Vec<Value>> {
    match parent {
        Value::Object(object) => match object.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(list) => Some(list),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{apply_location_ops, diff_locations_json, location_equivalent, LocationDiff, LocationOp, Method};

    fn connector(id: &str, power: u32, at: &str) -> Value {
        json!({"id": id, "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
               "max_voltage": 230, "max_amperage": 16, "max_electric_power": power, "tariff_ids": ["11"],
               "last_updated": at})
    }

    fn evse(uid: &str, status: &str, at: &str) -> Value {
        json!({"uid": uid, "evse_id": format!("NL*TNM*E{uid}"), "status": status, "capabilities": ["RFID_READER"],
               "connectors": [connector("1", 11000, at), connector("2", 22000, at)], "last_updated": at})
    }

    fn location(id: &str, at: &str) -> Value {
        json!({"country_code": "NL", "party_id": "TNM", "id": id, "publish": true, "name": "Gent Zuid",
               "address": "F.Rooseveltlaan 3A", "city": "Gent", "country": "BEL",
               "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
               "evses": [evse("3256", "AVAILABLE", at), evse("3257", "CHARGING", at)],
               "time_zone": "Europe/Brussels", "last_updated": at})
    }

    const T0: &str = "2024-01-01T00:00:00Z";
    const T1: &str = "2024-02-01T00:00:00Z";

    fn diff(old: &[Value], new: &[Value]) -> Vec<LocationOp> {
        let ops = diff_locations_json(&serde_json::to_vec(old).unwrap(), &serde_json::to_vec(new).unwrap()).unwrap();
        let applied = apply_location_ops(old.to_vec(), &ops).unwrap();
        for location in new {
            let found = applied.iter().find(|l| l["id"] == location["id"]).unwrap();
            assert!(location_equivalent(found, location), "apply(old, diff) != new:\n{found}\n{location}");
        }
        ops
    }

    fn body(op: &LocationOp) -> Value {
        serde_json::from_slice(&op.body).unwrap()
    }

    fn summary(ops: &[LocationOp]) -> Vec<(Method, String, Value)> {
        ops.iter().map(|op| (op.method, op.path(), body(op))).collect()
    }

    #[test]
    fn identical_snapshots_give_no_operations() {
        let a = [location("1", T0), location("2", T0)];
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn key_order_whitespace_and_number_spelling_are_not_changes() {
        let old = br#"[{"country_code":"NL","party_id":"TNM","id":"1","n":150000,"x":{"a":1,"b":[2.50]},"last_updated":"T"}]"#;
        let new = br#"[ { "id":"1", "x":{"b":[2.5e0],"a":1.000}, "party_id":"TNM", "country_code":"NL", "n":1.5E5, "last_updated":"T" } ]"#;
        assert!(diff_locations_json(old, new).unwrap().is_empty());
    }

    #[test]
    fn decimals_are_compared_exactly_beyond_f64() {
        let old = br#"[{"country_code":"NL","party_id":"TNM","id":"1","n":0.10000000000000000001,"last_updated":"T"}]"#;
        let new = br#"[{"country_code":"NL","party_id":"TNM","id":"1","n":0.1,"last_updated":"T"}]"#;
        let ops = diff_locations_json(old, new).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(std::str::from_utf8(&ops[0].body).unwrap(), r#"{"last_updated":"T","n":0.1}"#);
        let ops = diff_locations_json(new, old).unwrap();
        assert_eq!(std::str::from_utf8(&ops[0].body).unwrap(), r#"{"last_updated":"T","n":0.10000000000000000001}"#);
    }

    #[test]
    fn new_location_is_put_whole() {
        let old = [location("1", T0)];
        let new = [location("1", T0), location("2", T1)];
        let ops = diff(&old, &new);
        assert_eq!(summary(&ops), vec![(Method::Put, "/NL/TNM/2".into(), location("2", T1))]);
        assert_eq!(ops[0].evse_uid, None);
    }

    #[test]
    fn changed_location_field_is_patched_with_last_updated() {
        let old = [location("1", T0)];
        let mut changed = location("1", T0);
        changed["name"] = json!("Interparking Gent Zuid");
        changed["last_updated"] = json!(T1);
        let ops = diff(&old, &[changed]);
        assert_eq!(
            summary(&ops),
            vec![(Method::Patch, "/NL/TNM/1".into(), json!({"name": "Interparking Gent Zuid", "last_updated": T1}))]
        );
    }

    #[test]
    fn evse_status_change_is_one_evse_patch_that_bumps_the_location() {
        let old = [location("1", T0)];
        let mut new = [location("1", T0)];
        new[0]["evses"][1]["status"] = json!("AVAILABLE");
        new[0]["evses"][1]["last_updated"] = json!(T1);
        new[0]["last_updated"] = json!(T1);
        let ops = diff(&old, &new);
        assert_eq!(
            summary(&ops),
            vec![(Method::Patch, "/NL/TNM/1/3257".into(), json!({"status": "AVAILABLE", "last_updated": T1}))]
        );
        assert_eq!(ops[0].evse_uid.as_deref(), Some("3257"));
    }

    #[test]
    fn location_last_updated_later_than_its_children_gets_its_own_patch() {
        let old = [location("1", T0)];
        let mut new = [location("1", T0)];
        new[0]["evses"][0]["status"] = json!("BLOCKED");
        new[0]["evses"][0]["last_updated"] = json!("2024-01-15T00:00:00Z");
        new[0]["last_updated"] = json!(T1);
        let ops = diff(&old, &new);
        assert_eq!(ops.len(), 2);
        assert_eq!(summary(&ops)[1], (Method::Patch, "/NL/TNM/1".into(), json!({"last_updated": T1})));
    }

    #[test]
    fn connector_change_is_a_connector_patch() {
        let old = [location("1", T0)];
        let mut new = [location("1", T0)];
        new[0]["evses"][0]["connectors"][1]["tariff_ids"] = json!(["15"]);
        new[0]["evses"][0]["connectors"][1]["last_updated"] = json!(T1);
        new[0]["evses"][0]["last_updated"] = json!(T1);
        new[0]["last_updated"] = json!(T1);
        let ops = diff(&old, &new);
        assert_eq!(
            summary(&ops),
            vec![(Method::Patch, "/NL/TNM/1/3256/2".into(), json!({"tariff_ids": ["15"], "last_updated": T1}))]
        );
        assert_eq!(ops[0].connector_id.as_deref(), Some("2"));
    }

    #[test]
    fn new_evse_and_new_connector_are_put() {
        let old = [location("1", T0)];
        let mut new = [location("1", T1)];
        new[0]["evses"][0] = evse("3256", "AVAILABLE", T0);
        new[0]["evses"][1] = evse("3257", "CHARGING", T0);
        new[0]["evses"][1]["connectors"].as_array_mut().unwrap().push(connector("3", 50000, T1));
        new[0]["evses"][1]["last_updated"] = json!(T1);
        new[0]["evses"].as_array_mut().unwrap().push(evse("4000", "AVAILABLE", T1));
        let ops = diff(&old, &new);
        assert_eq!(
            summary(&ops),
            vec![
                (Method::Put, "/NL/TNM/1/3257/3".into(), connector("3", 50000, T1)),
                (Method::Put, "/NL/TNM/1/4000".into(), evse("4000", "AVAILABLE", T1)),
            ]
        );
    }

    #[test]
    fn vanished_evse_is_patched_removed_with_the_location_last_updated() {
        let old = [location("1", T0)];
        let mut new = [location("1", T0)];
        new[0]["evses"].as_array_mut().unwrap().pop();
        new[0]["last_updated"] = json!(T1);
        let ops = diff(&old, &new);
        assert_eq!(
            summary(&ops),
            vec![(Method::Patch, "/NL/TNM/1/3257".into(), json!({"status": "REMOVED", "last_updated": T1}))]
        );
        let applied = apply_location_ops(old.to_vec(), &ops).unwrap();
        assert_eq!(applied[0]["evses"][1]["status"], "REMOVED");
        assert_eq!(applied[0]["last_updated"], T1);
    }

    #[test]
    fn vanished_evse_already_removed_needs_nothing() {
        let mut old = [location("1", T0)];
        old[0]["evses"][1]["status"] = json!("REMOVED");
        let mut new = [location("1", T0)];
        new[0]["evses"].as_array_mut().unwrap().pop();
        assert!(diff(&old, &new).is_empty());
    }

    #[test]
    fn vanished_connector_puts_the_parent_evse() {
        let old = [location("1", T0)];
        let mut new = [location("1", T1)];
        new[0]["evses"][1] = evse("3257", "CHARGING", T0);
        new[0]["evses"][0]["connectors"].as_array_mut().unwrap().remove(0);
        new[0]["evses"][0]["last_updated"] = json!(T1);
        let ops = diff(&old, &new);
        assert_eq!(summary(&ops), vec![(Method::Put, "/NL/TNM/1/3256".into(), new[0]["evses"][0].clone())]);
    }

    #[test]
    fn removed_field_forces_a_put_and_keeps_vanished_evses_as_removed() {
        let old = [location("1", T0)];
        let mut new = [location("1", T0)];
        new[0]["last_updated"] = json!(T1);
        new[0].as_object_mut().unwrap().remove("name");
        new[0]["evses"].as_array_mut().unwrap().pop();
        let ops = diff(&old, &new);
        assert_eq!(ops.len(), 1);
        assert_eq!((ops[0].method, ops[0].path()), (Method::Put, "/NL/TNM/1".into()));
        let sent = body(&ops[0]);
        assert_eq!(sent["evses"][1]["uid"], "3257");
        assert_eq!(sent["evses"][1]["status"], "REMOVED");
        assert_eq!(sent["evses"][1]["last_updated"], T1);
        assert!(sent.get("name").is_none());
    }

    #[test]
    fn field_set_to_null_puts_the_connector() {
        let old = [location("1", T0)];
        let mut new = [location("1", T0)];
        new[0]["last_updated"] = json!(T1);
        new[0]["evses"][0]["connectors"][0]["max_electric_power"] = Value::Null;
        new[0]["evses"][0]["connectors"][0]["last_updated"] = json!(T1);
        new[0]["evses"][0]["last_updated"] = json!(T1);
        let ops = diff(&old, &new);
        assert_eq!(summary(&ops), vec![(Method::Put, "/NL/TNM/1/3256/1".into(), new[0]["evses"][0]["connectors"][0].clone())]);
    }

    #[test]
    fn vanished_location_patches_every_live_evse_removed() {
        let mut gone = location("2", T0);
        gone["evses"][1]["status"] = json!("REMOVED");
        let old = [location("1", T0), gone];
        let new = [location("1", T1)];
        let ops = diff_locations_json(&serde_json::to_vec(&old).unwrap(), &serde_json::to_vec(&new).unwrap()).unwrap();
        let expected = (Method::Patch, "/NL/TNM/2/3256".to_string(), json!({"status": "REMOVED", "last_updated": T1}));
        assert_eq!(summary(&ops).last(), Some(&expected));
        assert_eq!(ops.iter().filter(|op| op.location_id == "2").count(), 1);
        let at = "2024-03-01T12:00:00Z";
        let ops = LocationDiff::new(&serde_json::to_vec(&old).unwrap(), b"[]").removed_at(at).run().unwrap();
        assert_eq!(summary(&ops), vec![(Method::Patch, "/NL/TNM/1/3256".into(), json!({"status": "REMOVED", "last_updated": at})),
                                       (Method::Patch, "/NL/TNM/1/3257".into(), json!({"status": "REMOVED", "last_updated": at})),
                                       (Method::Patch, "/NL/TNM/2/3256".into(), json!({"status": "REMOVED", "last_updated": at}))]);
    }

    #[test]
    fn default_removed_at_is_the_latest_last_updated_of_the_new_snapshot() {
        let old = [location("1", T0), location("2", T0)];
        let new = [location("1", "2024-05-01T00:00:00Z"), location("3", "2024-04-01T00:00:00")];
        let ops = diff_locations_json(&serde_json::to_vec(&old).unwrap(), &serde_json::to_vec(&new).unwrap()).unwrap();
        let removals: Vec<Value> = ops.iter().filter(|op| op.location_id == "2").map(body).collect();
        assert_eq!(removals, vec![json!({"status": "REMOVED", "last_updated": "2024-05-01T00:00:00Z"}); 2]);
    }

    fn error(old: &[u8], new: &[u8]) -> String {
        diff_locations_json(old, new).unwrap_err().to_string()
    }

    #[test]
    fn malformed_input_names_the_snapshot_index_and_field() {
        assert!(error(b"{}", b"[]").contains("old"), "{}", error(b"{}", b"[]"));
        let e = error(b"[]", br#"[{"country_code":"NL","party_id":"TNM","id":"1"}, {"country_code":"NL","id":"2"}]"#);
        assert!(e.contains("new[1].party_id") && e.contains("missing"), "{e}");
        let e = error(br#"[{"country_code":"NL","party_id":"TNM","id":7}]"#, b"[]");
        assert!(e.contains("old[0].id") && e.contains("expected a string"), "{e}");
        let e = error(b"[]", b"[1]");
        assert!(e.contains("new[0]") && e.contains("object"), "{e}");
        let e = error(b"[]", br#"[{"country_code":"NL","party_id":"TNM","id":"1"}, {"id": "2" "#);
        assert!(e.contains("new[1]") && e.contains("line 1 column 62"), "{e}");
        let old = br#"[{"country_code":"NL","party_id":"TNM","id":"1","evses":[{"uid":"A","last_updated":"T"}],"last_updated":"T"}]"#;
        let new = br#"[{"country_code":"NL","party_id":"TNM","id":"1","evses":[{"uid":"A","last_updated":"T"},{"last_updated":"T"}],"last_updated":"T2"}]"#;
        let e = error(old, new);
        assert!(e.contains("new[0].evses[1].uid"), "{e}");
    }

    #[test]
    fn duplicate_keys_are_an_error_naming_the_key() {
        let one = r#"{"country_code":"NL","party_id":"TNM","id":"1","last_updated":"T"}"#;
        let e = error(format!("[{one},{one}]").as_bytes(), b"[]");
        assert!(e.contains("duplicate location NL/TNM/1") && e.contains("old[1]") && e.contains("old[0]"), "{e}");
        let old = br#"[{"country_code":"NL","party_id":"TNM","id":"1","evses":[],"last_updated":"T"}]"#;
        let new = br#"[{"country_code":"NL","party_id":"TNM","id":"1","evses":[{"uid":"A","last_updated":"T"},{"uid":"A","last_updated":"T"}],"last_updated":"T"}]"#;
        let e = error(old, new);
        assert!(e.contains("duplicate uid \"A\""), "{e}");
    }

    #[test]
    fn old_snapshot_is_validated_even_where_it_matches_the_new_one() {
        let one = r#"{"country_code":"NL","party_id":"TNM","id":"1","last_updated":"T"}"#;
        let new = format!("[{one}]");
        let e = error(format!("[{one},{one}]").as_bytes(), new.as_bytes());
        assert!(e.contains("old[1]") && e.contains("duplicate location NL/TNM/1") && e.contains("old[0]"), "{e}");
        let e = error(format!("[{one} x]").as_bytes(), new.as_bytes());
        assert!(e.contains("old[0]") && e.contains("expected ',' or ']'"), "{e}");
        let e = error(br#"[{"country_code":"NL","party_id":"TNM","id":"1","last_updated":tru}]"#, new.as_bytes());
        assert!(e.contains("old[0]") && e.contains("expected a JSON value"), "{e}");
        let e = error(b"[\"\xff\"]", b"[]");
        assert!(e.contains("old[0]") && e.contains("UTF-8"), "{e}");
        assert!(diff_locations_json(format!(" [ {one} ] ").as_bytes(), new.as_bytes()).unwrap().is_empty());
    }

    #[test]
    fn a_child_list_the_old_object_lacks_is_patched_whole() {
        let old = br#"[{"country_code":"NL","party_id":"TNM","id":"1","last_updated":"T"},
                       {"country_code":"NL","party_id":"TNM","id":"2","evses":[{"uid":"A","status":"AVAILABLE","last_updated":"T"}],"last_updated":"T"}]"#;
        let new = br#"[{"country_code":"NL","party_id":"TNM","id":"1","evses":[],"last_updated":"T"},
                       {"country_code":"NL","party_id":"TNM","id":"2","evses":[{"uid":"A","status":"AVAILABLE","connectors":[{"id":"1","last_updated":"T"}],"last_updated":"T"}],"last_updated":"T"}]"#;
        let ops = diff_locations_json(old, new).unwrap();
        assert_eq!(
            summary(&ops),
            vec![
                (Method::Patch, "/NL/TNM/1".into(), json!({"evses": [], "last_updated": "T"})),
                (Method::Patch, "/NL/TNM/2/A".into(), json!({"connectors": [{"id": "1", "last_updated": "T"}], "last_updated": "T"})),
            ]
        );
    }

    #[test]
    fn escaped_ids_are_decoded() {
        let old = br#"[{"country_code":"NL","party_id":"TNM","id":"a\/b","last_updated":"T"}]"#;
        let new = br#"[{"id":"a/b","country_code":"NL","party_id":"TNM","last_updated":"T2"}]"#;
        let ops = diff_locations_json(old, new).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!((ops[0].method, ops[0].path()), (Method::Patch, "/NL/TNM/a/b".into()));
    }

    #[test]
    fn apply_rejects_what_a_receiver_rejects() {
        let snapshot = vec![location("1", T0)];
        let op = |method, evse: Option<&str>, body: Value| LocationOp {
            method,
            country_code: "NL".into(),
            party_id: "TNM".into(),
            location_id: "1".into(),
            evse_uid: evse.map(str::to_string),
            connector_id: None,
            body: serde_json::to_vec(&body).unwrap(),
        };
        let fails = |o: LocationOp| apply_location_ops(snapshot.clone(), &[o]).unwrap_err().to_string();
        assert!(fails(op(Method::Patch, None, json!({"name": "x"}))).contains("last_updated"));
        assert!(fails(op(Method::Patch, Some("nope"), json!({"last_updated": T1}))).contains("unknown EVSE"));
        assert!(fails(op(Method::Put, None, json!({"country_code": "NL", "party_id": "TNM", "id": "2"}))).contains("match the URL"));
        assert!(fails(op(Method::Put, None, json!([]))).contains("JSON object"));
    }
}
