//! One-pass reading of a snapshot (a JSON array of Locations): validates the JSON (RFC 8259: grammar, string
//! escapes, control characters, UTF-8) and records each Location's byte range and the raw values of its
//! `country_code`, `party_id`, `id` and `last_updated`, without building trees. Strings, most of the bytes,
//! are skipped eight bytes at a time.
//!
//! The old snapshot is read against the new one: a Location whose identity is found early, and whose bytes
//! equal its new counterpart's (already validated), is skipped with one comparison instead of re-scanned.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use rayon::prelude::*;

use crate::Error;

/// `(country_code, party_id, id)` of a Location.
pub(super) type Key<'a> = (Cow<'a, str>, Cow<'a, str>, Cow<'a, str>);

/// Hasher of Location identities: a multiply-rotate hash over 8-byte words (the `FxHash` scheme), several
/// times faster than `SipHash` on short ids. Not flood-resistant; snapshots come from the CPO owning the ids.
#[derive(Default, Clone, Copy)]
pub(super) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, byte: u8) {
        self.write(&[byte]);
    }
    fn write_usize(&mut self, value: usize) {
        self.write(&value.to_le_bytes());
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type KeyHasher = BuildHasherDefault<FxHasher>;

/// The new snapshot's Locations by identity. The table holds 64-bit identity hashes (small, so it stays in
/// cache), each checked against the Location's key on lookup; identities whose hash is taken by another one
/// go to `overflow`.
pub(super) struct NewIndex<'k> {
    by_hash: HashMap<u64, usize, KeyHasher>,
    overflow: HashMap<Key<'k>, usize, KeyHasher>,
}

fn key_hash(key: &Key<'_>) -> u64 {
    let mut hasher = FxHasher::default();
    key.hash(&mut hasher);
    hasher.finish()
}

impl<'k> NewIndex<'k> {
    /// Index `entries`; a repeated identity is `Err((index, first index))`.
    pub(super) fn build(entries: &[Entry<'k>]) -> Result<Self, (usize, usize)> {
        let mut by_hash = HashMap::with_capacity_and_hasher(entries.len(), KeyHasher::default());
        let mut overflow: HashMap<Key<'k>, usize, KeyHasher> = HashMap::default();
        for (j, entry) in entries.iter().enumerate() {
            match by_hash.entry(key_hash(&entry.key)) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(j);
                }
                std::collections::hash_map::Entry::Occupied(slot) => {
                    let first = *slot.get();
                    if entries[first].key == entry.key {
                        return Err((entry.index, entries[first].index));
                    }
                    if let Some(other) = overflow.insert(entry.key.clone(), j) {
                        return Err((entry.index, entries[other].index));
                    }
                }
            }
        }
        Ok(Self { by_hash, overflow })
    }

    /// Position in `entries` (the ones indexed) of the Location with identity `key`.
    pub(super) fn get(&self, entries: &[Entry<'_>], key: &Key<'_>) -> Option<usize> {
        let &j = self.by_hash.get(&key_hash(key))?;
        if entries[j].key == *key {
            Some(j)
        } else if self.overflow.is_empty() {
            None
        } else {
            self.overflow.get(key).copied()
        }
    }
}

type Partner<'r, 'n> = Option<(&'r [Entry<'n>], &'r NewIndex<'n>)>;

/// Top-level fields recorded per Location; the first three are its identity.
const CAPTURED: [&str; 4] = ["country_code", "party_id", "id", "last_updated"];
const DUPLICATE: [&str; 4] = [
    "field country_code appears twice",
    "field party_id appears twice",
    "field id appears twice",
    "field last_updated appears twice",
];
/// Nesting limit, as `serde_json`'s (also protects the stack).
const MAX_DEPTH: u32 = 128;

/// One validated Location of a snapshot.
pub(super) struct Entry<'a> {
    /// Its position in the snapshot's array.
    pub index: usize,
    pub raw: &'a [u8],
    pub key: Key<'a>,
    /// The raw JSON value of `last_updated`, when present.
    pub last_updated: Option<&'a [u8]>,
}

/// A Location of the old snapshot.
pub(super) enum OldEntry<'a> {
    /// Byte-identical to the new snapshot's Location at this index.
    Same { index: usize, new_index: usize },
    /// Anything else, validated.
    Read(Entry<'a>),
}

type Spans = [Option<(usize, usize)>; 4];
type Scan<T> = Result<T, &'static str>;

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `v` that is `"`, `\`, a control character or non-ASCII; the lowest set bit
/// is exact (the classic SWAR zero-byte test only over-reports above a true hit).
fn special_bytes(v: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero(v ^ (ONES * u64::from(b'"'))) | zero(v ^ (ONES * u64::from(b'\\'))) | (v.wrapping_sub(ONES * 0x20) & !v & HIGH) | (v & HIGH)
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: u32) -> Scan<()> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err("expected a JSON value"),
            None => Err("unexpected end of input"),
        }
    }

    fn literal(&mut self, literal: &[u8]) -> Scan<()> {
        if self.b[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err("expected a JSON value")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Scan<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        Ok(())
    }

    /// A string starting at the opening quote; leaves `pos` after the closing one.
    fn string(&mut self) -> Scan<()> {
        self.pos += 1;
        loop {
            while let Some(chunk) = self.b.get(self.pos..self.pos + 8) {
                let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
                let special = special_bytes(u64::from_le_bytes(bytes));
                if special == 0 {
                    self.pos += 8;
                } else {
                    self.pos += (special.trailing_zeros() / 8) as usize;
                    break;
                }
            }
            match self.peek() {
                None => return Err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape()?,
                Some(0..=0x1f) => return Err("control character in a string (escape it)"),
                Some(0x80..=0xff) => self.utf8()?,
                Some(_) => self.pos += 1,
            }
        }
    }

    fn escape(&mut self) -> Scan<()> {
        match self.b.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 2,
            Some(b'u') => {
                let hex = self.b.get(self.pos + 2..self.pos + 6).ok_or("unterminated string")?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err("invalid \\u escape");
                }
                self.pos += 6;
            }
            _ => return Err("invalid escape"),
        }
        Ok(())
    }

    fn utf8(&mut self) -> Scan<()> {
        let width = match self.peek() {
            Some(0xc2..=0xdf) => 2,
            Some(0xe0..=0xef) => 3,
            Some(0xf0..=0xf4) => 4,
            _ => return Err("invalid UTF-8"),
        };
        let sequence = self.b.get(self.pos..self.pos + width).ok_or("invalid UTF-8")?;
        std::str::from_utf8(sequence).map_err(|_| "invalid UTF-8")?;
        self.pos += width;
        Ok(())
    }

    fn array(&mut self, depth: u32) -> Scan<()> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply");
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err("expected ',' or ']'"),
            }
        }
    }

    fn object(&mut self, depth: u32) -> Scan<()> {
        self.members(depth, None, false).map(|_| ())
    }

    /// An object's members; with `spans`, records the values of the [`CAPTURED`] fields and, with
    /// `stop_early`, returns `Ok(false)` as soon as the identity fields are found (the rest unread).
    fn members(&mut self, depth: u32, mut spans: Option<&mut Spans>, stop_early: bool) -> Scan<bool> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply");
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(true);
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err("expected a field name");
            }
            let key_start = self.pos;
            self.string()?;
            let key = &self.b[key_start..self.pos];
            self.ws();
            if self.peek() != Some(b':') {
                return Err("expected ':'");
            }
            self.pos += 1;
            self.ws();
            let value_start = self.pos;
            self.value(depth)?;
            if let Some(spans) = spans.as_deref_mut() {
                if let Some(slot) = captured_slot(key) {
                    if spans[slot].is_some() {
                        return Err(DUPLICATE[slot]);
                    }
                    spans[slot] = Some((value_start, self.pos));
                    if stop_early && spans[..3].iter().all(Option::is_some) {
                        return Ok(false);
                    }
                }
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(true);
                }
                _ => return Err("expected ',' or '}'"),
            }
        }
    }
}

/// Which [`CAPTURED`] field a raw (validated) key token names, comparing bytes (decoding only escaped keys).
fn captured_slot(key: &[u8]) -> Option<usize> {
    let inner = &key[1..key.len() - 1];
    if let Some(slot) = CAPTURED.iter().position(|c| c.as_bytes() == inner) {
        return Some(slot);
    }
    if inner.contains(&b'\\') {
        let text = json_str(key)?;
        return CAPTURED.iter().position(|c| *c == text);
    }
    None
}

/// The text of a raw (validated) JSON string token, borrowed when it has no escapes.
pub(super) fn json_str(raw: &[u8]) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
        serde_json::from_slice::<String>(raw).ok().map(Cow::Owned)
    } else {
        std::str::from_utf8(inner).ok().map(Cow::Borrowed)
    }
}

fn syntax_error(bytes: &[u8], side: &str, index: Option<usize>, pos: usize, reason: &str) -> Error {
    let before = &bytes[..pos.min(bytes.len())];
    #[expect(clippy::naive_bytecount, reason = "only on the error path")]
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len() - before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
    let path = index.map_or_else(|| side.to_string(), |i| format!("{side}[{i}]"));
    Error::Json { path, reason: format!("{reason} at line {line} column {column} (byte {pos})") }
}

/// Build an [`Entry`] from a validated Location's captured spans.
fn entry<'a>(bytes: &'a [u8], index: usize, start: usize, end: usize, spans: &Spans, side: &str) -> Result<Entry<'a>, Error> {
    let mut key: [Cow<'a, str>; 3] = Default::default();
    for ((name, span), slot) in CAPTURED.iter().zip(spans).zip(key.iter_mut()) {
        let what = || format!("{side}[{index}].{name}");
        let (from, to) =
            span.ok_or_else(|| Error::invalid(what(), "missing (Locations are keyed by country_code, party_id and id)"))?;
        let raw = &bytes[from..to];
        *slot = json_str(raw)
            .ok_or_else(|| Error::invalid(what(), format!("expected a string, found {}", String::from_utf8_lossy(raw))))?;
    }
    let [country_code, party_id, id] = key;
    let last_updated = spans[3].map(|(from, to)| &bytes[from..to]);
    Ok(Entry { index, raw: &bytes[start..end], key: (country_code, party_id, id), last_updated })
}

/// The Locations of a snapshot, in order; `new` (its entries and index) enables the identical-bytes shortcut.
///
/// Large snapshots are cut into a few runs per thread at guessed Location starts (a `}`-`,`-`{` whose object
/// carries a Location identity). Guesses are verified: a run's result counts only if the run before it ended
/// exactly at its start, otherwise that run goes on to the end of the array itself. Errors are reported by a
/// sequential re-read, so their indices and positions are the ones a single pass gives.
fn read<'a>(bytes: &'a [u8], side: &str, new: Partner<'_, '_>) -> Result<Vec<OldEntry<'a>>, Error> {
    const MIN_RUN: usize = 1 << 20;
    // A few runs per thread, so work stealing evens out threads slowed by other load.
    let threads = rayon::current_num_threads();
    let runs = if threads > 1 { (threads * 4).min(bytes.len() / MIN_RUN).max(1) } else { 1 };
    let mut starts: Vec<usize> = Vec::with_capacity(runs);
    for k in 1..runs {
        if let Some(at) = guess_location_start(bytes, k * bytes.len() / runs) {
            if !matches!(starts.last(), Some(&last) if last >= at) {
                starts.push(at);
            }
        }
    }
    if starts.is_empty() {
        return read_run(bytes, side, new, None, None).map(|(entries, _)| entries);
    }
    let bounds: Vec<(Option<usize>, Option<usize>)> = std::iter::once(None)
        .chain(starts.iter().copied().map(Some))
        .zip(starts.iter().copied().map(Some).chain(std::iter::once(None)))
        .collect();
    let results: Vec<_> = bounds.par_iter().map(|&(start, stop)| read_run(bytes, side, new, start, stop)).collect();
    let mut all: Vec<OldEntry<'a>> = Vec::with_capacity(new.map_or(0, |(entries, _)| entries.len()));
    for result in results {
        let Ok((entries, reached_end)) = result else {
            return read_run(bytes, side, new, None, None).map(|(entries, _)| entries);
        };
        let base = all.len();
        all.extend(entries.into_iter().map(|mut entry| {
            match &mut entry {
                OldEntry::Same { index, .. } => *index += base,
                OldEntry::Read(entry) => entry.index += base,
            }
            entry
        }));
        if reached_end {
            break;
        }
    }
    Ok(all)
}

/// A likely Location start at or after `from`: the `{` of `}`-`,`-`{` whose object has the identity fields.
fn guess_location_start(bytes: &[u8], from: usize) -> Option<usize> {
    const SEARCH: usize = 1 << 20;
    let end = bytes.len().min(from.saturating_add(SEARCH));
    let mut i = from;
    while i < end {
        let close = i + bytes[i..end].iter().position(|&b| b == b'}')?;
        let mut probe = Scanner { b: bytes, pos: close + 1 };
        probe.ws();
        if probe.peek() == Some(b',') {
            probe.pos += 1;
            probe.ws();
            if probe.peek() == Some(b'{') {
                let at = probe.pos;
                let mut spans: Spans = [None; 4];
                if probe.members(2, Some(&mut spans), true).is_ok() && spans[..3].iter().all(Option::is_some) {
                    return Some(at);
                }
            }
        }
        i = close + 1;
    }
    None
}

/// Read Locations from `start` (a Location start; `None`: the beginning of the array) until the Location
/// starting exactly at `stop`, or else to the end of the array. Indices are relative to `start`. Returns
/// whether the end of the array was reached.
fn read_run<'a>(
    bytes: &'a [u8],
    side: &str,
    new: Partner<'_, '_>,
    start: Option<usize>,
    stop: Option<usize>,
) -> Result<(Vec<OldEntry<'a>>, bool), Error> {
    let mut out = Vec::new();
    let mut s = Scanner { b: bytes, pos: start.unwrap_or(0) };
    if start.is_none() {
        s.ws();
        if s.peek() != Some(b'[') {
            return Err(syntax_error(bytes, side, None, s.pos, "expected a JSON array of Locations"));
        }
        s.pos += 1;
        s.ws();
        if s.peek() == Some(b']') {
            s.pos += 1;
            return finish(s, side).map(|()| (out, true));
        }
    }
    loop {
        if Some(s.pos) == stop {
            return Ok((out, false));
        }
        let index = out.len();
        let start = s.pos;
        if s.peek() != Some(b'{') {
            s.value(1).map_err(|reason| syntax_error(bytes, side, Some(index), s.pos, reason))?;
            return Err(Error::invalid(format!("{side}[{index}]"), "a Location must be a JSON object"));
        }
        if let Some((new_index, end)) = new.and_then(|(entries, by_key)| same_as_new(bytes, start, entries, by_key)) {
            s.pos = end;
            out.push(OldEntry::Same { index, new_index });
        } else {
            let mut spans: Spans = [None; 4];
            s.members(2, Some(&mut spans), false).map_err(|reason| syntax_error(bytes, side, Some(index), s.pos, reason))?;
            out.push(OldEntry::Read(entry(bytes, index, start, s.pos, &spans, side)?));
        }
        s.ws();
        match s.peek() {
            Some(b',') => {
                s.pos += 1;
                s.ws();
            }
            Some(b']') => {
                s.pos += 1;
                return finish(s, side).map(|()| (out, true));
            }
            _ => return Err(syntax_error(bytes, side, Some(index), s.pos, "expected ',' or ']' after a Location")),
        }
    }
}

/// Only whitespace may follow the array.
fn finish(mut s: Scanner<'_>, side: &str) -> Result<(), Error> {
    s.ws();
    if s.pos == s.b.len() {
        Ok(())
    } else {
        Err(syntax_error(s.b, side, None, s.pos, "trailing characters after the array"))
    }
}

/// When the Location starting at `start` has an identity the new snapshot holds, and the very same bytes:
/// that new index and the end of the Location. Reads only up to the identity fields otherwise.
fn same_as_new(bytes: &[u8], start: usize, entries: &[Entry<'_>], by_key: &NewIndex<'_>) -> Option<(usize, usize)> {
    let mut spans: Spans = [None; 4];
    let mut probe = Scanner { b: bytes, pos: start };
    probe.members(2, Some(&mut spans), true).ok()?;
    let found = entry(bytes, 0, start, start, &spans, "old").ok()?;
    let j = by_key.get(entries, &found.key)?;
    bytes[start..].starts_with(entries[j].raw).then(|| (j, start + entries[j].raw.len()))
}

/// Read the new snapshot: every Location validated, with its identity.
pub(super) fn read_new(bytes: &[u8]) -> Result<Vec<Entry<'_>>, Error> {
    let entries = read(bytes, "new", None)?;
    Ok(entries.into_iter().filter_map(|e| if let OldEntry::Read(e) = e { Some(e) } else { None }).collect())
}

/// Read the old snapshot against the new one.
pub(super) fn read_old<'a, 'n>(bytes: &'a [u8], new: &[Entry<'n>], new_index: &NewIndex<'n>) -> Result<Vec<OldEntry<'a>>, Error> {
    read(bytes, "old", Some((new, new_index)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{read, read_run, OldEntry, Scanner};

    fn summary(entries: &[OldEntry<'_>]) -> Vec<(usize, Vec<u8>, String)> {
        entries
            .iter()
            .map(|e| match e {
                OldEntry::Read(e) => (e.index, e.raw.to_vec(), format!("{:?}", e.key)),
                OldEntry::Same { index, new_index } => (*index, Vec::new(), format!("same as {new_index}")),
            })
            .collect()
    }

    /// `count` Locations of ~2.3 KB; with `decoys`, each also nests objects that look like Locations, right
    /// where a run boundary is guessed (so the guess is wrong and the first run reads on to the end).
    fn snapshot(count: usize, decoys: bool) -> String {
        let decoy = if decoys { r#""related":[{"country_code":"XX","party_id":"YYY","id":"Z"},{"country_code":"XX","party_id":"YYY","id":"W"}],"# } else { "" };
        let items: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"country_code":"NL","party_id":"TNM","id":"L{i}","padding":"{}",{decoy}"last_updated":"2024-01-01T00:00:00Z"}}"#, "x".repeat(2200)))
            .collect();
        format!("[{}]", items.join(",\n "))
    }

    #[test]
    fn identities_whose_hash_is_taken_are_found_in_the_overflow() {
        let text = r#"[{"country_code":"NL","party_id":"TNM","id":"1"},{"country_code":"NL","party_id":"TNM","id":"2"}]"#;
        let entries = super::read_new(text.as_bytes()).unwrap();
        let index = super::NewIndex::build(&entries).unwrap();
        assert_eq!(index.get(&entries, &entries[1].key), Some(1));
        // Forge a collision: the second identity's hash points at the first Location.
        let mut forged = super::NewIndex { by_hash: index.by_hash.clone(), overflow: std::collections::HashMap::default() };
        forged.by_hash.insert(super::key_hash(&entries[1].key), 0);
        assert_eq!(forged.get(&entries, &entries[1].key), None);
        forged.overflow.insert(entries[1].key.clone(), 1);
        assert_eq!(forged.get(&entries, &entries[1].key), Some(1));
        assert_eq!(forged.get(&entries, &entries[0].key), Some(0));
    }

    #[test]
    fn parallel_runs_read_what_one_pass_reads() {
        for decoys in [false, true] {
            let text = snapshot(2000, decoys);
            let parallel = read(text.as_bytes(), "new", None).unwrap();
            let (sequential, end) = read_run(text.as_bytes(), "new", None, None, None).unwrap();
            assert!(end);
            assert_eq!(parallel.len(), 2000);
            assert_eq!(summary(&parallel), summary(&sequential));
        }
    }

    #[test]
    fn errors_in_a_later_run_carry_the_global_index() {
        let text = snapshot(2000, false).replacen(r#""id":"L1700","#, r#""id":L1700,"#, 1);
        let err = read(text.as_bytes(), "new", None).err().unwrap().to_string();
        assert!(err.contains("new[1700]") && err.contains("expected a JSON value"), "{err}");
        let text = snapshot(2000, false).replacen(r#""id":"L1900","#, r#""id":1900,"#, 1);
        let err = read(text.as_bytes(), "new", None).err().unwrap().to_string();
        assert!(err.contains("new[1900].id") && err.contains("expected a string"), "{err}");
    }

    fn valid(text: &[u8]) -> bool {
        let mut s = Scanner { b: text, pos: 0 };
        s.ws();
        s.value(0).is_ok() && {
            s.ws();
            s.pos == text.len()
        }
    }

    fn agrees(text: &[u8]) {
        let ours = valid(text);
        // serde_json skips unused strings without checking UTF-8; JSON text must be UTF-8 (RFC 8259 section 8.1).
        let reference = serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() && std::str::from_utf8(text).is_ok();
        assert_eq!(ours, reference, "validity of {:?}", String::from_utf8_lossy(text));
    }

    #[test]
    fn agrees_with_serde_json_on_edge_cases() {
        let cases: &[&[u8]] = &[
            b"0", b"-0", b"01", b"1.", b".5", b"1e", b"1e+", b"1E-7", b"-", b"--1", b"2.50", b"1.5e300",
            b"\"\"", b"\"a\\u00e9\"", b"\"\\u12\"", b"\"\\x\"", b"\"tab\there\"", b"\"\xc3\xa9\"", b"\"\xc3\"",
            b"\"\xed\xa0\x80\"", b"\"\xf4\x90\x80\x80\"", b"\"\xe2\x82\xac 12345678 \xf0\x9f\x94\x8c\"",
            b"[]", b"[1,]", b"[,1]", b"{}", b"{\"a\":1,}", b"{\"a\" 1}", b"{1:2}", b"{\"a\":1}x", b"  [1 , 2 ]  ",
            b"true", b"tru", b"nul", b"null ", b"[\"unterminated]", b"\"0123456789abcdef\\\"0123456789\"",
        ];
        for case in cases {
            agrees(case);
        }
        agrees(&[b'['; 200]);
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
            "\\PC{0,20}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("\\PC{0,8}", inner), 0..6).prop_map(|v| {
                    let members: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap_or_default())).collect();
                    format!("{{ {} }}", members.join(" ,"))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Valid JSON, and the same with one byte replaced, inserted or removed: same verdict as serde_json.
        #[test]
        fn validity_matches_serde_json(text in json_text(), at in any::<prop::sample::Index>(), byte in any::<u8>(), edit in 0..3u8) {
            agrees(text.as_bytes());
            let mut bytes = text.into_bytes();
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                match edit {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => { bytes.remove(i); }
                }
            }
            agrees(&bytes);
        }
    }
}
