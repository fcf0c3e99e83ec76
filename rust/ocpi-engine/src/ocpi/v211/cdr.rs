//! OCPI 2.1.1 CDR (cdrs.md, 2.1.1 section): `stop_date_time`, an embedded `location` (with `time_zone`),
//! bare-number costs excluding VAT. Upgrades to the 2.2.1 [`Cdr`] through `From`.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::ocpi::v221::cdr::{Cdr, CdrLocation, ChargingPeriod};
use crate::ocpi::v211::tariff::Tariff211;
use crate::ocpi::v221::tariff::Price;
use crate::ocpi::OcpiDateTime;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Location<'a> {
    #[serde(default, borrow)]
    pub country: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub time_zone: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Cdr211<'a> {
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    pub start_date_time: OcpiDateTime,
    pub stop_date_time: OcpiDateTime,
    #[serde(default, borrow)]
    pub location: Option<Location<'a>>,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(default, borrow)]
    pub tariffs: Vec<Tariff211<'a>>,
    #[serde(borrow)]
    pub charging_periods: Vec<ChargingPeriod<'a>>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub total_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub total_energy: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub total_time: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub total_parking_time: Option<Decimal>,
}

impl<'a> From<Cdr211<'a>> for Cdr<'a> {
    fn from(cdr: Cdr211<'a>) -> Self {
        let location = cdr.location.unwrap_or_default();
        Cdr {
            id: cdr.id,
            start_date_time: cdr.start_date_time,
            end_date_time: cdr.stop_date_time,
            currency: cdr.currency,
            tariffs: cdr.tariffs.into_iter().map(Into::into).collect(),
            cdr_location: Some(CdrLocation { country: location.country, time_zone: location.time_zone }),
            charging_periods: cdr.charging_periods,
            // 2.1.1 costs exclude VAT and state no VAT: incl is unknown.
            total_cost: cdr.total_cost.map(|excl_vat| Price { excl_vat, incl_vat: None }),
            total_fixed_cost: None,
            total_energy: cdr.total_energy,
            total_energy_cost: None,
            total_time: cdr.total_time,
            total_time_cost: None,
            total_parking_time: cdr.total_parking_time,
            total_parking_cost: None,
            total_reservation_cost: None,
        }
    }
}

