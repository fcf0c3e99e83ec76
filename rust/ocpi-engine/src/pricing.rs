//! CDR and session pricing (tariffs.md sections 4-6, cdrs.md step_size; semantics choices in
//! `../shared/tariff-corpus/README.md`).
//!
//! Per charging period the active component of each dimension is looked up at the period's start
//! (local time of the location, energy and duration so far, current and power of the period,
//! reservation state). Volumes come from the period's CDR dimensions. step_size rounds the session
//! total of ENERGY once and of the last-priced time dimension (TIME or PARKING_TIME) once, billing the
//! extra at the last priced period's price. FLAT is billed once for the session and once for a
//! reservation. VAT is per component; min/max_price clamp `total_cost` only. Everything is exact;
//! [`PriceReport::rounded`] rounds once at output.
//!
//! Decisions where the spec leaves room (tariffs.md; corpus README rules 1-7):
//! - **No period splitting.** tariffs.md section 4 rule 5: "The element that applies can change during the
//!   session (time of day, power, current, kWh, duration); the CPO must then start a new ChargingPeriod". So a
//!   period is priced whole with the elements active at its start; `min/max_kwh` compare the session energy
//!   before the period (inclusive min, exclusive max), `min/max_duration` the seconds since `start_date_time`
//!   ("Durations are measured from the start of the session", section 3.4 notes). When such a bound lies
//!   strictly inside a period the report carries a `restriction_boundary_inside_period` warning instead of
//!   inventing a split the CDR does not describe; the same warning flags a `start_time` / `end_time`, a
//!   `start_date` / `end_date` midnight or a `day_of_week` change inside a period (local wall clock).
//! - Time windows: `start_time` inclusive, `end_time` exclusive, `end_time < start_time` wraps past midnight,
//!   equal never matches (corpus rule 3); dates: `start_date` inclusive, `end_date` exclusive (section 3.4).
//!   Local time is the zone's wall clock at the period start, so DST days need no special case.
//! - current / power: a period's `CURRENT` (else `MAX_CURRENT`, else `MIN_CURRENT`) and `POWER` (else max/min,
//!   else its energy over its charging time); an element restricted on a quantity the CDR does not report never
//!   matches.
//! - Tariff choice: a period's `tariff_id` when it names a given tariff, else the first tariff whose
//!   `[start_date_time, end_date_time)` contains the session start. `type` (AD_HOC_PAYMENT, PROFILE_*) is not
//!   used: the CDR does not say which profile applied.
//! - Reservation: periods with `RESERVATION_TIME` are the reservation; it expired when the session has no
//!   ENERGY/TIME/PARKING_TIME volume at all (then RESERVATION_EXPIRES wins for TIME, section 3.6).
//! - `incl_vat` of a component without `vat` equals `excl_vat` ("no VAT applicable", not unknown).
//! - `total_time` is `end_date_time - start_date_time` (cdrs.md), also when periods start before
//!   `start_date_time` (then a `periods_outside_start_end_date_time` warning).

use std::fmt::Write as _;

use chrono::TimeZone as _;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::error::Error;
use crate::money::{add, div, mul, Hours, Kwh, Money, Price, CURRENCY_DECIMALS, OUTPUT_DECIMALS};
use crate::ocpi::v211::cdr::Cdr211;
use crate::ocpi::v221::cdr::{Cdr, CdrDimensionType, ChargingPeriod};
use crate::ocpi::v221::tariff::{Tariff as WireTariff, TariffDimensionType};
use crate::ocpi::OcpiDateTime;
use crate::tariff::{Moment, ReservationState, Tariff};
use crate::timezone::{parse_zone, single_zone_of_country};

/// OCPI version of an input document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcpiVersion {
    V211,
    V221,
}

/// How to price.
#[derive(Debug, Clone, Default)]
pub struct PriceOptions {
    /// Evaluate restrictions in this zone (else the CDR location's `time_zone`, else the country's
    /// single zone, else UTC with a warning).
    pub time_zone: Option<Tz>,
    /// Round the output to 2 decimals (cents) instead of OCPI's 4. The pricing functions always return exact
    /// values; callers apply it once at output with `report.rounded(options.currency_rounding)` (the bindings
    /// and the batch repricer do).
    pub currency_rounding: bool,
    /// Force the input version (else detected: 2.1.1 CDRs have `stop_date_time`).
    pub version: Option<OcpiVersion>,
    /// Leave `PriceReport::periods` empty (batch repricing without a breakdown skips building it).
    pub skip_breakdown: bool,
}

/// Which volume of a period a line prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Energy,
    Time,
    ParkingTime,
    ReservationTime,
    Flat,
    ReservationFlat,
}

impl Dimension {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Energy => "ENERGY",
            Dimension::Time => "TIME",
            Dimension::ParkingTime => "PARKING_TIME",
            Dimension::ReservationTime => "RESERVATION_TIME",
            Dimension::Flat => "FLAT",
            Dimension::ReservationFlat => "RESERVATION_FLAT",
        }
    }
}

/// One priced volume: which tariff element priced which volume at which price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodReport {
    /// Index of the charging period in the CDR.
    pub period: usize,
    pub start_date_time: OcpiDateTime,
    pub dimension: Dimension,
    pub tariff_id: String,
    /// Index of the tariff element in `elements`.
    pub element: usize,
    /// Volume in the dimension's unit (kWh, hours; 1 for flat fees), including any step_size extra.
    pub volume: Decimal,
    /// Volume added by step_size rounding (already in `volume`).
    pub step_extra: Decimal,
    /// Price per unit excluding VAT.
    pub price: Decimal,
    pub vat: Option<Decimal>,
    pub step_size: u64,
    pub cost: Price,
}

/// Something the caller should know: a fallback taken, an input oddity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// Totals of a priced CDR or running session, in OCPI CDR field names, plus the breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceReport {
    pub currency: String,
    /// IANA name of the zone restrictions were evaluated in.
    pub time_zone: &'static str,
    pub total_cost: Price,
    pub total_fixed_cost: Price,
    pub total_energy: Kwh,
    pub total_energy_cost: Price,
    pub total_time: Hours,
    pub total_time_cost: Price,
    pub total_parking_time: Hours,
    pub total_parking_cost: Price,
    pub total_reservation_cost: Price,
    pub periods: Vec<PeriodReport>,
    pub warnings: Vec<Warning>,
}

/// Price a CDR given as JSON bytes (2.2.1 or 2.1.1), with `tariffs_json` (one Tariff or an array) or,
/// when None, the CDR's own `tariffs`.
///
/// # Errors
/// [`Error::Json`] when the CDR or the tariffs do not decode (the message names the field and position),
/// [`Error::InvalidInput`] for an unusable value (e.g. `elements[0].restrictions.start_time` not `HH:MM`),
/// [`Error::NoValidTariff`] when no tariff is valid at `start_date_time`, [`Error::CurrencyMismatch`],
/// [`Error::UnknownTimeZone`] for a location `time_zone` that is not IANA, [`Error::Overflow`] for absurd numbers.
pub fn price_cdr_json(cdr_json: &[u8], tariffs_json: Option<&[u8]>, options: &PriceOptions) -> Result<PriceReport, Error> {
    let cdr = parse_cdr(cdr_json, options.version)?;
    let tariffs = match tariffs_json {
        Some(bytes) => parse_tariffs(bytes)?,
        None => Vec::new(),
    };
    price_cdr(&cdr, if tariffs_json.is_some() { Some(&tariffs) } else { None }, options)
}

/// Price a session that is still running: its charging periods so far, up to its `last_updated`
/// (or `end_date_time` when set). Accepts a 2.2.1 Session (or a CDR-shaped object) and a 2.1.1 Session
/// (`start_datetime` / `end_datetime`, sessions.md "field-name trap"; its embedded `location` supplies the
/// time zone or country when `options.time_zone` is None). A 2.2.1 Session only references its Location, so
/// pass `options.time_zone` for it (else UTC with a warning).
///
/// # Errors
/// As [`price_cdr_json`], plus [`Error::InvalidInput`] when the session has neither `last_updated` nor
/// `end_date_time`.
pub fn price_session_json(session_json: &[u8], tariffs_json: &[u8], options: &PriceOptions) -> Result<PriceReport, Error> {
    #[derive(serde::Deserialize)]
    struct Session<'a> {
        #[serde(alias = "start_datetime")]
        start_date_time: OcpiDateTime,
        #[serde(default, alias = "end_datetime")]
        end_date_time: Option<OcpiDateTime>,
        #[serde(default, borrow, alias = "cdr_location")]
        location: Option<crate::ocpi::v211::cdr::Location<'a>>,
        #[serde(default)]
        last_updated: Option<OcpiDateTime>,
        #[serde(borrow)]
        currency: std::borrow::Cow<'a, str>,
        #[serde(default)]
        #[serde(borrow)]
        charging_periods: Vec<ChargingPeriod<'a>>,
    }
    let session: Session = decode(session_json).map_err(|e| Error::from_json(&e, "session"))?;
    let end = session
        .end_date_time
        .or(session.last_updated)
        .ok_or_else(|| Error::invalid("session.last_updated", "a running session needs last_updated (or end_date_time)"))?;
    let cdr = Cdr {
        id: None,
        start_date_time: session.start_date_time,
        end_date_time: end,
        currency: session.currency,
        tariffs: Vec::new(),
        cdr_location: session
            .location
            .map(|l| crate::ocpi::v221::cdr::CdrLocation { country: l.country, time_zone: l.time_zone }),
        charging_periods: session.charging_periods,
        total_cost: None,
        total_fixed_cost: None,
        total_energy: None,
        total_energy_cost: None,
        total_time: None,
        total_time_cost: None,
        total_parking_time: None,
        total_parking_cost: None,
        total_reservation_cost: None,
    };
    let tariffs = parse_tariffs(tariffs_json)?;
    price_cdr(&cdr, Some(&tariffs), options)
}

/// `serde_json` over bytes, validating UTF-8 once for the whole document (then strings need no per-string check);
/// invalid UTF-8 falls back to the byte reader, which reports where.
fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// Decode a CDR of either version into the 2.2.1 shape.
pub fn parse_cdr(cdr_json: &[u8], version: Option<OcpiVersion>) -> Result<Cdr<'_>, Error> {
    let v211 = |bytes| decode::<Cdr211<'_>>(bytes).map(Cdr::from).map_err(|e| Error::from_json(&e, "cdr"));
    match version {
        Some(OcpiVersion::V211) => v211(cdr_json),
        Some(OcpiVersion::V221) => decode::<Cdr<'_>>(cdr_json).map_err(|e| Error::from_json(&e, "cdr")),
        // Detect without scanning every input first: only a document that fails to decode as 2.2.1 is searched
        // for 2.1.1's `stop_date_time` (2.2.1 says `end_date_time`) and decoded as 2.1.1.
        None => match decode::<Cdr<'_>>(cdr_json) {
            Ok(cdr) => Ok(cdr),
            Err(_) if memmem(cdr_json, b"\"stop_date_time\"") => v211(cdr_json),
            Err(e) => Err(Error::from_json(&e, "cdr")),
        },
    }
}

/// Decode one Tariff or a JSON array of Tariffs (2.2.1 or 2.1.1).
pub fn parse_tariffs(bytes: &[u8]) -> Result<Vec<WireTariff<'_>>, Error> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        decode(bytes).map_err(|e| Error::from_json(&e, "tariffs"))
    } else {
        decode::<WireTariff<'_>>(bytes).map(|t| vec![t]).map_err(|e| Error::from_json(&e, "tariff"))
    }
}

fn memmem(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn seconds_between(from: OcpiDateTime, to: OcpiDateTime) -> Decimal {
    let millis = (to.0 - from.0).num_milliseconds();
    Decimal::new(millis, 3)
}

const SECONDS_PER_HOUR: Decimal = Decimal::from_parts(3600, 0, 0, false, 0);
const WH_PER_KWH: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

struct Volumes {
    energy: Decimal,
    time: Decimal,
    parking: Decimal,
    reservation: Decimal,
    current: Option<Decimal>,
    power: Option<Decimal>,
}

fn volumes(period: &ChargingPeriod<'_>) -> Result<Volumes, Error> {
    let mut v = Volumes {
        energy: Decimal::ZERO,
        time: Decimal::ZERO,
        parking: Decimal::ZERO,
        reservation: Decimal::ZERO,
        current: None,
        power: None,
    };
    let (mut cur, mut min_cur, mut max_cur, mut pow, mut min_pow, mut max_pow) = (None, None, None, None, None, None);
    for d in &period.dimensions {
        match d.dimension {
            CdrDimensionType::Energy => v.energy = add(v.energy, d.volume, "energy")?,
            CdrDimensionType::Time => v.time = add(v.time, d.volume, "time")?,
            CdrDimensionType::ParkingTime => v.parking = add(v.parking, d.volume, "parking time")?,
            CdrDimensionType::ReservationTime => v.reservation = add(v.reservation, d.volume, "reservation time")?,
            CdrDimensionType::Current => cur = Some(d.volume),
            CdrDimensionType::MinCurrent => min_cur = Some(d.volume),
            CdrDimensionType::MaxCurrent => max_cur = Some(d.volume),
            CdrDimensionType::Power => pow = Some(d.volume),
            CdrDimensionType::MinPower => min_pow = Some(d.volume),
            CdrDimensionType::MaxPower => max_pow = Some(d.volume),
            _ => {}
        }
    }
    v.current = cur.or(max_cur).or(min_cur);
    // Without a power dimension, the average power of the period: energy over charging time.
    v.power = pow.or(max_pow).or(min_pow).or_else(|| {
        (v.energy > Decimal::ZERO && v.time > Decimal::ZERO).then(|| v.energy.checked_div(v.time)).flatten()
    });
    Ok(v)
}

/// The zone restrictions are evaluated in, with a warning when it had to fall back.
fn session_zone(cdr: &Cdr<'_>, options: &PriceOptions, warnings: &mut Vec<Warning>) -> Result<Tz, Error> {
    if let Some(zone) = options.time_zone {
        return Ok(zone);
    }
    let location = cdr.cdr_location.as_ref();
    if let Some(name) = location.and_then(|l| l.time_zone.as_deref()) {
        return parse_zone(name);
    }
    if let Some(zone) = location.and_then(|l| l.country.as_deref()).and_then(single_zone_of_country) {
        warnings.push(Warning {
            code: "time_zone_from_country",
            message: format!("no time zone given: using {zone}, the only zone of the location's country"),
        });
        return Ok(zone);
    }
    warnings.push(Warning {
        code: "time_zone_utc",
        message: "no time zone given and none derivable from the country: restrictions evaluated in UTC".into(),
    });
    Ok(Tz::UTC)
}

struct Line {
    period: usize,
    tariff: usize,
    element: usize,
    dimension: Dimension,
    volume: Decimal,
    step_extra: Decimal,
    price: Decimal,
    vat: Option<Decimal>,
    vat_factor: Option<Decimal>,
    step_size: u64,
}

/// Normalise wire tariffs once (e.g. for a batch); `path` names them in errors.
pub fn normalize_tariffs(wire: &[WireTariff<'_>], path: &str) -> Result<Vec<Tariff>, Error> {
    wire.iter().enumerate().map(|(i, t)| Tariff::from_wire(t, &|| format!("{path}[{i}]"))).collect()
}

/// Price a decoded CDR. `tariffs`: explicit tariffs, or None for the CDR's own.
pub fn price_cdr(cdr: &Cdr<'_>, tariffs: Option<&[WireTariff<'_>]>, options: &PriceOptions) -> Result<PriceReport, Error> {
    let normalized = match tariffs {
        Some(t) => normalize_tariffs(t, "tariffs")?,
        None => normalize_tariffs(&cdr.tariffs, "cdr.tariffs")?,
    };
    price_normalized(cdr, &normalized, options)
}

/// Price a decoded CDR with already normalised tariffs.
pub fn price_normalized(cdr: &Cdr<'_>, normalized: &[Tariff], options: &PriceOptions) -> Result<PriceReport, Error> {
    let mut warnings = Vec::new();
    let zone = session_zone(cdr, options, &mut warnings)?;
    if normalized.is_empty() {
        return Err(Error::NoValidTariff { start: cdr.start_date_time.0 });
    }
    for t in normalized {
        if !t.currency.eq_ignore_ascii_case(&cdr.currency) {
            return Err(Error::CurrencyMismatch { cdr: cdr.currency.to_string(), tariff: t.currency.clone(), tariff_id: t.id.clone() });
        }
    }
    let start = cdr.start_date_time;
    let session_tariff = normalized.iter().position(|t| t.is_valid_at(start)).ok_or_else(|| Error::NoValidTariff { start: start.0 })?;

    let charged = cdr.charging_periods.iter().any(|p| {
        p.dimensions.iter().any(|d| {
            matches!(d.dimension, CdrDimensionType::Energy | CdrDimensionType::Time | CdrDimensionType::ParkingTime)
                && d.volume > Decimal::ZERO
        })
    });

    let mut lines: Vec<Line> = Vec::with_capacity(cdr.charging_periods.len() * 2);
    let mut energy_so_far = Decimal::ZERO;
    let mut total_energy = Decimal::ZERO;
    let mut total_parking = Decimal::ZERO;
    let mut session_flat = false;
    let mut reservation_flat = false;
    let (mut warned_outside, mut warned_boundary) = (false, false);
    let mut next_local = None;
    for (index, period) in cdr.charging_periods.iter().enumerate() {
        let v = volumes(period)?;
        if !warned_outside && (period.start_date_time < start || period.start_date_time > cdr.end_date_time) {
            warned_outside = true;
            warnings.push(Warning {
                code: "periods_outside_start_end_date_time",
                message: format!(
                    "charging_periods[{index}] starts at {} outside the session's start_date_time..end_date_time; \
                     priced as given, with session durations measured from start_date_time",
                    period.start_date_time
                ),
            });
        }
        let tariff_index = period
            .tariff_id
            .as_deref()
            .and_then(|id| normalized.iter().position(|t| t.id.eq_ignore_ascii_case(id)))
            .unwrap_or(session_tariff);
        let tariff = &normalized[tariff_index];
        // The local end of the previous period is this period's local start: convert each instant once.
        let local_start = match next_local.take() {
            Some(local) => local,
            None => zone.from_utc_datetime(&period.start_date_time.0.naive_utc()).naive_local(),
        };
        if !warned_boundary && (tariff.has_cumulative_restrictions || tariff.has_calendar_restrictions) {
            let period_end = cdr.charging_periods.get(index + 1).map_or(cdr.end_date_time, |p| p.start_date_time);
            let mut crossed = None;
            if tariff.has_cumulative_restrictions {
                let energy = (energy_so_far, add(energy_so_far, v.energy, "energy")?);
                let duration = (seconds_between(start, period.start_date_time), seconds_between(start, period_end));
                crossed = tariff
                    .cumulative_boundary_inside(energy, duration)
                    .map(|(element, field, bound)| (element, format!("{field} {bound}")));
            }
            if crossed.is_none() && tariff.has_calendar_restrictions {
                let local_end = zone.from_utc_datetime(&period_end.0.naive_utc()).naive_local();
                next_local = Some(local_end);
                crossed = tariff.time_boundary_inside(local_start, local_end).map(|(element, field)| (element, field.to_string()));
            }
            if let Some((element, what)) = crossed {
                warned_boundary = true;
                warnings.push(Warning {
                    code: "restriction_boundary_inside_period",
                    message: format!(
                        "charging_periods[{index}] crosses {what} of tariff {} element {element}; \
                         the whole period is priced with the elements active at its start (the CPO should split it)",
                        tariff.id
                    ),
                });
            }
        }
        let reserving = v.reservation > Decimal::ZERO;
        let moment = Moment {
            local: local_start,
            energy_so_far,
            duration_so_far: seconds_between(start, period.start_date_time),
            current: v.current,
            power: v.power,
            reservation: match (reserving, charged) {
                (false, _) => ReservationState::None,
                (true, true) => ReservationState::Reserved,
                (true, false) => ReservationState::Expired,
            },
        };
        let mut push = |dimension: Dimension, wire_dim: TariffDimensionType, volume: Decimal| {
            if let Some((element, component)) = tariff.active(wire_dim, &moment) {
                lines.push(Line {
                    period: index,
                    tariff: tariff_index,
                    element,
                    dimension,
                    volume,
                    step_extra: Decimal::ZERO,
                    price: component.price,
                    vat: component.vat,
                    vat_factor: component.vat_factor,
                    step_size: component.step_size,
                });
                true
            } else {
                false
            }
        };
        if reserving {
            push(Dimension::ReservationTime, TariffDimensionType::Time, v.reservation);
            if !reservation_flat {
                reservation_flat = push(Dimension::ReservationFlat, TariffDimensionType::Flat, Decimal::ONE);
            }
        } else if !session_flat {
            session_flat = push(Dimension::Flat, TariffDimensionType::Flat, Decimal::ONE);
        }
        if v.energy > Decimal::ZERO {
            push(Dimension::Energy, TariffDimensionType::Energy, v.energy);
        }
        if v.time > Decimal::ZERO {
            push(Dimension::Time, TariffDimensionType::Time, v.time);
        }
        if v.parking > Decimal::ZERO {
            push(Dimension::ParkingTime, TariffDimensionType::ParkingTime, v.parking);
        }
        energy_so_far = add(energy_so_far, v.energy, "energy")?;
        total_energy = energy_so_far;
        total_parking = add(total_parking, v.parking, "parking time")?;
    }
    if cdr.charging_periods.is_empty() {
        // A session without periods still pays its start fee.
        let moment = Moment {
            local: zone.from_utc_datetime(&start.0.naive_utc()).naive_local(),
            energy_so_far: Decimal::ZERO,
            duration_so_far: Decimal::ZERO,
            current: None,
            power: None,
            reservation: ReservationState::None,
        };
        if let Some((element, c)) = normalized[session_tariff].active(TariffDimensionType::Flat, &moment) {
            lines.push(Line {
                period: 0, tariff: session_tariff, element, dimension: Dimension::Flat, volume: Decimal::ONE,
                step_extra: Decimal::ZERO, price: c.price, vat: c.vat, vat_factor: c.vat_factor, step_size: c.step_size,
            });
        }
    }

    apply_step(&mut lines, &[Dimension::Energy], WH_PER_KWH)?;
    apply_time_step(&mut lines)?;
    apply_step(&mut lines, &[Dimension::ReservationTime], SECONDS_PER_HOUR)?;

    let mut report = PriceReport {
        currency: cdr.currency.to_string(),
        time_zone: zone.name(),
        total_cost: Price::ZERO,
        total_fixed_cost: Price::ZERO,
        total_energy: Kwh::new(total_energy),
        total_energy_cost: Price::ZERO,
        total_time: Hours::new(div(seconds_between(start, cdr.end_date_time), SECONDS_PER_HOUR, "total_time")?),
        total_time_cost: Price::ZERO,
        total_parking_time: Hours::new(total_parking),
        total_parking_cost: Price::ZERO,
        total_reservation_cost: Price::ZERO,
        periods: Vec::with_capacity(lines.len()),
        warnings,
    };
    for line in lines {
        let excl = mul(line.volume, line.price, "cost")?;
        let incl = match line.vat_factor {
            Some(factor) => mul(excl, factor, "cost incl. VAT")?,
            None => excl,
        };
        let cost = Price { excl_vat: Money::new(excl), incl_vat: Money::new(incl) };
        let bucket = match line.dimension {
            Dimension::Energy => &mut report.total_energy_cost,
            Dimension::Time => &mut report.total_time_cost,
            Dimension::ParkingTime => &mut report.total_parking_cost,
            Dimension::ReservationTime | Dimension::ReservationFlat => &mut report.total_reservation_cost,
            Dimension::Flat => &mut report.total_fixed_cost,
        };
        *bucket = bucket.checked_add(cost)?;
        report.total_cost = report.total_cost.checked_add(cost)?;
        if options.skip_breakdown {
            continue;
        }
        let cdr_period = cdr.charging_periods.get(line.period);
        report.periods.push(PeriodReport {
            period: line.period,
            start_date_time: cdr_period.map_or(start, |p| p.start_date_time),
            dimension: line.dimension,
            tariff_id: normalized[line.tariff].id.clone(),
            element: line.element,
            volume: line.volume,
            step_extra: line.step_extra,
            price: line.price,
            vat: line.vat,
            step_size: line.step_size,
            cost,
        });
    }
    clamp(&mut report, &normalized[session_tariff]);
    Ok(report)
}

/// Round the session total of one dimension (group) up to the step of its last priced line; bill the
/// extra on that line. `unit` converts the step (Wh or s) into the volume unit (kWh or h).
fn apply_step(lines: &mut [Line], dims: &[Dimension], unit: Decimal) -> Result<(), Error> {
    let Some(last) = lines.iter().rposition(|l| dims.contains(&l.dimension)) else { return Ok(()) };
    let dim = lines[last].dimension;
    round_total(lines, dim, last, unit)
}

/// TIME and PARKING_TIME share one rounding: only the dimension of the last priced time-based line.
fn apply_time_step(lines: &mut [Line]) -> Result<(), Error> {
    let Some(last) = lines.iter().rposition(|l| matches!(l.dimension, Dimension::Time | Dimension::ParkingTime)) else {
        return Ok(());
    };
    let dim = lines[last].dimension;
    round_total(lines, dim, last, SECONDS_PER_HOUR)
}

fn round_total(lines: &mut [Line], dim: Dimension, last: usize, unit: Decimal) -> Result<(), Error> {
    let step_size = lines[last].step_size;
    if step_size == 0 {
        return Ok(()); // 0 (e.g. the spec's free-of-charge tariff): no rounding
    }
    // Work in the step's own unit (Wh, s): multiplying by 1000 or 3600 is exact, dividing by them is not.
    let step = Decimal::from(step_size);
    let total = lines.iter().filter(|l| l.dimension == dim).try_fold(Decimal::ZERO, |acc, l| add(acc, l.volume, "volume"))?;
    let total_units = mul(total, unit, "step_size")?;
    let rounded_units = mul(div(total_units, step, "step_size")?.ceil(), step, "step_size")?;
    let extra = div(rounded_units.checked_sub(total_units).ok_or(Error::Overflow("step_size"))?, unit, "step_size")?;
    if extra > Decimal::ZERO {
        lines[last].volume = add(lines[last].volume, extra, "volume")?;
        lines[last].step_extra = extra;
    }
    Ok(())
}

/// min_price / max_price clamp `total_cost`, excl and incl independently (tariffs.md section 6).
fn clamp(report: &mut PriceReport, tariff: &Tariff) {
    let total = &mut report.total_cost;
    if let Some(min) = tariff.min_price {
        if total.excl_vat.0 < min.excl_vat {
            total.excl_vat = Money::new(min.excl_vat);
        }
        if let Some(incl) = min.incl_vat {
            if total.incl_vat.0 < incl {
                total.incl_vat = Money::new(incl);
            }
        }
    }
    if let Some(max) = tariff.max_price {
        if total.excl_vat.0 > max.excl_vat {
            total.excl_vat = Money::new(max.excl_vat);
        }
        if let Some(incl) = max.incl_vat {
            if total.incl_vat.0 > incl {
                total.incl_vat = Money::new(incl);
            }
        }
    }
}

impl PriceReport {
    /// A copy rounded once for output: 4 decimals (OCPI) or, with `currency`, 2 decimals.
    #[must_use]
    pub fn rounded(&self, currency: bool) -> PriceReport {
        let mut out = self.clone();
        out.round_in_place(currency);
        out
    }

    /// Round this report in place (see [`Self::rounded`]).
    pub fn round_in_place(&mut self, currency: bool) {
        let dp = if currency { CURRENCY_DECIMALS } else { OUTPUT_DECIMALS };
        let out = self;
        for price in [
            &mut out.total_cost,
            &mut out.total_fixed_cost,
            &mut out.total_energy_cost,
            &mut out.total_time_cost,
            &mut out.total_parking_cost,
            &mut out.total_reservation_cost,
        ] {
            *price = price.round_dp(dp);
        }
        out.total_energy = out.total_energy.round_dp(OUTPUT_DECIMALS);
        out.total_time = out.total_time.round_dp(OUTPUT_DECIMALS);
        out.total_parking_time = out.total_parking_time.round_dp(OUTPUT_DECIMALS);
        for p in &mut out.periods {
            p.cost = p.cost.round_dp(dp);
        }
    }

    /// The report as JSON in OCPI CDR field names (numbers, rounded to 4 decimals), plus `periods`
    /// (the breakdown) and `warnings`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(640 + self.periods.len() * 220);
        self.write_json(&mut out, true);
        out
    }

    /// Append the JSON object to `out`; without `periods` when `breakdown` is false (batch output).
    pub fn write_json(&self, out: &mut String, breakdown: bool) {
        self.rounded(false).write_rounded_json(out, breakdown);
    }

    /// [`Self::write_json`] for a report that is already [`Self::rounded`].
    pub fn write_rounded_json(&self, out: &mut String, breakdown: bool) {
        let r = self;
        out.push_str("{\"currency\":");
        push_json_str(out, &r.currency);
        out.push_str(",\"time_zone\":");
        push_json_str(out, r.time_zone);
        for (name, price) in [
            ("total_cost", &r.total_cost),
            ("total_fixed_cost", &r.total_fixed_cost),
            ("total_energy_cost", &r.total_energy_cost),
            ("total_time_cost", &r.total_time_cost),
            ("total_parking_cost", &r.total_parking_cost),
            ("total_reservation_cost", &r.total_reservation_cost),
        ] {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            push_price(out, price);
        }
        out.push_str(",\"total_energy\":");
        push_decimal(out, r.total_energy.0);
        out.push_str(",\"total_time\":");
        push_decimal(out, r.total_time.0);
        out.push_str(",\"total_parking_time\":");
        push_decimal(out, r.total_parking_time.0);
        if breakdown {
            out.push_str(",\"periods\":[");
            for (i, p) in r.periods.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{{\"period\":{},\"start_date_time\":\"{}\",\"dimension\":\"{}\",\"tariff_id\":", p.period, p.start_date_time, p.dimension.as_str());
                push_json_str(out, &p.tariff_id);
                let _ = write!(out, ",\"element\":{},\"volume\":", p.element);
                push_decimal(out, p.volume);
                out.push_str(",\"step_extra\":");
                push_decimal(out, p.step_extra);
                out.push_str(",\"price\":");
                push_decimal(out, p.price);
                out.push_str(",\"vat\":");
                match p.vat {
                    Some(v) => push_decimal(out, v),
                    None => out.push_str("null"),
                }
                let _ = write!(out, ",\"step_size\":{},\"cost\":", p.step_size);
                push_price(out, &p.cost);
                out.push('}');
            }
            out.push(']');
        }
        out.push_str(",\"warnings\":[");
        for (i, w) in r.warnings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"code\":\"{}\",\"message\":", w.code);
            push_json_str(out, &w.message);
            out.push('}');
        }
        out.push_str("]}");
    }
}

fn push_price(out: &mut String, p: &Price) {
    out.push_str("{\"excl_vat\":");
    push_decimal(out, p.excl_vat.0);
    out.push_str(",\"incl_vat\":");
    push_decimal(out, p.incl_vat.0);
    out.push('}');
}

/// Append a Decimal as a plain JSON number without trailing zeros (no exponent), without going through
/// `Display` (a hot path of batch output).
pub fn push_decimal(out: &mut String, value: Decimal) {
    let value = value.normalize();
    let mantissa = value.mantissa();
    let scale = value.scale() as usize;
    if mantissa < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 40];
    let mut n = mantissa.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if len <= scale {
        out.push_str("0.");
        for _ in 0..scale - len {
            out.push('0');
        }
        for i in (0..len).rev() {
            out.push(char::from(digits[i]));
        }
        return;
    }
    for i in (0..len).rev() {
        out.push(char::from(digits[i]));
        if i == scale && scale > 0 {
            out.push('.');
        }
    }
}

fn push_json_str(out: &mut String, value: &str) {
    if value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        out.push_str(&json_str(value));
    }
}

fn json_str(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::{price_cdr_json, PriceOptions};

    const TARIFF: &str = r#"{"id":"T","currency":"EUR","elements":[
        {"price_components":[{"type":"ENERGY","price":0.1,"step_size":1}],"restrictions":{"max_kwh":5}},
        {"price_components":[{"type":"ENERGY","price":0.2,"step_size":1}]}]}"#;

    fn cdr(first_start: &str, volumes: [&str; 2]) -> String {
        format!(
            r#"{{"start_date_time":"2024-05-01T10:00:00Z","end_date_time":"2024-05-01T12:00:00Z","currency":"EUR",
            "charging_periods":[{{"start_date_time":"{first_start}","dimensions":[{{"type":"ENERGY","volume":{}}}]}},
            {{"start_date_time":"2024-05-01T11:00:00Z","dimensions":[{{"type":"ENERGY","volume":{}}}]}}]}}"#,
            volumes[0], volumes[1]
        )
    }

    fn codes(report: &super::PriceReport) -> Vec<&'static str> {
        report.warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn json_numbers_are_exact() {
        // 0.1 kWh at 0.1 + 0.2 kWh at 0.1 (both below max_kwh 5): 0.03 exactly, 0.3 kWh exactly.
        let report = price_cdr_json(cdr("2024-05-01T10:00:00Z", ["0.1", "0.2"]).as_bytes(), Some(TARIFF.as_bytes()), &PriceOptions::default()).unwrap();
        assert_eq!(report.total_energy.as_decimal(), Decimal::new(3, 1));
        assert_eq!(report.total_cost.excl_vat.as_decimal(), Decimal::new(3, 2));
        assert_eq!(codes(&report), ["time_zone_utc"]);
    }

    #[test]
    fn a_kwh_bound_inside_a_period_is_priced_at_its_start_and_warned() {
        // 4 kWh (< 5: 0.1/kWh) then 3 kWh from 4 kWh (still < 5 at the start: 0.1/kWh, crosses 5 inside).
        let report = price_cdr_json(cdr("2024-05-01T10:00:00Z", ["4", "3"]).as_bytes(), Some(TARIFF.as_bytes()), &PriceOptions::default()).unwrap();
        assert_eq!(report.total_cost.excl_vat.as_decimal(), Decimal::new(7, 1));
        assert_eq!(codes(&report), ["time_zone_utc", "restriction_boundary_inside_period"]);
        assert!(report.warnings[1].message.contains("charging_periods[1] crosses max_kwh 5"), "{:?}", report.warnings);
        // 5 kWh then 3: the second period starts at the bound, so it is priced at 0.2 with no warning.
        let report = price_cdr_json(cdr("2024-05-01T10:00:00Z", ["5", "3"]).as_bytes(), Some(TARIFF.as_bytes()), &PriceOptions::default()).unwrap();
        assert_eq!(report.total_cost.excl_vat.as_decimal(), Decimal::new(11, 1));
        assert_eq!(codes(&report), ["time_zone_utc"]);
    }

    #[test]
    fn a_time_window_boundary_inside_a_period_is_warned() {
        let tariff = r#"{"id":"T","currency":"EUR","elements":[
            {"price_components":[{"type":"TIME","price":2,"step_size":1}],"restrictions":{"start_time":"17:00","end_time":"20:00"}},
            {"price_components":[{"type":"TIME","price":1,"step_size":1}],"restrictions":{"day_of_week":["SATURDAY"]}},
            {"price_components":[{"type":"TIME","price":3,"step_size":1}]}]}"#;
        let cdr = |start: &str, end: &str| {
            format!(
                r#"{{"start_date_time":"{start}","end_date_time":"{end}","currency":"EUR","charging_periods":[
                {{"start_date_time":"{start}","dimensions":[{{"type":"TIME","volume":1}}]}}]}}"#
            )
        };
        let warned = |start: &str, end: &str| {
            let report = price_cdr_json(cdr(start, end).as_bytes(), Some(tariff.as_bytes()), &PriceOptions::default()).unwrap();
            report.warnings.iter().find(|w| w.code == "restriction_boundary_inside_period").map(|w| w.message.clone())
        };
        // Wednesday 16:30-17:30 crosses 17:00; 17:00-18:00 starts on it; 10:00-11:00 crosses nothing.
        assert!(warned("2024-05-01T16:30:00Z", "2024-05-01T17:30:00Z").is_some_and(|m| m.contains("start_time of tariff T element 0")));
        assert_eq!(warned("2024-05-01T17:00:00Z", "2024-05-01T18:00:00Z"), None);
        assert_eq!(warned("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"), None);
        // Friday 23:30 to Saturday 00:30 crosses into Saturday; Thursday to Friday does not change membership.
        assert!(warned("2024-05-03T23:30:00Z", "2024-05-04T00:30:00Z").is_some_and(|m| m.contains("day_of_week")));
        assert_eq!(warned("2024-05-02T23:30:00Z", "2024-05-03T00:30:00Z"), None);
    }

    #[test]
    fn periods_before_the_session_start_are_warned() {
        let report = price_cdr_json(cdr("2024-05-01T09:40:00Z", ["1", "1"]).as_bytes(), Some(TARIFF.as_bytes()), &PriceOptions::default()).unwrap();
        assert_eq!(codes(&report), ["time_zone_utc", "periods_outside_start_end_date_time"]);
        assert_eq!(report.total_time.as_decimal(), Decimal::TWO);
    }

    #[test]
    fn a_running_211_session_is_priced_in_its_location_zone() {
        // 2.1.1 Session: start_datetime, embedded location. 21:30 UTC is 23:30 in Amsterdam (CEST): night rate.
        let tariff = r#"{"id":"T","currency":"EUR","elements":[
            {"price_components":[{"type":"TIME","price":1,"step_size":1}],"restrictions":{"start_time":"23:00","end_time":"07:00"}},
            {"price_components":[{"type":"TIME","price":3,"step_size":1}]}]}"#;
        let session = r#"{"id":"S","start_datetime":"2024-05-01T21:30:00Z","kwh":3,"auth_id":"A","auth_method":"WHITELIST",
            "location":{"id":"L","country":"NLD","time_zone":"Europe/Amsterdam"},"currency":"EUR","status":"ACTIVE",
            "charging_periods":[{"start_date_time":"2024-05-01T21:30:00Z","dimensions":[{"type":"TIME","volume":0.5}]}],
            "last_updated":"2024-05-01T22:00:00Z"}"#;
        let report = super::price_session_json(session.as_bytes(), tariff.as_bytes(), &PriceOptions::default()).unwrap();
        assert_eq!(report.time_zone, "Europe/Amsterdam");
        assert_eq!(report.total_cost.excl_vat.as_decimal(), Decimal::new(5, 1));
        assert_eq!(report.total_time.as_decimal(), Decimal::new(5, 1));
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    #[test]
    fn one_rounding_at_output_half_up() {
        // 0.125 kWh x 1.00 and 0.33335 h x 1.00: exact inside, 4 decimals (OCPI) or 2 (currency) at output.
        let tariff = r#"{"id":"T","currency":"EUR","elements":[{"price_components":[
            {"type":"ENERGY","price":1,"step_size":1},{"type":"TIME","price":1,"step_size":1}]}]}"#;
        let cdr = r#"{"start_date_time":"2024-05-01T10:00:00Z","end_date_time":"2024-05-01T11:00:00Z","currency":"EUR",
            "charging_periods":[{"start_date_time":"2024-05-01T10:00:00Z","dimensions":[
            {"type":"ENERGY","volume":0.125},{"type":"TIME","volume":0.33335}]}]}"#;
        let report = price_cdr_json(cdr.as_bytes(), Some(tariff.as_bytes()), &PriceOptions::default()).unwrap();
        // TIME step 1 s: 0.33335 h = 1200.06 s -> 1201 s; the extra is billed, so the exact time cost is 1201/3600.
        assert_eq!(report.total_energy_cost.excl_vat.as_decimal(), Decimal::new(125, 3));
        let ocpi = report.rounded(false);
        assert_eq!(ocpi.total_energy_cost.excl_vat.as_decimal(), Decimal::new(125, 3));
        assert_eq!(ocpi.total_time_cost.excl_vat.as_decimal(), Decimal::new(3336, 4));
        let cents = report.rounded(true);
        assert_eq!(cents.total_energy_cost.excl_vat.as_decimal(), Decimal::new(13, 2));
        assert_eq!(cents.total_time_cost.excl_vat.as_decimal(), Decimal::new(33, 2));
        // total = 0.125 + 0.333611.. = 0.458611.. -> 0.4586 / 0.46
        assert_eq!(ocpi.total_cost.excl_vat.as_decimal(), Decimal::new(4586, 4));
        assert_eq!(cents.total_cost.excl_vat.as_decimal(), Decimal::new(46, 2));
        assert!(report.to_json().contains(r#""total_cost":{"excl_vat":0.4586,"incl_vat":0.4586}"#), "{}", report.to_json());
    }

    #[test]
    fn volumes_that_overflow_when_summed_are_an_error() {
        let max = Decimal::MAX.to_string();
        let cdr = format!(
            r#"{{"start_date_time":"2024-05-01T10:00:00Z","end_date_time":"2024-05-01T12:00:00Z","currency":"EUR",
            "charging_periods":[{{"start_date_time":"2024-05-01T10:00:00Z","dimensions":[
            {{"type":"TIME","volume":{max}}},{{"type":"TIME","volume":{max}}}]}}]}}"#
        );
        let err = price_cdr_json(cdr.as_bytes(), Some(TARIFF.as_bytes()), &PriceOptions::default()).unwrap_err();
        assert!(matches!(err, crate::Error::Overflow("time")), "{err}");
    }
}
