//! OCPI 2.2.1 CDR, the parts pricing reads (cdrs.md): periods, dimensions, totals, tariffs.

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
pub struct ChargingPeriod {
    pub start_date_time: OcpiDateTime,
    pub dimensions: Vec<CdrDimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff_id: Option<String>,
}

/// The location fields pricing uses. `time_zone` is not part of 2.2.1's CdrLocation but many senders add it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct CdrLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Cdr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub start_date_time: OcpiDateTime,
    pub end_date_time: OcpiDateTime,
    pub currency: String,
    #[serde(default)]
    pub tariffs: Vec<Tariff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdr_location: Option<CdrLocation>,
    pub charging_periods: Vec<ChargingPeriod>,
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
