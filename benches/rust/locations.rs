//! Criterion: `diff_locations` between two snapshots of 100,000 generated OCPI 2.2.1 Locations (2 EVSEs x 2
//! Connectors each, realistic fields, ~1.6 KB per Location) where 1% of the Locations changed, from JSON bytes
//! (parsing of both snapshots included). Baselines in the same run: serde_json scanning both snapshots into
//! borrowed raw elements (the least any exact diff must read) and decoding both into `serde_json::Value` trees.
//!
//!     cargo bench -p ocpi-engine-bench --bench locations

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocpi_engine::location_diff::{apply_location_ops, location_equivalent};
use ocpi_engine::{diff_locations_json, LocationDiff};
use ocpi_engine_bench::locations::{snapshot_pair, LOCATIONS};
use serde_json::value::RawValue;
use serde_json::Value;

fn check(old: &[u8], new: &[u8]) -> usize {
    let ops = diff_locations_json(old, new).expect("diff");
    let old_value: Vec<Value> = serde_json::from_slice(old).expect("old");
    let new_value: Vec<Value> = serde_json::from_slice(new).expect("new");
    let applied = apply_location_ops(old_value, &ops).expect("apply");
    let by_id: HashMap<&Value, &Value> = applied.iter().map(|l| (&l["id"], l)).collect();
    for location in &new_value {
        let found = by_id.get(&location["id"]).expect("applied location");
        assert!(location_equivalent(found, location), "apply(old, diff(old, new)) differs from new");
    }
    ops.len()
}

fn diff_100k(c: &mut Criterion) {
    let (old, new) = snapshot_pair(LOCATIONS, 42);
    let ops = check(&old, &new);
    eprintln!("snapshots: {} + {} bytes, {ops} operations", old.len(), new.len());
    let mut group = c.benchmark_group("diff_locations_100k");
    group.throughput(Throughput::Bytes((old.len() + new.len()) as u64)).sample_size(10).measurement_time(Duration::from_secs(8));
    group.bench_function("scan_both_raw_baseline", |b| {
        b.iter(|| {
            let a: Vec<&RawValue> = serde_json::from_slice(black_box(&old)).expect("old");
            let z: Vec<&RawValue> = serde_json::from_slice(black_box(&new)).expect("new");
            a.len() + z.len()
        });
    });
    group.bench_function("decode_both_value_baseline", |b| {
        b.iter(|| {
            let a: Vec<Value> = serde_json::from_slice(black_box(&old)).expect("old");
            let z: Vec<Value> = serde_json::from_slice(black_box(&new)).expect("new");
            a.len() + z.len()
        });
    });
    group.bench_function("diff_locations", |b| {
        b.iter(|| LocationDiff::new(black_box(&old), black_box(&new)).run().expect("diff").len());
    });
    group.finish();
}

criterion_group!(benches, diff_100k);
criterion_main!(benches);
