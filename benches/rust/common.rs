//! Shared bench and differential-test helpers: a seeded generator of OCPI 2.2.1 CDRs and tariffs inside the
//! semantics ocpi-engine and the reference pricer (`ocpi-tariffs` 0.6.1) share (UTC, no min/max price, no
//! reservations), and an adapter running the reference pricer.

use std::fmt::Write as _;

use rust_decimal::Decimal;

/// A small deterministic PRNG (xorshift64*): same seed, same CDRs, on every machine.
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

fn vat(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => String::new(),
        1 => ",\"vat\":0".into(),
        2 => ",\"vat\":9".into(),
        _ => ",\"vat\":21".into(),
    }
}

fn cents(rng: &mut Rng, max: u64) -> String {
    let c = rng.below(max) + 1;
    format!("{}.{:02}", c / 100, c % 100)
}

/// A 3-element tariff: a daytime element (07:00-19:00, TIME + ENERGY), a weekend element (ENERGY +
/// PARKING_TIME), and an unrestricted fallback with every dimension.
#[must_use]
pub fn tariff_json(rng: &mut Rng) -> String {
    let time_step = *rng.pick(&[1u64, 60, 300, 900]);
    let energy_step = *rng.pick(&[1u64, 100, 500, 1000]);
    let parking_step = *rng.pick(&[1u64, 60, 300, 900]);
    format!(
        concat!(
            "{{\"country_code\":\"NL\",\"party_id\":\"ENG\",\"id\":\"T{}\",\"currency\":\"EUR\",\"elements\":[",
            "{{\"price_components\":[{{\"type\":\"TIME\",\"price\":{}{},\"step_size\":{}}},{{\"type\":\"ENERGY\",\"price\":{}{},\"step_size\":{}}}],",
            "\"restrictions\":{{\"start_time\":\"07:00\",\"end_time\":\"19:00\"}}}},",
            "{{\"price_components\":[{{\"type\":\"ENERGY\",\"price\":{}{},\"step_size\":{}}},{{\"type\":\"PARKING_TIME\",\"price\":{}{},\"step_size\":{}}}],",
            "\"restrictions\":{{\"day_of_week\":[\"SATURDAY\",\"SUNDAY\"]}}}},",
            "{{\"price_components\":[{{\"type\":\"FLAT\",\"price\":{}{},\"step_size\":1}},{{\"type\":\"ENERGY\",\"price\":{}{},\"step_size\":{}}},",
            "{{\"type\":\"TIME\",\"price\":{}{},\"step_size\":{}}},{{\"type\":\"PARKING_TIME\",\"price\":{}{},\"step_size\":{}}}]}}",
            "],\"last_updated\":\"2024-01-01T00:00:00Z\"}}"
        ),
        rng.below(1000),
        cents(rng, 400), vat(rng), time_step, cents(rng, 60), vat(rng), energy_step,
        cents(rng, 60), vat(rng), energy_step, cents(rng, 500), vat(rng), parking_step,
        cents(rng, 200), vat(rng), cents(rng, 60), vat(rng), energy_step,
        cents(rng, 400), vat(rng), time_step, cents(rng, 500), vat(rng), parking_step,
    )
}

/// A CDR with `periods` charging periods (charging first, the last one or two parking) starting at a
/// random moment of 2024 (UTC), volumes with at most 4 decimals, as CDRs carry them.
#[must_use]
pub fn cdr_json(rng: &mut Rng, periods: usize, tariffs: Option<&str>) -> String {
    let day = 1 + rng.below(360);
    let start_minute = rng.below(24 * 60);
    let start = chrono::DateTime::from_timestamp(1_704_067_200 + i64::try_from(day * 86_400 + start_minute * 60).unwrap_or(0), 0)
        .unwrap_or_default();
    let mut t = start;
    let mut out = String::with_capacity(1024);
    let _ = write!(out, "{{\"id\":\"CDR{}\",\"start_date_time\":\"{}\",", rng.below(1_000_000), start.format("%Y-%m-%dT%H:%M:%SZ"));
    let mut body = String::from("\"charging_periods\":[");
    let parking_from = periods - 1 - usize::try_from(rng.below(2)).unwrap_or(0).min(periods - 1);
    for i in 0..periods {
        let minutes = 3 * (1 + rng.below(30)); // multiples of 3 min: exact hours (0.05 h)
        let hours = Decimal::from(minutes) / Decimal::from(60);
        if i > 0 {
            body.push(',');
        }
        if i >= parking_from && i > 0 {
            let _ = write!(body, "{{\"start_date_time\":\"{}\",\"dimensions\":[{{\"type\":\"PARKING_TIME\",\"volume\":{}}}]}}", t.format("%Y-%m-%dT%H:%M:%SZ"), hours.normalize());
        } else {
            let energy = Decimal::new(i64::try_from(rng.below(20_000)).unwrap_or(0), 3);
            let _ = write!(body, "{{\"start_date_time\":\"{}\",\"dimensions\":[{{\"type\":\"ENERGY\",\"volume\":{}}},{{\"type\":\"TIME\",\"volume\":{}}}]}}", t.format("%Y-%m-%dT%H:%M:%SZ"), energy.normalize(), hours.normalize());
        }
        t += chrono::Duration::minutes(i64::try_from(minutes).unwrap_or(0));
    }
    body.push(']');
    let _ = write!(
        out,
        "\"end_date_time\":\"{}\",\"currency\":\"EUR\",\"cdr_location\":{{\"country\":\"NLD\"}},\"tariffs\":[{}],{},\"total_cost\":{{\"excl_vat\":0}},\"total_energy\":0,\"total_time\":0,\"last_updated\":\"{}\"}}",
        t.format("%Y-%m-%dT%H:%M:%SZ"),
        tariffs.unwrap_or(""),
        body,
        t.format("%Y-%m-%dT%H:%M:%SZ"),
    );
    out
}

/// Totals (excl, incl) of the reference pricer, rounded to 4 decimals, in the order
/// total_cost, energy, time, parking, fixed. None when it cannot price the CDR.
#[must_use]
pub fn reference_totals(cdr: &str, tariff: &str) -> Option<[(Decimal, Decimal); 5]> {
    use ocpi_tariffs::ocpi::v221::cdr::Cdr;
    use ocpi_tariffs::ocpi::v221::tariff::OcpiTariff;
    use ocpi_tariffs::pricer::Pricer;
    let cdr: Cdr = serde_json::from_str(cdr).ok()?;
    let tariff: OcpiTariff = serde_json::from_str(tariff).ok()?;
    let report = Pricer::new(&cdr).with_tariffs([&tariff]).with_time_zone(chrono_tz_09::Tz::UTC).build_report().ok()?;
    let pair = |p: Option<ocpi_tariffs::types::money::Price>| {
        p.map_or((Decimal::ZERO, Decimal::ZERO), |p| {
            let p = p.with_scale();
            let excl: Decimal = p.excl_vat.into();
            (excl, p.incl_vat.map_or(excl, Into::into))
        })
    };
    Some([
        pair(report.total_cost),
        pair(report.total_energy_cost),
        pair(report.total_time_cost),
        pair(report.total_parking_cost),
        pair(report.total_fixed_cost),
    ])
}

/// The same totals from ocpi-engine.
#[must_use]
pub fn engine_totals(cdr: &str, tariff: &str) -> Option<[(Decimal, Decimal); 5]> {
    let options = ocpi_engine::PriceOptions { time_zone: Some(chrono_tz::Tz::UTC), ..Default::default() };
    let r = ocpi_engine::price_cdr_json(cdr.as_bytes(), Some(tariff.as_bytes()), &options).ok()?.rounded(false);
    let pair = |p: ocpi_engine::money::Price| (p.excl_vat.as_decimal(), p.incl_vat.as_decimal());
    Some([
        pair(r.total_cost),
        pair(r.total_energy_cost),
        pair(r.total_time_cost),
        pair(r.total_parking_cost),
        pair(r.total_fixed_cost),
    ])
}

/// Which restriction kinds [`varied_tariff_json`] may draw.
#[derive(Clone, Copy, Debug)]
pub struct RestrictionKinds {
    /// `start_time`/`end_time` on whole hours (one side or both, wrapping past midnight or not),
    /// `day_of_week`, `start_date`/`end_date`.
    pub calendar: bool,
    /// `min_kwh` and `min_duration`.
    pub minimums: bool,
    /// `max_kwh` and `max_duration`.
    pub maximums: bool,
}

fn varied_restrictions(rng: &mut Rng, kinds: RestrictionKinds) -> String {
    const DAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
    let mut fields = Vec::new();
    if kinds.calendar {
        if rng.below(2) == 0 {
            let start = rng.below(24);
            let end = (start + 1 + rng.below(23)) % 24;
            match rng.below(3) {
                0 => fields.push(format!("\"start_time\":\"{start:02}:00\"")),
                1 => fields.push(format!("\"end_time\":\"{end:02}:00\"")),
                _ => fields.push(format!("\"start_time\":\"{start:02}:00\",\"end_time\":\"{end:02}:00\"")),
            }
        }
        if rng.below(3) == 0 {
            let days: Vec<String> = DAYS.iter().filter(|_| rng.below(2) == 0).map(|d| format!("\"{d}\"")).collect();
            if !days.is_empty() {
                fields.push(format!("\"day_of_week\":[{}]", days.join(",")));
            }
        }
        if rng.below(5) == 0 {
            let month = 1 + rng.below(12);
            if rng.below(2) == 0 {
                fields.push(format!("\"start_date\":\"2024-{month:02}-01\""));
            } else {
                fields.push(format!("\"end_date\":\"2024-{month:02}-15\""));
            }
        }
    }
    if kinds.minimums {
        if rng.below(4) == 0 {
            fields.push(format!("\"min_kwh\":{}", rng.below(30)));
        }
        if rng.below(4) == 0 {
            fields.push(format!("\"min_duration\":{}", 900 * rng.below(12)));
        }
    }
    if kinds.maximums {
        if rng.below(4) == 0 {
            fields.push(format!("\"max_kwh\":{}", 1 + rng.below(30)));
        }
        if rng.below(4) == 0 {
            fields.push(format!("\"max_duration\":{}", 900 * (1 + rng.below(12))));
        }
    }
    if fields.is_empty() {
        String::new()
    } else {
        format!(",\"restrictions\":{{{}}}", fields.join(","))
    }
}

/// A tariff of 1 to 4 elements, each with a random non-empty set of components (random prices, VAT
/// and step sizes) and random restrictions of `kinds`; usually ends with an unrestricted fallback.
#[must_use]
pub fn varied_tariff_json(rng: &mut Rng, kinds: RestrictionKinds) -> String {
    let count = 1 + rng.below(4);
    let fallback = rng.below(10) < 7;
    let mut elements = Vec::new();
    for i in 0..count {
        let last = i + 1 == count;
        let mut components = Vec::new();
        for (dimension, max_cents, steps) in [
            ("FLAT", 300, [1u64, 1, 1, 1]),
            ("ENERGY", 80, [1, 100, 500, 1000]),
            ("TIME", 400, [1, 60, 300, 900]),
            ("PARKING_TIME", 500, [1, 60, 300, 900]),
        ] {
            if (last && fallback) || rng.below(2) == 0 {
                let price = cents(rng, max_cents);
                let vat = vat(rng);
                components.push(format!("{{\"type\":\"{dimension}\",\"price\":{price}{vat},\"step_size\":{}}}", rng.pick(&steps)));
            }
        }
        if components.is_empty() {
            components.push(format!("{{\"type\":\"ENERGY\",\"price\":{},\"step_size\":1}}", cents(rng, 80)));
        }
        let restrictions = if last && fallback { String::new() } else { varied_restrictions(rng, kinds) };
        elements.push(format!("{{\"price_components\":[{}]{restrictions}}}", components.join(",")));
    }
    format!(
        "{{\"country_code\":\"NL\",\"party_id\":\"ENG\",\"id\":\"V{}\",\"currency\":\"EUR\",\"elements\":[{}],\"last_updated\":\"2024-01-01T00:00:00Z\"}}",
        rng.below(1000),
        elements.join(","),
    )
}

/// A CDR whose charging periods are split at every whole hour, as a CPO splits them where a tariff can
/// change (cdrs.md: "during a ChargingPeriod, the tariff does not change"): `periods` pieces of 3 to 90
/// minutes, charging first and parking last, starting at a random minute of 2024 (UTC).
#[must_use]
pub fn hour_split_cdr_json(rng: &mut Rng, periods: usize) -> String {
    let day = rng.below(366);
    let start_minute = 3 * rng.below(8 * 60);
    let start = chrono::DateTime::from_timestamp(1_704_067_200 + i64::try_from(day * 86_400 + start_minute * 60).unwrap_or(0), 0)
        .unwrap_or_default();
    let parking_from = periods.saturating_sub(1 + usize::try_from(rng.below(2)).unwrap_or(0)).max(1);
    let mut t = start;
    let mut pieces = Vec::new();
    for i in 0..periods {
        let mut minutes = 3 * (1 + i64::try_from(rng.below(30)).unwrap_or(0));
        while minutes > 0 {
            let to_hour = 60 - i64::from(chrono::Timelike::minute(&t));
            let piece = minutes.min(to_hour);
            let hours = Decimal::from(piece) / Decimal::from(60);
            let at = t.format("%Y-%m-%dT%H:%M:%SZ");
            if i >= parking_from {
                pieces.push(format!("{{\"start_date_time\":\"{at}\",\"dimensions\":[{{\"type\":\"PARKING_TIME\",\"volume\":{}}}]}}", hours.round_dp(6).normalize()));
            } else {
                let energy = Decimal::new(i64::try_from(rng.below(12_000)).unwrap_or(0), 3);
                pieces.push(format!(
                    "{{\"start_date_time\":\"{at}\",\"dimensions\":[{{\"type\":\"ENERGY\",\"volume\":{}}},{{\"type\":\"TIME\",\"volume\":{}}}]}}",
                    energy.normalize(),
                    hours.round_dp(6).normalize()
                ));
            }
            t += chrono::Duration::minutes(piece);
            minutes -= piece;
        }
    }
    let end = t.format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "{{\"id\":\"CDR{}\",\"start_date_time\":\"{}\",\"end_date_time\":\"{end}\",\"currency\":\"EUR\",\"cdr_location\":{{\"country\":\"NLD\"}},\"charging_periods\":[{}],\"total_cost\":{{\"excl_vat\":0}},\"total_energy\":0,\"total_time\":0,\"last_updated\":\"{end}\"}}",
        rng.below(1_000_000),
        start.format("%Y-%m-%dT%H:%M:%SZ"),
        pieces.join(","),
    )
}

#[path = "locations_gen.rs"]
pub mod locations;
