//! OCPI 2.2.1 CDR, the parts pricing reads (cdrs.md): periods, dimensions, totals, tariffs.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ocpi::v221::tariff::{Price, Tariff};
use crate::ocpi::OcpiDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CdrDimensionType {
    Current,
    Energy,
    EnergyExport,
    EnergyImport,
    MaxCurrent,
    MinCurrent,
    MaxPower,
    MinPower,
    ParkingTime,
    Power,
    ReservationTime,
    StateOfCharge,
    Time,
    /// 2.1.1 only (a flat fee dimension); ignored by pricing.
    Flat,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CdrDimension {
    #[serde(rename = "type")]
    pub dimension: CdrDimensionType,
    #[serde(deserialize_with = "crate::ocpi::number::decimal")]
    pub volume: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ChargingPeriod<'a> {
    pub start_date_time: OcpiDateTime,
    pub dimensions: Vec<CdrDimension>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub tariff_id: Option<Cow<'a, str>>,
}

/// The location fields pricing uses. `time_zone` is not part of 2.2.1's CdrLocation but many senders add it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct CdrLocation<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub country: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Cdr<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    pub start_date_time: OcpiDateTime,
    pub end_date_time: OcpiDateTime,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(default, borrow)]
    pub tariffs: Vec<Tariff<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub cdr_location: Option<CdrLocation<'a>>,
    #[serde(borrow)]
    pub charging_periods: Vec<ChargingPeriod<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<Price>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_fixed_cost: Option<Price>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub total_energy: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_energy_cost: Option<Price>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub total_time: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time_cost: Option<Price>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub total_parking_time: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_parking_cost: Option<Price>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_reservation_cost: Option<Price>,
}
