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

/// A restriction object built from arbitrary (also nonsensical) values.
fn restrictions() -> impl Strategy<Value = String> {
    let time = prop_oneof![Just("00:00".to_string()), Just("23:59".to_string()), (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h:02}:{m:02}"))];
    let number = prop_oneof![Just("0".to_string()), Just("-1".to_string()), (0u32..100_000).prop_map(|n| dec(n).to_string())];
    (
        proptest::option::of(time.clone()),
        proptest::option::of(time),
        proptest::option::of(prop_oneof![Just("2024-03-31"), Just("2024-10-27"), Just("2024-05-01")]),
        proptest::option::of(prop_oneof![Just("2024-03-31"), Just("2024-10-28"), Just("2024-05-02")]),
        proptest::collection::vec(
            (prop_oneof![Just("min_kwh"), Just("max_kwh"), Just("min_power"), Just("max_power"), Just("min_current"),
                         Just("max_current"), Just("min_duration"), Just("max_duration")], number),
            0..3,
        ),
        proptest::option::of(prop_oneof![Just("[\"MONDAY\",\"SUNDAY\"]"), Just("[]"), Just("[\"SATURDAY\"]")]),
        proptest::option::of(prop_oneof![Just("RESERVATION"), Just("RESERVATION_EXPIRES")]),
    )
        .prop_map(|(start_time, end_time, start_date, end_date, bounds, days, reservation)| {
            let mut fields = Vec::new();
            if let Some(v) = start_time {
                fields.push(format!("\"start_time\":\"{v}\""));
            }
            if let Some(v) = end_time {
                fields.push(format!("\"end_time\":\"{v}\""));
            }
            if let Some(v) = start_date {
                fields.push(format!("\"start_date\":\"{v}\""));
            }
            if let Some(v) = end_date {
                fields.push(format!("\"end_date\":\"{v}\""));
            }
            for (name, value) in bounds {
                fields.push(format!("\"{name}\":{value}"));
            }
            if let Some(v) = days {
                fields.push(format!("\"day_of_week\":{v}"));
            }
            if let Some(v) = reservation {
                fields.push(format!("\"reservation\":\"{v}\""));
            }
            format!("{{{}}}", fields.join(","))
        })
}

fn element() -> impl Strategy<Value = String> {
    let kind = prop_oneof![Just("ENERGY"), Just("TIME"), Just("PARKING_TIME"), Just("FLAT")];
    let component = (kind, 0u32..100_000, prop_oneof![Just(0u64), Just(1), Just(300), Just(u64::MAX)], proptest::option::of(0u32..40))
        .prop_map(|(kind, price, step, vat)| {
            let vat = vat.map_or(String::new(), |v| format!(",\"vat\":{v}"));
            format!("{{\"type\":\"{kind}\",\"price\":{},\"step_size\":{step}{vat}}}", dec(price))
        });
    (proptest::collection::vec(component, 1..4), proptest::option::of(restrictions()))
        .prop_map(|(components, r)| match r {
            Some(r) => format!("{{\"price_components\":[{}],\"restrictions\":{r}}}", components.join(",")),
            None => format!("{{\"price_components\":[{}]}}", components.join(",")),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Structured but arbitrary tariffs and CDRs (odd restrictions, DST days, reservation time, negative or zero
    /// volumes, huge step sizes, any zone) either price or return an Error; a report always renders to JSON.
    #[test]
    fn arbitrary_tariffs_and_cdrs_never_panic(
        elements in proptest::collection::vec(element(), 0..5),
        min_max in proptest::option::of((0u32..100_000, 0u32..100_000)),
        periods in proptest::collection::vec(
            (0u32..48, prop_oneof![Just("ENERGY"), Just("TIME"), Just("PARKING_TIME"), Just("RESERVATION_TIME"), Just("MAX_POWER"), Just("CURRENT")],
             -1000i64..100_000),
            0..6),
        day in prop_oneof![Just("2024-03-31"), Just("2024-10-27"), Just("2024-05-01")],
        zone in prop_oneof![Just("Europe/Amsterdam"), Just("America/New_York"), Just("Australia/Lord_Howe"), Just("UTC")],
    ) {
        let min_max = min_max.map_or(String::new(), |(lo, hi)| format!(",\"min_price\":{{\"excl_vat\":{}}},\"max_price\":{{\"excl_vat\":{},\"incl_vat\":{}}}", dec(lo), dec(hi), dec(hi)));
        let tariff = format!("{{\"id\":\"T\",\"currency\":\"EUR\",\"elements\":[{}]{min_max}}}", elements.join(","));
        let mut sorted = periods.clone();
        sorted.sort_by_key(|p| p.0);
        let body: Vec<String> = sorted
            .iter()
            .map(|(half_hour, kind, volume)| format!(
                "{{\"start_date_time\":\"{day}T{:02}:{:02}:00Z\",\"dimensions\":[{{\"type\":\"{kind}\",\"volume\":{}}}]}}",
                half_hour / 2, (half_hour % 2) * 30, Decimal::new(*volume, 3)))
            .collect();
        let cdr = format!("{{\"start_date_time\":\"{day}T00:00:00Z\",\"end_date_time\":\"{day}T23:59:00Z\",\"currency\":\"EUR\",\"charging_periods\":[{}]}}", body.join(","));
        let options = PriceOptions { time_zone: Some(zone.parse().unwrap()), ..PriceOptions::default() };
        if let Ok(report) = price_cdr_json(cdr.as_bytes(), Some(tariff.as_bytes()), &options) {
            let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
            prop_assert!(json["total_cost"]["excl_vat"].is_number());
        }
        let _ = ocpi_engine::lint_tariff_json(tariff.as_bytes());
    }
}
