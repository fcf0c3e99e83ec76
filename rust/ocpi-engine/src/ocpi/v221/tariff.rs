//! OCPI 2.2.1 Tariff (tariffs.md section 3). Unknown fields are tolerated; enum values are checked.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ocpi::OcpiDateTime;

/// `Price`: an amount excluding VAT and, optionally, including VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Price {
    #[serde(deserialize_with = "crate::ocpi::number::decimal")]
    pub excl_vat: Decimal,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub incl_vat: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TariffDimensionType {
    Energy,
    Flat,
    ParkingTime,
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayOfWeek {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationRestrictionType {
    Reservation,
    ReservationExpires,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TariffType {
    AdHocPayment,
    ProfileCheap,
    ProfileFast,
    ProfileGreen,
    Regular,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PriceComponent {
    #[serde(rename = "type")]
    pub dimension: TariffDimensionType,
    /// Price per unit excluding VAT (per kWh, per hour, or per flat fee).
    #[serde(deserialize_with = "crate::ocpi::number::decimal")]
    pub price: Decimal,
    /// VAT percentage; absent means no VAT applicable (not 0%).
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub vat: Option<Decimal>,
    /// Billing block: Wh for ENERGY, seconds for TIME/PARKING_TIME, ignored for FLAT.
    #[serde(default)]
    pub step_size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TariffRestrictions<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub min_kwh: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub max_kwh: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub min_current: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub max_current: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub min_power: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub max_power: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub min_duration: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal", skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<Vec<DayOfWeek>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<ReservationRestrictionType>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TariffElement<'a> {
    pub price_components: Vec<PriceComponent>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<TariffRestrictions<'a>>,
}

/// A 2.2.1 Tariff. 2.1.1 tariffs decode into this type too: they only lack fields (owner ids, VAT,
/// min/max price, validity, reservation and current restrictions), which is the whole upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Tariff<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub party_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub tariff_type: Option<TariffType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<Price>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<Price>,
    #[serde(borrow)]
    pub elements: Vec<TariffElement<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<OcpiDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<OcpiDateTime>,
}
