//! Differential test: on generated CDR/tariff pairs inside the semantics both engines share (UTC, no
//! min/max price, no reservation), ocpi-engine's totals equal the reference pricer's (ocpi-tariffs 0.6.1).
//! Any difference found is fixed, or written down in benches/RESULTS.md with the spec passage that decides it.

use ocpi_engine_bench::{cdr_json, engine_totals, reference_totals, tariff_json, Rng};

const NAMES: [&str; 5] = ["total_cost", "total_energy_cost", "total_time_cost", "total_parking_cost", "total_fixed_cost"];

#[test]
fn totals_equal_the_reference_pricer() {
    let mut rng = Rng::new(0x0C91_2024);
    let mut compared = 0;
    let mut differences = Vec::new();
    for case in 0..400 {
        let tariff = tariff_json(&mut rng);
        let periods = 1 + usize::try_from(rng.below(5)).unwrap_or(0);
        let cdr = cdr_json(&mut rng, periods, None);
        let Some(reference) = reference_totals(&cdr, &tariff) else { continue };
        let ours = engine_totals(&cdr, &tariff).expect("ocpi-engine prices every generated CDR");
        compared += 1;
        for (i, name) in NAMES.iter().enumerate() {
            if ours[i] != reference[i] {
                differences.push(format!("case {case} {name}: ours {:?} reference {:?}\n  cdr {cdr}\n  tariff {tariff}", ours[i], reference[i]));
            }
        }
    }
    assert!(compared >= 390, "the reference priced only {compared} of 400 cases");
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.iter().take(5).cloned().collect::<Vec<_>>().join("\n"));
}
