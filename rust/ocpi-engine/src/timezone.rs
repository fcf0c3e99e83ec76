//! Time zone of a session: an explicit IANA zone, else the location's, else the country's when that
//! country has a single zone. Never a guess for multi-zone countries (US, CA, AU, RU, BR, MX, ...,
//! and FR/PT/ES/NL/DK with overseas zones are mapped only when the code names the European part).

use chrono_tz::Tz;

use crate::error::Error;

/// Parse an IANA zone name.
pub fn parse_zone(name: &str) -> Result<Tz, Error> {
    name.parse::<Tz>().map_err(|_| Error::UnknownTimeZone(name.to_string()))
}

/// The single zone of a country given as ISO 3166-1 alpha-3 (OCPI Location.country) or alpha-2.
#[must_use]
pub fn single_zone_of_country(country: &str) -> Option<Tz> {
    let zone = match country.to_ascii_uppercase().as_str() {
        "NLD" | "NL" => Tz::Europe__Amsterdam,
        "BEL" | "BE" => Tz::Europe__Brussels,
        "DEU" | "DE" => Tz::Europe__Berlin,
        "AUT" | "AT" => Tz::Europe__Vienna,
        "CHE" | "CH" => Tz::Europe__Zurich,
        "LUX" | "LU" => Tz::Europe__Luxembourg,
        "ITA" | "IT" => Tz::Europe__Rome,
        "POL" | "PL" => Tz::Europe__Warsaw,
        "CZE" | "CZ" => Tz::Europe__Prague,
        "SVK" | "SK" => Tz::Europe__Bratislava,
        "HUN" | "HU" => Tz::Europe__Budapest,
        "SVN" | "SI" => Tz::Europe__Ljubljana,
        "HRV" | "HR" => Tz::Europe__Zagreb,
        "SWE" | "SE" => Tz::Europe__Stockholm,
        "NOR" | "NO" => Tz::Europe__Oslo,
        "FIN" | "FI" => Tz::Europe__Helsinki,
        "EST" | "EE" => Tz::Europe__Tallinn,
        "LVA" | "LV" => Tz::Europe__Riga,
        "LTU" | "LT" => Tz::Europe__Vilnius,
        "IRL" | "IE" => Tz::Europe__Dublin,
        "GBR" | "GB" => Tz::Europe__London,
        "ROU" | "RO" => Tz::Europe__Bucharest,
        "BGR" | "BG" => Tz::Europe__Sofia,
        "GRC" | "GR" => Tz::Europe__Athens,
        "ISL" | "IS" => Tz::Atlantic__Reykjavik,
        "SRB" | "RS" => Tz::Europe__Belgrade,
        "LIE" | "LI" => Tz::Europe__Vaduz,
        "MLT" | "MT" => Tz::Europe__Malta,
        "JPN" | "JP" => Tz::Asia__Tokyo,
        "KOR" | "KR" => Tz::Asia__Seoul,
        "SGP" | "SG" => Tz::Asia__Singapore,
        "ISR" | "IL" => Tz::Asia__Jerusalem,
        _ => return None,
    };
    Some(zone)
}
