//! The normalised tariff the pricer works on: restrictions parsed once (times to minutes, dates,
//! weekday masks), components kept in element order. No serde here.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use rust_decimal::Decimal;

use crate::error::Error;
use crate::ocpi::v221::tariff::{
    DayOfWeek, Price, ReservationRestrictionType, Tariff as WireTariff, TariffDimensionType, TariffRestrictions,
};
use crate::ocpi::OcpiDateTime;

/// Reservation state of a moment of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationState {
    /// Not reserving: charging or parking.
    None,
    /// A reservation that ended in charging.
    Reserved,
    /// A reservation that ran out without charging.
    Expired,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub dimension: TariffDimensionType,
    pub price: Decimal,
    pub vat: Option<Decimal>,
    /// `1 + vat / 100`, computed once per tariff instead of once per priced volume.
    pub vat_factor: Option<Decimal>,
    pub step_size: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Restrictions {
    /// Minutes after local midnight.
    pub start_time: Option<u32>,
    pub end_time: Option<u32>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub min_kwh: Option<Decimal>,
    pub max_kwh: Option<Decimal>,
    pub min_current: Option<Decimal>,
    pub max_current: Option<Decimal>,
    pub min_power: Option<Decimal>,
    pub max_power: Option<Decimal>,
    /// Seconds.
    pub min_duration: Option<Decimal>,
    pub max_duration: Option<Decimal>,
    /// Bit `n` set = weekday `n` (Monday = 0) allowed; 0 = no weekday restriction.
    pub days: u8,
    pub reservation: Option<ReservationRestrictionType>,
}

#[derive(Debug, Clone)]
pub struct Element {
    pub components: Vec<Component>,
    pub restrictions: Restrictions,
}

#[derive(Debug, Clone)]
pub struct Tariff {
    pub id: String,
    pub currency: String,
    pub min_price: Option<Price>,
    pub max_price: Option<Price>,
    pub start_date_time: Option<OcpiDateTime>,
    pub end_date_time: Option<OcpiDateTime>,
    pub elements: Vec<Element>,
    /// Some element restricts min/max_kwh or min/max_duration (computed once, skips per-period checks).
    pub has_cumulative_restrictions: bool,
    /// Some element restricts start/end_time, start/end_date or day_of_week.
    pub has_calendar_restrictions: bool,
}

/// What the session looks like at the start of a charging period.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub local: NaiveDateTime,
    /// kWh charged before this moment.
    pub energy_so_far: Decimal,
    /// Seconds since the session started.
    pub duration_so_far: Decimal,
    pub current: Option<Decimal>,
    pub power: Option<Decimal>,
    pub reservation: ReservationState,
}

fn parse_time(value: &str, field: impl FnOnce() -> String) -> Result<u32, Error> {
    let bytes = value.as_bytes();
    let ok = bytes.len() == 5 && bytes[2] == b':' && bytes.iter().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit());
    if ok {
        let hours = u32::from(bytes[0] - b'0') * 10 + u32::from(bytes[1] - b'0');
        let minutes = u32::from(bytes[3] - b'0') * 10 + u32::from(bytes[4] - b'0');
        if hours < 24 && minutes < 60 {
            return Ok(hours * 60 + minutes);
        }
    }
    Err(Error::invalid(field(), format!("{value:?} is not a time of day HH:MM (00:00 to 23:59)")))
}

fn parse_date(value: &str, field: impl FnOnce() -> String) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Error::invalid(field(), format!("{value:?} is not a date YYYY-MM-DD")))
}

fn day_bit(day: DayOfWeek) -> u8 {
    1 << match day {
        DayOfWeek::Monday => 0,
        DayOfWeek::Tuesday => 1,
        DayOfWeek::Wednesday => 2,
        DayOfWeek::Thursday => 3,
        DayOfWeek::Friday => 4,
        DayOfWeek::Saturday => 5,
        DayOfWeek::Sunday => 6,
    }
}

fn restrictions(r: &TariffRestrictions<'_>, path: &dyn Fn() -> String) -> Result<Restrictions, Error> {
    let field = |name: &str| format!("{}.restrictions.{name}", path());
    Ok(Restrictions {
        start_time: r.start_time.as_deref().map(|v| parse_time(v, || field("start_time"))).transpose()?,
        end_time: r.end_time.as_deref().map(|v| parse_time(v, || field("end_time"))).transpose()?,
        start_date: r.start_date.as_deref().map(|v| parse_date(v, || field("start_date"))).transpose()?,
        end_date: r.end_date.as_deref().map(|v| parse_date(v, || field("end_date"))).transpose()?,
        min_kwh: r.min_kwh,
        max_kwh: r.max_kwh,
        min_current: r.min_current,
        max_current: r.max_current,
        min_power: r.min_power,
        max_power: r.max_power,
        min_duration: r.min_duration,
        max_duration: r.max_duration,
        days: r.day_of_week.as_deref().unwrap_or_default().iter().fold(0, |mask, d| mask | day_bit(*d)),
        reservation: r.reservation,
    })
}

impl Tariff {
    /// Normalise a wire tariff; `path` names it in errors (e.g. `tariffs[0]`).
    pub fn from_wire(tariff: &WireTariff<'_>, path: &dyn Fn() -> String) -> Result<Self, Error> {
        let mut elements = Vec::with_capacity(tariff.elements.len());
        for (index, element) in tariff.elements.iter().enumerate() {
            let element_path = || format!("{}.elements[{index}]", path());
            let components = element
                .price_components
                .iter()
                .map(|c| {
                    let vat_factor = match c.vat {
                        Some(vat) => Some(
                            vat.checked_div(Decimal::ONE_HUNDRED)
                                .and_then(|v| v.checked_add(Decimal::ONE))
                                .ok_or_else(|| Error::Overflow("vat"))?,
                        ),
                        None => None,
                    };
                    Ok(Component { dimension: c.dimension, price: c.price, vat: c.vat, vat_factor, step_size: c.step_size })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let restrictions = match &element.restrictions {
                Some(r) => restrictions(r, &element_path)?,
                None => Restrictions::default(),
            };
            elements.push(Element { components, restrictions });
        }
        let has_cumulative_restrictions = elements.iter().any(|e| {
            let r = &e.restrictions;
            r.min_kwh.is_some() || r.max_kwh.is_some() || r.min_duration.is_some() || r.max_duration.is_some()
        });
        let has_calendar_restrictions = elements.iter().any(|e| {
            let r = &e.restrictions;
            r.start_time.is_some() || r.end_time.is_some() || r.start_date.is_some() || r.end_date.is_some() || r.days != 0
        });
        Ok(Self {
            has_cumulative_restrictions,
            has_calendar_restrictions,
            id: tariff.id.to_string(),
            currency: tariff.currency.to_string(),
            min_price: tariff.min_price,
            max_price: tariff.max_price,
            start_date_time: tariff.start_date_time,
            end_date_time: tariff.end_date_time,
            elements,
        })
    }

    /// Valid at `at`: `start_date_time <= at < end_date_time` where set.
    #[must_use]
    pub fn is_valid_at(&self, at: OcpiDateTime) -> bool {
        self.start_date_time.is_none_or(|s| s <= at) && self.end_date_time.is_none_or(|e| at < e)
    }

    /// The component of `dimension` active at `moment`: the first element (in order) that has one and whose
    /// restrictions all hold. During an expired reservation, RESERVATION_EXPIRES elements win for TIME.
    #[must_use]
    pub fn active(&self, dimension: TariffDimensionType, moment: &Moment) -> Option<(usize, &Component)> {
        if moment.reservation == ReservationState::Expired && dimension == TariffDimensionType::Time {
            let expired = self.elements.iter().enumerate().find_map(|(i, e)| {
                (e.restrictions.reservation == Some(ReservationRestrictionType::ReservationExpires)
                    && e.restrictions.matches(moment))
                .then(|| e.components.iter().find(|c| c.dimension == dimension).map(|c| (i, c)))
                .flatten()
            });
            if expired.is_some() {
                return expired;
            }
        }
        self.elements.iter().enumerate().find_map(|(i, e)| {
            let component = e.components.iter().find(|c| c.dimension == dimension)?;
            e.restrictions.matches(moment).then_some((i, component))
        })
    }
}

impl Tariff {
    /// The first `min_kwh`/`max_kwh` (kWh) or `min_duration`/`max_duration` (seconds) bound of any element that
    /// lies strictly inside a period spanning `energy` and `duration` (from, to): the CPO should have started a
    /// new charging period there (tariffs.md section 4, rule 5). Returns (element index, field, bound).
    #[must_use]
    pub fn cumulative_boundary_inside(
        &self,
        energy: (Decimal, Decimal),
        duration: (Decimal, Decimal),
    ) -> Option<(usize, &'static str, Decimal)> {
        let inside = |bound: Option<Decimal>, (from, to): (Decimal, Decimal)| bound.filter(|b| from < *b && *b < to);
        self.elements.iter().enumerate().find_map(|(index, element)| {
            let r = &element.restrictions;
            [
                ("min_kwh", inside(r.min_kwh, energy)),
                ("max_kwh", inside(r.max_kwh, energy)),
                ("min_duration", inside(r.min_duration, duration)),
                ("max_duration", inside(r.max_duration, duration)),
            ]
            .into_iter()
            .find_map(|(field, bound)| bound.map(|b| (index, field, b)))
        })
    }
}

impl Tariff {
    /// The first time-of-day or calendar boundary of any element (`start_time`, `end_time`, a `start_date` /
    /// `end_date` midnight, a midnight where `day_of_week` membership changes) strictly inside the local
    /// wall-clock span `(from, to)` of a period: the CPO should have started a new period there (tariffs.md
    /// section 4, rule 5). Returns (element index, field).
    #[must_use]
    pub fn time_boundary_inside(&self, from: NaiveDateTime, to: NaiveDateTime) -> Option<(usize, &'static str)> {
        let span = (to - from).num_seconds();
        if span <= 0 {
            return None;
        }
        let from_second = i64::from(from.num_seconds_from_midnight());
        let time_inside = |minute: u32| {
            let offset = (i64::from(minute) * 60 - from_second).rem_euclid(86_400);
            (offset > 0 && offset < span) || (offset == 0 && span > 86_400)
        };
        // Most periods stay within one local day: then no date or weekday boundary can lie inside.
        let crosses_midnight = from_second + span > 86_400;
        let date_inside = |date: NaiveDate| {
            let midnight = date.and_time(chrono::NaiveTime::MIN);
            crosses_midnight && from < midnight && midnight < to
        };
        self.elements.iter().enumerate().find_map(|(index, element)| {
            let r = &element.restrictions;
            if r.start_time.is_some_and(time_inside) {
                return Some((index, "start_time"));
            }
            if r.end_time.is_some_and(time_inside) {
                return Some((index, "end_time"));
            }
            if r.start_date.is_some_and(date_inside) {
                return Some((index, "start_date"));
            }
            if r.end_date.is_some_and(date_inside) {
                return Some((index, "end_date"));
            }
            if r.days != 0 && crosses_midnight {
                let allowed = |date: NaiveDate| r.days & (1 << weekday_index(date.weekday())) != 0;
                let first = allowed(from.date());
                // Midnights inside the span, at most a week of them (membership repeats weekly).
                let changes = from.date().iter_days().skip(1).take(7).take_while(|d| date_inside(*d)).any(|d| allowed(d) != first);
                if changes {
                    return Some((index, "day_of_week"));
                }
            }
            None
        })
    }
}

impl Restrictions {
    /// All set restrictions hold at `moment` (tariffs.md section 3.4). Unknown current/power never match a
    /// restriction on them.
    #[must_use]
    pub fn matches(&self, m: &Moment) -> bool {
        let reservation_ok = match (self.reservation, m.reservation) {
            (None, ReservationState::None) => true,
            (None, _) | (Some(_), ReservationState::None) => false,
            (Some(ReservationRestrictionType::Reservation), _) => true,
            (Some(ReservationRestrictionType::ReservationExpires), state) => state == ReservationState::Expired,
        };
        if !reservation_ok {
            return false;
        }
        let minute = m.local.hour() * 60 + m.local.minute();
        let time_ok = match (self.start_time, self.end_time) {
            (None, None) => true,
            (Some(start), None) => minute >= start,
            (None, Some(end)) => minute < end,
            (Some(start), Some(end)) if start < end => start <= minute && minute < end,
            (Some(start), Some(end)) if start > end => minute >= start || minute < end,
            _ => false,
        };
        if !time_ok {
            return false;
        }
        let date = m.local.date();
        if self.start_date.is_some_and(|d| date < d) || self.end_date.is_some_and(|d| date >= d) {
            return false;
        }
        if self.days != 0 && self.days & (1 << weekday_index(m.local.weekday())) == 0 {
            return false;
        }
        if self.min_kwh.is_some_and(|v| m.energy_so_far < v) || self.max_kwh.is_some_and(|v| m.energy_so_far >= v) {
            return false;
        }
        if self.min_duration.is_some_and(|v| m.duration_so_far < v)
            || self.max_duration.is_some_and(|v| m.duration_so_far >= v)
        {
            return false;
        }
        let bound = |min: Option<Decimal>, max: Option<Decimal>, value: Option<Decimal>| match (min, max) {
            (None, None) => true,
            _ => value.is_some_and(|v| min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v < hi)),
        };
        bound(self.min_current, self.max_current, m.current) && bound(self.min_power, self.max_power, m.power)
    }
}

fn weekday_index(day: Weekday) -> u8 {
    u8::try_from(day.num_days_from_monday()).unwrap_or(0)
}
