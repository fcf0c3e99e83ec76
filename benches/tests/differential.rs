//! Differential test: on generated CDR/tariff pairs inside the semantics both engines share (UTC, no
//! min/max price, no reservation), ocpi-engine's totals equal the reference pricer's (ocpi-tariffs 0.6.1).
//! Every difference found is fixed, or written down in benches/DIFFERENTIAL.md with the spec passage that decides it.

use ocpi_engine_bench::{
    cdr_json, engine_totals, hour_split_cdr_json, reference_totals, tariff_json, varied_tariff_json, RestrictionKinds, Rng,
};

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

/// The tariff with every `step_size` set to 1 (no rounding up of billed volumes).
fn without_steps(tariff: &str) -> String {
    let mut out = String::with_capacity(tariff.len());
    let mut rest = tariff;
    while let Some(at) = rest.find("\"step_size\":") {
        let (head, tail) = rest.split_at(at + "\"step_size\":".len());
        out.push_str(head);
        out.push('1');
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// Outcome of [`compare`]: how many pairs both engines priced, how many differ only through the step_size rule
/// (equal once every step_size is 1), and every other difference, one line per differing total.
struct Comparison {
    compared: usize,
    step_rule: usize,
    unexplained: Vec<String>,
}

/// Price `cases` generated pairs (varied tariffs, CDRs split at whole hours) with both engines.
fn compare(seed: u64, cases: usize, kinds: RestrictionKinds) -> Comparison {
    let mut rng = Rng::new(seed);
    let mut result = Comparison { compared: 0, step_rule: 0, unexplained: Vec::new() };
    for case in 0..cases {
        let tariff = varied_tariff_json(&mut rng, kinds);
        let periods = 1 + usize::try_from(rng.below(5)).unwrap_or(0);
        let cdr = hour_split_cdr_json(&mut rng, periods);
        let Some(reference) = reference_totals(&cdr, &tariff) else { continue };
        let ours = engine_totals(&cdr, &tariff).expect("ocpi-engine prices every generated CDR");
        result.compared += 1;
        if ours == reference {
            continue;
        }
        let flat = without_steps(&tariff);
        if engine_totals(&cdr, &flat) == reference_totals(&cdr, &flat) {
            result.step_rule += 1;
            continue;
        }
        for (i, name) in NAMES.iter().enumerate() {
            if ours[i] != reference[i] {
                result.unexplained.push(format!("case {case} {name}: ours {:?} reference {:?}\n  cdr {cdr}\n  tariff {tariff}", ours[i], reference[i]));
            }
        }
    }
    result
}

#[test]
fn every_restriction_kind_agrees_with_the_reference_except_the_step_rule() {
    let all = RestrictionKinds { calendar: true, minimums: true, maximums: true };
    let mut compared = 0;
    let mut step_rule = 0;
    for (seed, kinds) in [(0x0C91_2025, all), (0x0C91_2026, RestrictionKinds { maximums: false, ..all })] {
        let r = compare(seed, 300, kinds);
        assert!(r.compared >= 290, "the reference priced only {} of 300 cases", r.compared);
        assert!(
            r.unexplained.is_empty(),
            "{} differences not explained by the step_size rule (benches/DIFFERENTIAL.md):\n{}",
            r.unexplained.len(),
            r.unexplained.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
        );
        compared += r.compared;
        step_rule += r.step_rule;
    }
    println!("{compared} pairs compared, {step_rule} differ only by the step_size rule");
    // The generator does reach the one documented difference; if it never did, the classification above
    // would be untested.
    assert!(step_rule > 0 && step_rule * 5 < compared, "{step_rule} of {compared} pairs differ by the step rule");
}

/// The one difference: step_size rounds up the volume the dimension priced (ours) or the session's whole
/// volume of that dimension, priced or not (ocpi-tariffs 0.6.1). Here ENERGY is priced 04:00-11:00 only,
/// step 500 Wh: 10 kWh priced before 11:00, 2.7 kWh after. See benches/DIFFERENTIAL.md.
#[test]
fn the_step_rule_difference_is_the_documented_one() {
    let tariff = r#"{"country_code":"NL","party_id":"ENG","id":"S","currency":"EUR","elements":[{"price_components":[{"type":"ENERGY","price":0.11,"step_size":500}],"restrictions":{"start_time":"04:00","end_time":"11:00"}}],"last_updated":"2024-01-01T00:00:00Z"}"#;
    let cdr = r#"{"id":"C","start_date_time":"2024-03-01T10:00:00Z","end_date_time":"2024-03-01T12:00:00Z","currency":"EUR","cdr_location":{"country":"NLD"},"charging_periods":[{"start_date_time":"2024-03-01T10:00:00Z","dimensions":[{"type":"ENERGY","volume":10},{"type":"TIME","volume":1}]},{"start_date_time":"2024-03-01T11:00:00Z","dimensions":[{"type":"ENERGY","volume":2.7},{"type":"TIME","volume":1}]}],"total_cost":{"excl_vat":0},"total_energy":12.7,"total_time":2,"last_updated":"2024-03-01T12:00:00Z"}"#;
    let ours = engine_totals(cdr, tariff).expect("ours");
    let reference = reference_totals(cdr, tariff).expect("reference");
    // Ours: 10 kWh priced, already a multiple of 0.5 kWh: 10 x 0.11.
    assert_eq!(ours[1].0, rust_decimal::Decimal::new(1_1000, 4));
    // Reference: 12.7 kWh in the session rounds up to 13.0; the 0.3 kWh is added to the last priced period.
    assert_eq!(reference[1].0, rust_decimal::Decimal::new(1_1330, 4));
    // Without step sizes both price 10 kWh.
    let flat = without_steps(tariff);
    assert_eq!(engine_totals(cdr, &flat), reference_totals(cdr, &flat));
}
