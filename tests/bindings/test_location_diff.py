"""diff_locations / apply_location_ops through Python: each operation kind, inputs, exact decimals, errors,
and the properties diff(a, a) == [] and apply(a, diff(a, b)) equivalent to b (hypothesis)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ocpi_engine
from ocpi_engine import LocationOp, apply_location_ops, diff_locations
from ocpi_engine.errors import EngineError, InvalidInputError

_encoder = msgspec.json.Encoder(decimal_format="number")
T0 = "2024-01-01T00:00:00Z"
T1 = "2024-02-01T00:00:00Z"


def connector(cid: str, at: str = T0, power: int = 22000) -> dict[str, Any]:
    return {"id": cid, "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
            "max_voltage": 230, "max_amperage": 32, "max_electric_power": power, "tariff_ids": ["11"],
            "last_updated": at}


def evse(uid: str, status: str = "AVAILABLE", at: str = T0) -> dict[str, Any]:
    return {"uid": uid, "evse_id": f"NL*TNM*E{uid}", "status": status, "capabilities": ["RFID_READER"],
            "connectors": [connector("1", at), connector("2", at)], "last_updated": at}


def location(lid: str = "LOC1", at: str = T0) -> dict[str, Any]:
    return {"country_code": "NL", "party_id": "TNM", "id": lid, "publish": True, "name": "Gent Zuid",
            "address": "F.Rooseveltlaan 3A", "city": "Gent", "country": "BEL",
            "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
            "evses": [evse("3256", at=at), evse("3257", "CHARGING", at)], "time_zone": "Europe/Brussels",
            "last_updated": at}


def ops_summary(ops: list[LocationOp]) -> list[tuple[str, str, Any]]:
    return [(op.method, op.path, json.loads(op.body)) for op in ops]


# The equality apply(a, diff(a, b)) guarantees, as documented in rust/ocpi-engine/src/location_diff.rs:
# every Location of b is in the result, equal except that EVSEs (by uid) and Connectors (by id) are matched
# regardless of list order, extra EVSEs must have status REMOVED (so an absent evses list matches one holding
# only REMOVED EVSEs, or none); extra Locations (vanished from b) must have only REMOVED EVSEs.

def _fields(obj: dict[str, Any], children: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != children}


def _evse_equal(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if _fields(got, "connectors") != _fields(want, "connectors"):
        return False
    if ("connectors" in got) != ("connectors" in want):
        return False
    got_c = {c["id"]: c for c in got.get("connectors", [])}
    want_c = {c["id"]: c for c in want.get("connectors", [])}
    return got_c == want_c and len(got_c) == len(got.get("connectors", []))


def _location_equivalent(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if _fields(got, "evses") != _fields(want, "evses"):
        return False
    got_e = {e["uid"]: e for e in got.get("evses", [])}
    want_e = {e["uid"]: e for e in want.get("evses", [])}
    if "evses" in want and "evses" not in got:
        return False
    return (all(uid in got_e and _evse_equal(got_e[uid], e) for uid, e in want_e.items())
            and all(e["status"] == "REMOVED" for uid, e in got_e.items() if uid not in want_e))


def assert_equivalent(applied: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    by_key = {(loc["country_code"], loc["party_id"], loc["id"]): loc for loc in applied}
    assert len(by_key) == len(applied)
    for want in expected:
        got = by_key.pop((want["country_code"], want["party_id"], want["id"]))
        assert _location_equivalent(got, want), (got, want)
    for vanished in by_key.values():
        assert all(e["status"] == "REMOVED" for e in vanished.get("evses", [])), vanished


def roundtrip(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[LocationOp]:
    ops = diff_locations(old, new)
    assert_equivalent(apply_location_ops(old, ops), new)
    return ops


def test_identical_snapshots_give_no_operations() -> None:
    snapshot = [location("LOC1"), location("LOC2")]
    assert diff_locations(snapshot, copy.deepcopy(snapshot)) == []


def test_new_location_is_put_whole() -> None:
    [op] = roundtrip([location("LOC1")], [location("LOC1"), location("LOC2", T1)])
    assert (op.method, op.path, op.evse_uid, op.connector_id) == ("PUT", "/NL/TNM/LOC2", None, None)
    assert (op.country_code, op.party_id, op.location_id) == ("NL", "TNM", "LOC2")
    assert json.loads(op.body) == location("LOC2", T1)


def test_changed_location_field_is_patched_with_last_updated() -> None:
    new = location()
    new["name"] = "Interparking Gent Zuid"
    new["last_updated"] = T1
    ops = roundtrip([location()], [new])
    assert ops_summary(ops) == [("PATCH", "/NL/TNM/LOC1", {"name": "Interparking Gent Zuid", "last_updated": T1})]


def test_evse_status_change_is_an_evse_patch() -> None:
    new = location()
    new["evses"][1].update(status="AVAILABLE", last_updated=T1)
    new["last_updated"] = T1
    [op] = roundtrip([location()], [new])
    assert (op.method, op.path, op.evse_uid) == ("PATCH", "/NL/TNM/LOC1/3257", "3257")
    assert json.loads(op.body) == {"status": "AVAILABLE", "last_updated": T1}


def test_connector_change_is_a_connector_patch_that_bumps_its_parents() -> None:
    old = [location()]
    new = location()
    new["evses"][0]["connectors"][1].update(tariff_ids=["15"], last_updated=T1)
    new["evses"][0]["last_updated"] = T1
    new["last_updated"] = T1
    [op] = roundtrip(old, [new])
    assert (op.method, op.path, op.connector_id) == ("PATCH", "/NL/TNM/LOC1/3256/2", "2")
    assert json.loads(op.body) == {"tariff_ids": ["15"], "last_updated": T1}
    [applied] = apply_location_ops(old, [op])
    assert applied["last_updated"] == applied["evses"][0]["last_updated"] == T1


def test_new_evse_and_connector_are_put() -> None:
    new = location(at=T0)
    new["evses"][1]["connectors"].append(connector("3", T1))
    new["evses"][1]["last_updated"] = T1
    new["evses"].append(evse("4000", at=T1))
    new["last_updated"] = T1
    ops = roundtrip([location()], [new])
    assert [(op.method, op.path) for op in ops] == [("PUT", "/NL/TNM/LOC1/3257/3"), ("PUT", "/NL/TNM/LOC1/4000")]


def test_vanished_evse_is_patched_removed() -> None:
    new = location()
    del new["evses"][1]
    new["last_updated"] = T1
    ops = roundtrip([location()], [new])
    assert ops_summary(ops) == [("PATCH", "/NL/TNM/LOC1/3257", {"status": "REMOVED", "last_updated": T1})]


def test_vanished_connector_puts_the_parent_evse() -> None:
    new = location()
    del new["evses"][0]["connectors"][0]
    new["evses"][0]["last_updated"] = T1
    new["last_updated"] = T1
    [op] = roundtrip([location()], [new])
    assert (op.method, op.path) == ("PUT", "/NL/TNM/LOC1/3256")
    assert json.loads(op.body) == new["evses"][0]


def test_removed_field_puts_the_location_keeping_vanished_evses_removed() -> None:
    new = location()
    del new["name"]
    del new["evses"][1]
    new["last_updated"] = T1
    [op] = roundtrip([location()], [new])
    assert (op.method, op.path) == ("PUT", "/NL/TNM/LOC1")
    body = json.loads(op.body)
    assert "name" not in body
    assert [(e["uid"], e["status"]) for e in body["evses"]] == [("3256", "AVAILABLE"), ("3257", "REMOVED")]


def test_vanished_location_patches_its_evses_removed_at_the_given_time() -> None:
    ops = diff_locations([location("LOC1"), location("LOC2")], [location("LOC1")],
                         removed_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))
    assert ops_summary(ops) == [
        ("PATCH", "/NL/TNM/LOC2/3256", {"status": "REMOVED", "last_updated": "2024-03-01T12:00:00Z"}),
        ("PATCH", "/NL/TNM/LOC2/3257", {"status": "REMOVED", "last_updated": "2024-03-01T12:00:00Z"}),
    ]
    default = diff_locations([location("LOC1"), location("LOC2")], [location("LOC1", T1)])
    assert {json.loads(op.body)["last_updated"] for op in default if op.location_id == "LOC2"} == {T1}


def test_bytes_str_and_lists_give_the_same_operations() -> None:
    old, new = [location()], [location(at=T1)]
    from_lists = diff_locations(old, new)
    assert from_lists
    assert diff_locations(json.dumps(old).encode(), json.dumps(new).encode()) == from_lists
    assert diff_locations(json.dumps(old, indent=2), json.dumps(new)) == from_lists
    assert ocpi_engine._core.diff_locations(json.dumps(old), json.dumps(new)) == from_lists


def test_numbers_are_compared_exactly_and_by_value() -> None:
    old = location()
    old["evses"][0]["connectors"][0]["max_electric_power"] = Decimal("150000")
    same = copy.deepcopy(old)
    same["evses"][0]["connectors"][0]["max_electric_power"] = Decimal("1.5E+5")
    assert diff_locations([old], [same]) == []
    beyond_float = copy.deepcopy(old)
    beyond_float["evses"][0]["connectors"][0]["max_electric_power"] = Decimal("150000.00000000000000000001")
    [op] = diff_locations([old], [beyond_float])
    assert op.body == b'{"last_updated":"2024-01-01T00:00:00Z","max_electric_power":150000.00000000000000000001}'
    [applied] = apply_location_ops([old], [op])
    assert applied["evses"][0]["connectors"][0]["max_electric_power"] == Decimal("150000.00000000000000000001")


def test_errors_name_the_snapshot_index_and_field() -> None:
    one = location()
    with pytest.raises(InvalidInputError, match=r"new\[1\]\.id.*expected a string"):
        diff_locations([one], [one, {**location(), "id": 7}])
    with pytest.raises(InvalidInputError, match=r"old\[1\].*duplicate location NL/TNM/LOC1.*old\[0\]"):
        diff_locations([one, one], [])
    with pytest.raises(InvalidInputError, match=r"new\[0\].*line 1"):
        diff_locations(b"[]", b'[{"country_code": "NL",]')
    with pytest.raises(InvalidInputError, match=r"new\[0\]\.evses\[1\]"):
        changed = location(at=T1)
        changed["evses"][1] = {"status": "AVAILABLE"}
        diff_locations([one], [changed])
    with pytest.raises(InvalidInputError, match="list of Locations"):
        diff_locations({"not": "a list"}, [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="not JSON-encodable"):
        diff_locations([{"id": object()}], [])


def test_apply_rejects_a_patch_of_an_unknown_location() -> None:
    [op] = diff_locations([location()], [location(at=T1)])[-1:]
    with pytest.raises(InvalidInputError, match="unknown location"):
        apply_location_ops([], [op])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=4)
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
stamps = st.sampled_from([T0, T1, "2024-03-01T00:00:00Z", "2024-03-01T00:00:00.5"])
connectors = st.fixed_dictionaries(
    {"id": st.sampled_from(["1", "2", "3"]), "last_updated": stamps},
    optional={"standard": st.sampled_from(["IEC_62196_T2", "CHADEMO"]), "max_voltage": st.integers(0, 1000),
              "max_electric_power": json_values, "tariff_ids": st.lists(st.sampled_from(["11", "12"]), max_size=2)},
)
evses = st.fixed_dictionaries(
    {"uid": st.sampled_from(["A", "B", "C"]), "status": st.sampled_from(["AVAILABLE", "CHARGING", "REMOVED"]),
     "last_updated": stamps},
    optional={"connectors": st.lists(connectors, max_size=3, unique_by=lambda c: c["id"]),
              "floor_level": st.sampled_from(["0", "-1"]), "coordinates": json_values},
)
locations = st.fixed_dictionaries(
    {"country_code": st.sampled_from(["NL", "BE"]), "party_id": st.just("TNM"),
     "id": st.sampled_from(["1", "2", "3"]), "last_updated": stamps},
    optional={"name": json_values, "publish": st.booleans(), "evses": st.lists(evses, max_size=3, unique_by=lambda e: e["uid"]),
              "opening_times": json_values},
)
snapshots = st.lists(locations, max_size=5, unique_by=lambda loc: (loc["country_code"], loc["id"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots)
def test_diff_of_a_snapshot_with_itself_is_empty(snapshot: list[dict[str, Any]]) -> None:
    assert diff_locations(snapshot, snapshot) == []
    reordered = [{k: loc[k] for k in reversed(list(loc))} for loc in snapshot]
    pretty = msgspec.json.format(_encoder.encode(snapshot), indent=3)
    assert diff_locations(pretty, reordered) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots, snapshots)
def test_applying_the_diff_gives_the_new_snapshot(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    ops = diff_locations(old, new)
    assert all(op.method in ("PUT", "PATCH") for op in ops)
    assert all("last_updated" in json.loads(op.body) for op in ops if op.method == "PATCH")
    assert_equivalent(apply_location_ops(old, ops), new)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_garbage_raises_an_engine_error_never_a_panic(data: bytes) -> None:
    try:
        diff_locations(data, b"[]")
        diff_locations(b"[]", data)
    except EngineError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=4))
def test_wrong_shapes_raise_an_engine_error(snapshot: list[Any]) -> None:
    try:
        diff_locations(snapshot, [])
        diff_locations([], snapshot)
    except EngineError:
        pass
