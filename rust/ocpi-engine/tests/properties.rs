//! Properties of the pricer (proptest, bounded case counts so `cargo test` stays fast).

use ocpi_engine::pricing::{price_cdr_json, PriceOptions, PriceReport};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn utc() -> PriceOptions {
    PriceOptions { time_zone: Some(chrono_tz::Tz::UTC), ..PriceOptions::default() }
}

fn dec(thousandths: u32) -> Decimal {
    Decimal::new(i64::from(thousandths), 3)
}

/// An unrestricted tariff: no boundary can fall inside a period.
fn flat_tariff(energy: u32, time: u32, parking: u32, flat: u32, step: u64, vat: Option<u32>) -> String {
    let vat = vat.map_or(String::new(), |v| format!(",\"vat\":{v}"));
    format!(
        "{{\"id\":\"T\",\"currency\":\"EUR\",\"elements\":[{{\"price_components\":[\
         {{\"type\":\"ENERGY\",\"price\":{e},\"step_size\":{step}{vat}}},{{\"type\":\"TIME\",\"price\":{t},\"step_size\":{step}{vat}}},\
         {{\"type\":\"PARKING_TIME\",\"price\":{p},\"step_size\":{step}{vat}}},{{\"type\":\"FLAT\",\"price\":{f},\"step_size\":1{vat}}}]}}],\
         \"last_updated\":\"2024-01-01T00:00:00Z\"}}",
        e = dec(energy),
        t = dec(time),
        p = dec(parking),
        f = dec(flat),
    )
}

fn cdr(periods: &[(u32, u32, u32, &str)], end: &str) -> String {
    let body: Vec<String> = periods
        .iter()
        .map(|(energy, time, parking, start)| {
            format!(
                "{{\"start_date_time\":\"{start}\",\"dimensions\":[{{\"type\":\"ENERGY\",\"volume\":{}}},{{\"type\":\"TIME\",\"volume\":{}}},{{\"type\":\"PARKING_TIME\",\"volume\":{}}}]}}",
                dec(*energy),
                dec(*time),
                dec(*parking)
            )
        })
        .collect();
    format!(
        "{{\"start_date_time\":\"2024-05-01T10:00:00Z\",\"end_date_time\":\"{end}\",\"currency\":\"EUR\",\"charging_periods\":[{}]}}",
        body.join(",")
    )
}

fn totals(r: &PriceReport) -> [Decimal; 12] {
    let p = |x: ocpi_engine::money::Price| [x.excl_vat.as_decimal(), x.incl_vat.as_decimal()];
    let [a, b] = p(r.total_cost);
    let [c, d] = p(r.total_energy_cost);
    let [e, f] = p(r.total_time_cost);
    let [g, h] = p(r.total_parking_cost);
    let [i, j] = p(r.total_fixed_cost);
    let [k, l] = p(r.total_reservation_cost);
    [a, b, c, d, e, f, g, h, i, j, k, l]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = price_cdr_json(&data, Some(&data), &PriceOptions::default());
    }

    #[test]
    fn absurd_numbers_error_cleanly(volume in "[0-9]{1,40}(\\.[0-9]{1,30})?", price in "[0-9]{1,40}") {
        let tariff = format!("{{\"id\":\"T\",\"currency\":\"EUR\",\"elements\":[{{\"price_components\":[{{\"type\":\"ENERGY\",\"price\":{price},\"step_size\":7}}]}}]}}");
        let cdr = format!("{{\"start_date_time\":\"2024-05-01T10:00:00Z\",\"end_date_time\":\"2024-05-01T11:00:00Z\",\"currency\":\"EUR\",\"charging_periods\":[{{\"start_date_time\":\"2024-05-01T10:00:00Z\",\"dimensions\":[{{\"type\":\"ENERGY\",\"volume\":{volume}}}]}}]}}");
        let _ = price_cdr_json(cdr.as_bytes(), Some(tariff.as_bytes()), &utc());
    }

    #[test]
    fn total_is_the_sum_of_the_dimensions(
        prices in (0u32..5000, 0u32..5000, 0u32..5000, 0u32..5000),
        step in prop_oneof![Just(0u64), Just(1), Just(60), Just(300), Just(500)],
        vat in proptest::option::of(0u32..30),
        periods in proptest::collection::vec((0u32..50_000, 0u32..3_000, 0u32..3_000), 1..6),
    ) {
        let starts = ["2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z", "2024-05-01T13:00:00Z", "2024-05-01T14:00:00Z"];
        let ps: Vec<_> = periods.iter().zip(starts).map(|((e, t, p), s)| (*e, *t, *p, s)).collect();
        let tariff = flat_tariff(prices.0, prices.1, prices.2, prices.3, step, vat);
        let r = price_cdr_json(cdr(&ps, "2024-05-01T15:00:00Z").as_bytes(), Some(tariff.as_bytes()), &utc()).unwrap();
        let sum = |f: fn(&ocpi_engine::money::Price) -> Decimal| {
            [r.total_energy_cost, r.total_time_cost, r.total_parking_cost, r.total_fixed_cost, r.total_reservation_cost].iter().map(f).sum::<Decimal>()
        };
        prop_assert_eq!(r.total_cost.excl_vat.as_decimal(), sum(|p| p.excl_vat.as_decimal()));
        prop_assert_eq!(r.total_cost.incl_vat.as_decimal(), sum(|p| p.incl_vat.as_decimal()));
    }

    #[test]
    fn splitting_a_period_without_a_boundary_keeps_the_price(
        prices in (1u32..5000, 1u32..5000, 1u32..5000, 0u32..5000),
        step in prop_oneof![Just(1u64), Just(60), Just(300), Just(1000)],
        energy in 0u32..80_000, time in 1u32..4_000, parking in 0u32..2_000, share in 1u32..99,
    ) {
        let tariff = flat_tariff(prices.0, prices.1, prices.2, prices.3, step, Some(21));
        let whole = cdr(&[(energy, time, parking, "2024-05-01T10:00:00Z")], "2024-05-01T16:00:00Z");
        let first = (energy * share / 100, time * share / 100, parking * share / 100);
        let split = cdr(&[(first.0, first.1, first.2, "2024-05-01T10:00:00Z"),
                          (energy - first.0, time - first.1, parking - first.2, "2024-05-01T12:00:00Z")],
                        "2024-05-01T16:00:00Z");
        // Compared as output (4 decimals): inexact divisions (a step in seconds over 3600) may differ in the
        // 28th digit depending on how the volume was split.
        let a = price_cdr_json(whole.as_bytes(), Some(tariff.as_bytes()), &utc()).unwrap().rounded(false);
        let b = price_cdr_json(split.as_bytes(), Some(tariff.as_bytes()), &utc()).unwrap().rounded(false);
        prop_assert_eq!(totals(&a), totals(&b));
    }

    #[test]
    fn upgrading_211_to_221_keeps_totals(
        prices in (0u32..5000, 0u32..5000, 0u32..5000, 0u32..5000),
        step in prop_oneof![Just(1u64), Just(300)],
        energy in 0u32..80_000, time in 0u32..4_000,
    ) {
        let tariff = flat_tariff(prices.0, prices.1, prices.2, prices.3, step, None);
        let periods = format!("[{{\"start_date_time\":\"2024-05-01T10:00:00Z\",\"dimensions\":[{{\"type\":\"ENERGY\",\"volume\":{}}},{{\"type\":\"TIME\",\"volume\":{}}}]}}]", dec(energy), dec(time));
        let v221 = format!("{{\"start_date_time\":\"2024-05-01T10:00:00Z\",\"end_date_time\":\"2024-05-01T14:00:00Z\",\"currency\":\"EUR\",\"cdr_location\":{{\"country\":\"BEL\"}},\"tariffs\":[{tariff}],\"charging_periods\":{periods}}}");
        let v211 = format!("{{\"id\":\"1\",\"start_date_time\":\"2024-05-01T10:00:00Z\",\"stop_date_time\":\"2024-05-01T14:00:00Z\",\"currency\":\"EUR\",\"location\":{{\"country\":\"BEL\",\"time_zone\":\"Europe/Brussels\"}},\"tariffs\":[{tariff}],\"charging_periods\":{periods},\"total_cost\":1}}");
        let a = price_cdr_json(v221.as_bytes(), None, &PriceOptions::default()).unwrap();
        let b = price_cdr_json(v211.as_bytes(), None, &PriceOptions::default()).unwrap();
        prop_assert_eq!(totals(&a), totals(&b));
        prop_assert_eq!(a.time_zone, b.time_zone);
    }

    #[test]
    fn decimals_round_trip_exactly(units in 0u64..10_000_000_000u64, scale in 0u32..4) {
        let price = Decimal::new(i64::try_from(units).unwrap(), scale);
        let tariff = format!("{{\"id\":\"T\",\"currency\":\"EUR\",\"elements\":[{{\"price_components\":[{{\"type\":\"FLAT\",\"price\":{price},\"step_size\":0}}]}}]}}");
        let cdr = "{\"start_date_time\":\"2024-05-01T10:00:00Z\",\"end_date_time\":\"2024-05-01T11:00:00Z\",\"currency\":\"EUR\",\"charging_periods\":[]}";
        let r = price_cdr_json(cdr.as_bytes(), Some(tariff.as_bytes()), &utc()).unwrap();
        prop_assert_eq!(r.total_fixed_cost.excl_vat.as_decimal(), price);
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        prop_assert_eq!(json["total_fixed_cost"]["excl_vat"].to_string().parse::<Decimal>().unwrap(), price.normalize());
    }
}
