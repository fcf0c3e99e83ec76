"""Sessions and CDRs between OCPI versions (sessions.md 4.3, cdrs.md 5.3): 2.1.1 input upgraded on entry (the store
keeps 2.2.1), 2.2.1 downgraded for 2.1.1 endpoints.

Upgrades are validated against the 2.2.1 models (a 39-character 2.1.1 location id does not fit a 2.2.1 CiString(36))
and raise msgspec.ValidationError with the 2.2.1 path. Downgrades are lossy: owner fields, authorization_reference,
periods' tariff_id, incl_vat, signed data, credit fields and the 2.2-only dimensions (CURRENT, POWER, ...) have no
2.1.1 place and are dropped; COMMAND becomes AUTH_REQUEST (the eMSP authorised it), RESERVATION becomes PENDING.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ocpi_engine.models.v211 import cdrs as v211_cdrs
from ocpi_engine.models.v211 import sessions as v211_sessions
from ocpi_engine.models.v221 import cdrs as v221_cdrs
from ocpi_engine.models.v221 import sessions as v221_sessions

__all__ = ["downgrade_cdr", "downgrade_cdr_location", "downgrade_session", "upgrade_cdr", "upgrade_session",
           "upgrade_charging_periods"]

# CDR tariffs stay msgspec.Raw (written back byte for byte); Decimals as JSON numbers.
_encoder = msgspec.json.Encoder(decimal_format="number")
_DIMENSIONS_211 = {"ENERGY", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"}


# -- 2.1.1 -> 2.2.1 ---------------------------------------------------------------------------------------
def upgrade_charging_periods(periods: list[v211_cdrs.ChargingPeriod] | None,
                             path: str = "charging_periods") -> list[dict[str, Any]] | None:
    """2.1.1 periods as 2.2.1 dicts: no tariff_id; FLAT (gone in 2.2) is dropped (the tariff prices the flat fee)."""
    if periods is None:
        return None
    out = []
    for index, period in enumerate(periods):
        dimensions = [{"type": d.type.value, "volume": d.volume} for d in period.dimensions if d.type != "FLAT"]
        if not dimensions:
            raise msgspec.ValidationError(
                f"only FLAT dimensions, which OCPI 2.2.1 does not have - at `$.{path}[{index}].dimensions`")
        out.append({"start_date_time": period.start_date_time, "dimensions": dimensions})
    return out


def _cdr_token(auth_id: str, token_country_code: str, token_party_id: str) -> dict[str, Any]:
    """2.1.1 names the token by `auth_id` (its contract id) only: uid unknown (auth_id stands in), type OTHER,
    owner the eMSP the object is addressed to."""
    return {"country_code": token_country_code.upper(), "party_id": token_party_id.upper(), "uid": auth_id,
            "type": "OTHER", "contract_id": auth_id}


def _decode(fields: dict[str, Any], type_: type[Any]) -> Any:
    return msgspec.json.decode(_encoder.encode({k: v for k, v in fields.items() if v is not None}), type=type_)


def upgrade_session(old: v211_sessions.Session, *, country_code: str, party_id: str, token_country_code: str,
                    token_party_id: str) -> v221_sessions.Session:
    """Owner from the URL; the embedded Location reduced to its first EVSE and connector (the only ones it may
    contain); `total_cost` (excl. VAT) as a Price."""
    evse = old.location.evses[0]
    return _decode({  # type: ignore[no-any-return]
        "country_code": country_code.upper(), "party_id": party_id.upper(), "id": old.id,
        "start_date_time": old.start_datetime, "end_date_time": old.end_datetime, "kwh": old.kwh,
        "cdr_token": _cdr_token(old.auth_id, token_country_code, token_party_id),
        "auth_method": old.auth_method.value, "location_id": old.location.id, "evse_uid": evse.uid,
        "connector_id": evse.connectors[0].id, "meter_id": old.meter_id, "currency": old.currency,
        "charging_periods": upgrade_charging_periods(old.charging_periods),
        "total_cost": None if old.total_cost is None else {"excl_vat": old.total_cost},
        "status": old.status.value, "last_updated": old.last_updated,
    }, v221_sessions.Session)


def upgrade_cdr(old: v211_cdrs.Cdr, *, country_code: str, party_id: str, token_country_code: str,
                token_party_id: str) -> v221_cdrs.Cdr:
    """Owner from the sender's party, CdrLocation from the embedded Location's first EVSE and connector (`evse_id`
    `#NA` when the EVSE has none), `stop_date_time` -> `end_date_time`, `total_cost` as a Price excl. VAT. Its
    tariffs stay 2.1.1-shaped (the engine prices both versions)."""
    location = old.location
    evse = location.evses[0]
    connector = evse.connectors[0]
    cdr_location = {
        "id": location.id, "name": location.name, "address": location.address, "city": location.city,
        "postal_code": location.postal_code, "country": location.country,
        "coordinates": {"latitude": location.coordinates.latitude, "longitude": location.coordinates.longitude},
        "evse_uid": evse.uid, "evse_id": evse.evse_id or "#NA", "connector_id": connector.id,
        "connector_standard": connector.standard.value, "connector_format": connector.format.value,
        "connector_power_type": connector.power_type.value,
    }
    return _decode({  # type: ignore[no-any-return]
        "country_code": country_code.upper(), "party_id": party_id.upper(), "id": old.id,
        "start_date_time": old.start_date_time, "end_date_time": old.stop_date_time,
        "cdr_token": _cdr_token(old.auth_id, token_country_code, token_party_id),
        "auth_method": old.auth_method.value,
        "cdr_location": {k: v for k, v in cdr_location.items() if v is not None},
        "meter_id": old.meter_id, "currency": old.currency, "tariffs": old.tariffs,
        "charging_periods": upgrade_charging_periods(old.charging_periods),
        "total_cost": {"excl_vat": old.total_cost}, "total_energy": old.total_energy, "total_time": old.total_time,
        "total_parking_time": old.total_parking_time, "remark": old.remark, "last_updated": old.last_updated,
    }, v221_cdrs.Cdr)


# -- 2.2.1 -> 2.1.1 ---------------------------------------------------------------------------------------
def _charging_periods(periods: list[v221_cdrs.ChargingPeriod] | None) -> list[v211_cdrs.ChargingPeriod] | None:
    if periods is None:
        return None
    out = []
    for period in periods:
        dimensions = [v211_cdrs.CdrDimension(type=v211_cdrs.CdrDimensionType(d.type.value), volume=d.volume)
                      for d in period.dimensions if d.type in _DIMENSIONS_211]
        if dimensions:
            out.append(v211_cdrs.ChargingPeriod(start_date_time=period.start_date_time, dimensions=dimensions))
    return out


def _auth_method(method: str) -> v211_cdrs.AuthMethod:
    return v211_cdrs.AuthMethod.WHITELIST if method == "WHITELIST" else v211_cdrs.AuthMethod.AUTH_REQUEST


def downgrade_cdr_location(new: v221_cdrs.CdrLocation) -> v211_cdrs.Location:
    """A CdrLocation as the 2.1.1 embedded Location with its one EVSE and connector (type UNKNOWN)."""
    connector = v211_cdrs.Connector(id=new.connector_id, standard=new.connector_standard,
                                    format=new.connector_format, power_type=new.connector_power_type)
    evse = v211_cdrs.Evse(uid=new.evse_uid, evse_id=None if new.evse_id == "#NA" else new.evse_id,
                          connectors=[connector])
    return v211_cdrs.Location(
        id=new.id, type="UNKNOWN", name=new.name, address=new.address, city=new.city, postal_code=new.postal_code,
        country=new.country, coordinates=v211_cdrs.GeoLocation(latitude=new.coordinates.latitude,
                                                                longitude=new.coordinates.longitude),
        evses=[evse])


def downgrade_session(new: v221_sessions.Session, location: v211_cdrs.Location) -> v211_sessions.Session:
    """`location`: the 2.1.1 Location to embed (a 2.2.1 Session only references it; see services.sessions)."""
    status = "PENDING" if new.status == "RESERVATION" else new.status.value
    return v211_sessions.Session(
        id=new.id, start_datetime=new.start_date_time, end_datetime=new.end_date_time, kwh=new.kwh,
        auth_id=new.cdr_token.contract_id, auth_method=_auth_method(new.auth_method), location=location,
        meter_id=new.meter_id, currency=new.currency, charging_periods=_charging_periods(new.charging_periods),
        total_cost=None if new.total_cost is None else new.total_cost.excl_vat,
        status=v211_sessions.SessionStatus(status), last_updated=new.last_updated,
    )


def downgrade_cdr(new: v221_cdrs.Cdr) -> v211_cdrs.Cdr:
    return v211_cdrs.Cdr(
        id=new.id, start_date_time=new.start_date_time, stop_date_time=new.end_date_time,
        auth_id=new.cdr_token.contract_id, auth_method=_auth_method(new.auth_method),
        location=downgrade_cdr_location(new.cdr_location), meter_id=new.meter_id, currency=new.currency,
        tariffs=new.tariffs, charging_periods=_charging_periods(new.charging_periods) or [],
        total_cost=new.total_cost.excl_vat, total_energy=new.total_energy, total_time=new.total_time,
        total_parking_time=new.total_parking_time, remark=new.remark, last_updated=new.last_updated,
    )
