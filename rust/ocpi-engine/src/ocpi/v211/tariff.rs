//! OCPI 2.1.1 Tariff (tariffs.md section 8): no owner ids, no `type`, no min/max price or validity, no
//! per-component `vat`, no current or reservation restrictions. Upgrades to the 2.2.1
//! [`Tariff`](crate::ocpi::v221::tariff::Tariff) through `From` (section 8.5 lists the changes); pricing then
//! sees only 2.2.1. A 2.2.1-only field in 2.1.1 input is ignored, as any unknown field.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::ocpi::v221::tariff::{
    DayOfWeek, PriceComponent, Tariff, TariffDimensionType, TariffElement, TariffRestrictions,
};

/// 2.1.1 PriceComponent: `type`, `price` (excl. VAT), `step_size`; no `vat` (so no VAT applies).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PriceComponent211 {
    #[serde(rename = "type")]
    pub dimension: TariffDimensionType,
    #[serde(deserialize_with = "crate::ocpi::number::decimal")]
    pub price: Decimal,
    #[serde(default)]
    pub step_size: u64,
}

/// 2.1.1 TariffRestrictions: the 2.2.1 set without `min_current`, `max_current` and `reservation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TariffRestrictions211<'a> {
    #[serde(default, borrow)]
    pub start_time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub end_time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub start_date: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub end_date: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub min_kwh: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub max_kwh: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub min_power: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub max_power: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub min_duration: Option<Decimal>,
    #[serde(default, deserialize_with = "crate::ocpi::number::optional_decimal")]
    pub max_duration: Option<Decimal>,
    #[serde(default)]
    pub day_of_week: Option<Vec<DayOfWeek>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TariffElement211<'a> {
    pub price_components: Vec<PriceComponent211>,
    #[serde(default, borrow)]
    pub restrictions: Option<TariffRestrictions211<'a>>,
}

/// A 2.1.1 Tariff (the fields pricing reads; `tariff_alt_text`, `tariff_alt_url`, `energy_mix` are skipped).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tariff211<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(borrow)]
    pub elements: Vec<TariffElement211<'a>>,
}

impl From<PriceComponent211> for PriceComponent {
    fn from(c: PriceComponent211) -> Self {
        PriceComponent { dimension: c.dimension, price: c.price, vat: None, step_size: c.step_size }
    }
}

impl<'a> From<TariffRestrictions211<'a>> for TariffRestrictions<'a> {
    fn from(r: TariffRestrictions211<'a>) -> Self {
        TariffRestrictions {
            start_time: r.start_time,
            end_time: r.end_time,
            start_date: r.start_date,
            end_date: r.end_date,
            min_kwh: r.min_kwh,
            max_kwh: r.max_kwh,
            min_current: None,
            max_current: None,
            min_power: r.min_power,
            max_power: r.max_power,
            min_duration: r.min_duration,
            max_duration: r.max_duration,
            day_of_week: r.day_of_week,
            reservation: None,
        }
    }
}

impl<'a> From<Tariff211<'a>> for Tariff<'a> {
    fn from(t: Tariff211<'a>) -> Self {
        Tariff {
            country_code: None,
            party_id: None,
            id: t.id,
            currency: t.currency,
            tariff_type: None,
            min_price: None,
            max_price: None,
            elements: t
                .elements
                .into_iter()
                .map(|e| TariffElement {
                    price_components: e.price_components.into_iter().map(PriceComponent::from).collect(),
                    restrictions: e.restrictions.map(TariffRestrictions::from),
                })
                .collect(),
            start_date_time: None,
            end_date_time: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tariff211;
    use crate::ocpi::v221::tariff::Tariff;

    #[test]
    fn the_211_complex_example_upgrades() {
        // tariffs.md 8.4: the 2.1.1 complex example, prices as JSON strings as some 2.1.1 senders write them.
        let json = r#"{"id":"11","currency":"EUR","tariff_alt_url":"https://company.com/tariffs/11","elements":[
            {"price_components":[{"type":"FLAT","price":"2.50","step_size":1}]},
            {"price_components":[{"type":"TIME","price":1.00,"step_size":900}],"restrictions":{"max_power":32.00}},
            {"price_components":[{"type":"PARKING_TIME","price":5.00,"step_size":300}],
             "restrictions":{"start_time":"09:00","end_time":"18:00","day_of_week":["MONDAY","FRIDAY"]}}],
            "last_updated":"2015-06-29T20:39:09Z"}"#;
        let v211: Tariff211 = serde_json::from_str(json).unwrap();
        let v221 = Tariff::from(v211);
        assert_eq!(v221.id, "11");
        assert_eq!(v221.elements[0].price_components[0].price, rust_decimal::Decimal::new(250, 2));
        assert_eq!(v221.elements[0].price_components[0].vat, None);
        let r = v221.elements[2].restrictions.as_ref().unwrap();
        assert_eq!(r.start_time.as_deref(), Some("09:00"));
        assert_eq!(r.day_of_week.as_ref().map(Vec::len), Some(2));
        assert_eq!(v221.elements[1].restrictions.as_ref().unwrap().max_power, Some(rust_decimal::Decimal::new(3200, 2)));
        // The same text decodes directly as 2.2.1 to the same tariff (2.1.1 only lacks fields).
        let direct: Tariff = serde_json::from_str(json).unwrap();
        assert_eq!(direct, v221);
    }
}
