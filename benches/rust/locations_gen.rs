//! Seeded generator of OCPI 2.2.1 Location snapshots for the `diff_locations` benches: Locations with 2 EVSEs
//! x 2 Connectors and the fields a CPO typically publishes, and a second snapshot where a fixed share changed.

use std::fmt::Write as _;

use crate::Rng;

/// Locations per snapshot in the benches.
pub const LOCATIONS: usize = 100_000;

const STATUSES: [&str; 4] = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"];
const STREETS: [&str; 6] = ["Stationsplein", "Kerkstraat", "Rue de la Loi", "Hauptstraße", "Marktplatz", "Vestergade"];
const CITIES: [&str; 6] = ["Amsterdam", "Utrecht", "Bruxelles", "München", "Köln", "Aarhus"];

fn stamp(day: u64, second: u64) -> String {
    format!("2024-{:02}-{:02}T{:02}:{:02}:{:02}Z", 1 + day / 28 % 12, 1 + day % 28, second / 3600 % 24, second / 60 % 60, second % 60)
}

fn connector(out: &mut String, id: u32, dc: bool, tariff: u64, at: &str) {
    let (standard, format, power_type, voltage, amperage, power) =
        if dc { ("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 200, 150_000) } else { ("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 22_080) };
    write!(
        out,
        r#"{{"id":"{id}","standard":"{standard}","format":"{format}","power_type":"{power_type}","max_voltage":{voltage},"max_amperage":{amperage},"max_electric_power":{power},"tariff_ids":["T{tariff}"],"terms_and_conditions":"https://cpo.example.com/terms","last_updated":"{at}"}}"#
    )
    .ok();
}

#[derive(Clone)]
struct Evse {
    uid: String,
    status: &'static str,
    tariff: u64,
    dc: bool,
    at: String,
}

#[derive(Clone)]
struct Location {
    n: usize,
    name_suffix: u64,
    lat: u64,
    lon: u64,
    street: usize,
    evses: Vec<Evse>,
    at: String,
}

impl Location {
    fn generate(rng: &mut Rng, n: usize) -> Self {
        let at = stamp(rng.below(300), rng.below(86_400));
        let dc = rng.below(3) == 0;
        let evses = (0..2)
            .map(|e| Evse { uid: format!("{n}-{e}"), status: STATUSES[usize::try_from(rng.below(4)).unwrap_or(0)], tariff: rng.below(40), dc, at: at.clone() })
            .collect();
        Self { n, name_suffix: rng.below(1000), lat: rng.below(1_000_000), lon: rng.below(1_000_000), street: n % STREETS.len(), evses, at }
    }

    fn write(&self, out: &mut String) {
        let n = self.n;
        write!(
            out,
            r#"{{"country_code":"NL","party_id":"CPO","id":"LOC{n:07}","publish":true,"name":"Laadplein {n} {}","address":"{} {}","city":"{}","postal_code":"{:04}AB","country":"NLD","coordinates":{{"latitude":"52.{:06}","longitude":"4.{:06}"}},"parking_type":"ON_STREET","evses":["#,
            self.name_suffix, STREETS[self.street], 1 + n % 200, CITIES[self.street], 1000 + n % 9000, self.lat, self.lon
        )
        .ok();
        for (e, evse) in self.evses.iter().enumerate() {
            if e > 0 {
                out.push(',');
            }
            write!(
                out,
                r#"{{"uid":"{}","evse_id":"NL*CPO*E{}","status":"{}","capabilities":["RFID_READER","REMOTE_START_STOP_CAPABLE"],"connectors":["#,
                evse.uid, evse.uid.replace('-', "*"), evse.status
            )
            .ok();
            connector(out, 1, evse.dc, evse.tariff, &evse.at);
            out.push(',');
            connector(out, 2, evse.dc, evse.tariff, &evse.at);
            write!(
                out,
                r#"],"coordinates":{{"latitude":"52.{:06}","longitude":"4.{:06}"}},"physical_reference":"{}","floor_level":"0","parking_restrictions":["EV_ONLY"],"last_updated":"{}"}}"#,
                self.lat, self.lon, e + 1, evse.at
            )
            .ok();
        }
        write!(
            out,
            r#"],"operator":{{"name":"Example CPO","website":"https://cpo.example.com"}},"facilities":["PARKING_LOT","CAFE"],"time_zone":"Europe/Amsterdam","opening_times":{{"twentyfourseven":true}},"charging_when_closed":true,"energy_mix":{{"is_green_energy":true}},"last_updated":"{}"}}"#,
            self.at
        )
        .ok();
    }
}

fn array(locations: &[Location]) -> Vec<u8> {
    let mut out = String::with_capacity(locations.len() * 1700);
    out.push('[');
    for (i, location) in locations.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        location.write(&mut out);
    }
    out.push(']');
    out.into_bytes()
}

/// Two snapshots (JSON arrays) of `count` Locations from `seed`; in the second, 1% of the Locations differ:
/// of every 100, one EVSE status change, and per 400 a rename, a tariff change on one EVSE's connectors,
/// a new Location and a vanished one rotate in (each with bumped `last_updated` where the spec asks).
#[must_use]
pub fn snapshot_pair(count: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng::new(seed);
    let old: Vec<Location> = (0..count).map(|n| Location::generate(&mut rng, n)).collect();
    let mut new: Vec<Location> = Vec::with_capacity(count);
    let later = "2025-01-01T00:00:00Z".to_string();
    for (n, location) in old.iter().enumerate() {
        let mut copy = location.clone();
        if n % 100 == 50 {
            match n / 100 % 4 {
                0 => {
                    copy.evses[0].status = if copy.evses[0].status == "CHARGING" { "AVAILABLE" } else { "CHARGING" };
                    copy.evses[0].at.clone_from(&later);
                }
                1 => copy.name_suffix += 1,
                2 => {
                    copy.evses[1].tariff += 1;
                    copy.evses[1].at.clone_from(&later);
                }
                _ => {
                    new.push(Location::generate(&mut rng, count + n));
                    continue;
                }
            }
            copy.at.clone_from(&later);
        }
        new.push(copy);
    }
    (array(&old), array(&new))
}
