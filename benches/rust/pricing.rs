//! Criterion: one CDR (5 charging periods, a 3-element tariff with time restrictions) priced from JSON
//! bytes by ocpi-engine and, in the same run, by the reference pricer ocpi-tariffs 0.6.1 (single-threaded,
//! same input, both including JSON parsing); and a 10,000-CDR batch through the parallel repricer.
//!
//!     cargo bench -p ocpi-engine-bench --bench pricing

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ocpi_engine::reprice::{split_lines, Repricer};
use ocpi_engine::{price_cdr_json, PriceOptions};
use ocpi_engine_bench::{cdr_json, engine_totals, reference_totals, tariff_json, Rng};

fn single_cdr(c: &mut Criterion) {
    let mut rng = Rng::new(42);
    let tariff = tariff_json(&mut rng);
    let cdr = cdr_json(&mut rng, 5, None);
    assert_eq!(engine_totals(&cdr, &tariff), reference_totals(&cdr, &tariff), "engines disagree on the bench CDR");
    let options = PriceOptions { time_zone: Some(chrono_tz::Tz::UTC), ..PriceOptions::default() };
    let mut group = c.benchmark_group("single_cdr_5_periods");
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    group.bench_function("ocpi-engine", |b| {
        b.iter(|| price_cdr_json(black_box(cdr.as_bytes()), Some(black_box(tariff.as_bytes())), &options).map(|r| r.total_cost));
    });
    group.bench_function("ocpi-tariffs-0.6.1", |b| {
        b.iter(|| reference_totals(black_box(&cdr), black_box(&tariff)));
    });
    group.finish();
}

fn batch(c: &mut Criterion) {
    let mut rng = Rng::new(7);
    let tariff = tariff_json(&mut rng);
    let lines: String = (0..10_000).map(|_| cdr_json(&mut rng, 5, None) + "\n").collect();
    let repricer = Repricer::new(
        Some(tariff.as_bytes()),
        PriceOptions { time_zone: Some(chrono_tz::Tz::UTC), ..PriceOptions::default() },
        rust_decimal::Decimal::new(5, 3),
        false,
    )
    .expect("tariff");
    let mut group = c.benchmark_group("batch_10k_cdrs");
    group.throughput(Throughput::Elements(10_000)).sample_size(10).measurement_time(Duration::from_secs(5));
    group.bench_function("repricer_all_cores", |b| {
        b.iter_batched(
            || split_lines(lines.as_bytes()),
            |chunk| repricer.price_lines(1, &chunk).len(),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, single_cdr, batch);
criterion_main!(benches);
