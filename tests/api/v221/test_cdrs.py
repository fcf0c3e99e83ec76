"""CDRs module 2.2.1 (cdrs.md): eMSP Receiver POST -> Location -> GET, immutability, Credit CDRs, the eMSP's
re-pricing and reconciliation (golden corpus CDR + tariff pairs), the admin and CLI views, the CPO Sender list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth

RECEIVER = "/ocpi/2.2.1/emsp/cdrs"
SENDER = "/ocpi/2.2.1/cpo/cdrs"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXAMPLE = Path("/work/shared/ocpi-spec/examples/2.2.1/cdr_example.json")
_decode = msgspec.json.Decoder(float_hook=Decimal).decode


def spec_cdr(cdr_id: str = "12345", **extra: Any) -> dict[str, Any]:
    """The spec's CDR example (its own tariff 12) sent by DE/ABC."""
    cdr = _decode(EXAMPLE.read_bytes()) if EXAMPLE.exists() else _decode(
        (FIXTURES / "spec__cdr_example_221" / "cdr.json").read_bytes())
    return {**cdr, "country_code": "DE", "party_id": "ABC", "id": cdr_id, **extra}


def send(value: dict[str, Any]) -> bytes:
    return msgspec.json.Encoder(decimal_format="number").encode(value)


def headers(token: str) -> dict[str, str]:
    return {**auth(token), "Content-Type": "application/json"}


async def post(client: AsyncTestClient[Litestar], token: str, cdr: dict[str, Any]) -> Any:
    return await client.post(RECEIVER, content=send(cdr), headers=headers(token))


async def reconciliations(app: Litestar) -> list[dict[str, Any]]:
    return [_decode(r.body) for r in await app.state.store.list_reconciliations()]


async def test_post_answers_location_and_get_returns_the_cdr(app: Litestar, client: AsyncTestClient[Litestar],
                                                             register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    response = await post(client, cpo, spec_cdr())
    assert response.status_code == 201, response.text
    assert response.json()["status_code"] == 1000 and "data" not in response.json()
    location = response.headers["location"]
    assert location == "https://ocpi.example.com/ocpi/2.2.1/emsp/cdrs/DE/ABC/12345"
    got = await client.get(location.removeprefix("https://ocpi.example.com"), headers=auth(cpo))
    assert got.status_code == 200
    data = _decode(got.content)["data"]
    assert data["id"] == "12345" and data["total_cost"] == {"excl_vat": Decimal("4.00"), "incl_vat": Decimal("4.40")}
    assert data["tariffs"][0]["elements"][0]["price_components"][0]["price"] == Decimal("2.00")
    [report] = await reconciliations(app)
    assert report["status"] == "ok" and report["tariff_source"] == "cdr" and report["differences"] == []


async def test_get_is_party_isolated(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, abc = await register_partner(("CPO", "DE", "ABC"), name="abc")
    _, xyz = await register_partner(("CPO", "DE", "XYZ"), name="xyz")
    await post(client, abc, spec_cdr())
    assert (await client.get(f"{RECEIVER}/DE/ABC/12345", headers=auth(xyz))).status_code == 404
    assert (await client.get(f"{RECEIVER}/DE/ABC/NOPE", headers=auth(abc))).status_code == 404
    # a CDR under a party the caller does not hold is refused
    refused = await post(client, xyz, spec_cdr("X1"))
    assert refused.status_code == 400 and refused.json()["status_code"] == 2001


async def test_cdrs_are_immutable(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    assert (await post(client, cpo, spec_cdr())).status_code == 201
    again = await post(client, cpo, spec_cdr())  # a retry whose answer was lost: accepted, nothing changes
    assert again.status_code == 200 and again.headers["location"].endswith("/DE/ABC/12345")
    changed = await post(client, cpo, spec_cdr(remark="changed"))
    assert changed.status_code == 400 and changed.json()["status_code"] == 2001
    assert "Credit CDR" in changed.json()["status_message"]
    got = _decode((await client.get(f"{RECEIVER}/DE/ABC/12345", headers=auth(cpo))).content)["data"]
    assert "remark" not in got
    assert len(await reconciliations(app)) == 1


async def test_credit_cdr(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    await post(client, cpo, spec_cdr())
    negated = {"excl_vat": Decimal("-4.00"), "incl_vat": Decimal("-4.40")}
    credit = spec_cdr("12345-C", credit=True, credit_reference_id="12345", total_cost=negated,
                      total_time_cost=negated)
    assert (await post(client, cpo, credit)).status_code == 201
    wrong = spec_cdr("12345-D", credit=True, credit_reference_id="12345",
                     total_cost={"excl_vat": Decimal("-3.00")})
    assert (await post(client, cpo, wrong)).status_code == 201
    reports = {r["cdr_id"]: r for r in await reconciliations(app)}
    assert reports["12345-C"]["status"] == "ok"
    assert reports["12345-D"]["status"] == "discrepancy"
    assert reports["12345-D"]["differences"][0]["field"] == "total_cost.excl_vat"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credit": True}, "credit_reference_id"),
        ({"credit": True, "credit_reference_id": "12345"}, "credit_reference_id"),  # credits itself
        ({"credit_reference_id": "OTHER"}, "credit_reference_id"),
        ({"credit": True, "credit_reference_id": "OTHER", "id": "C1"}, "total_cost"),  # positive credit
        ({"total_cost": {"excl_vat": "NaN"}}, "total_cost"),
        ({"charging_periods": []}, "charging_periods"),
        ({"charging_periods": [{"start_date_time": "2015-06-29T21:39:09Z",
                                "dimensions": [{"type": "STATE_OF_CHARGE", "volume": 50}]}]}, "charging_periods"),
        ({"currency": "eur"}, "currency"),
        ({"end_date_time": "2015-06-29T20:00:00Z"}, "end_date_time"),
        ({"start_date_time": "2015-06-29T21:39:09+02:00"}, "start_date_time"),
        ({"id": "x" * 40}, "id"),
    ],
)
async def test_invalid_cdr_is_2001_naming_the_field_and_stores_nothing(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, change: dict[str, Any], field: str,
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    cdr = spec_cdr()
    cdr.update(change)
    for key in [k for k, v in change.items() if v is None]:
        del cdr[key]
    response = await post(client, cpo, cdr)
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 2001
    assert f"`{field}" in response.json()["status_message"], response.json()["status_message"]
    assert (await app.state.store.list_objects("cdrs")).total == 0
    assert await reconciliations(app) == []


# -- reconciliation against held tariffs, golden corpus pairs ---------------------------------------------------------
CORPUS = ["spec__ex1_simple_2hour_2_5h", "spec__ex4_complex_monday", "spec__ex10_parking_start_20kwh_40min",
          "spec__ex13_3hour_5parking", "spec__ex6_max_price_30kwh", "tandemdrive__grace_period_parking_time__cdr",
          "tandemdrive__step_size_energy__cdr1"]


def corpus_pair(case: str) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """A corpus CDR completed into a full OCPI CDR sent by DE/ABC (the corpus keeps only what pricing reads),
    without its own tariffs; the corpus tariff(s) owned by DE/ABC; the expected time zone."""
    folder = FIXTURES / case
    cdr = _decode((folder / "cdr.json").read_bytes())
    tariffs = _decode((folder / "tariff.json").read_bytes())
    tariffs = tariffs if isinstance(tariffs, list) else [tariffs]
    zone = _decode((folder / "expected.json").read_bytes()).get("time_zone")
    for number, tariff in enumerate(tariffs):
        tariff.update(country_code="DE", party_id="ABC", id=str(tariff.get("id") or f"T{number}"))
        tariff.setdefault("last_updated", "2020-01-01T00:00:00Z")
    start = dt.datetime.fromisoformat(cdr["start_date_time"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(cdr["end_date_time"].replace("Z", "+00:00"))
    energy = sum((d["volume"] for p in cdr["charging_periods"] for d in p["dimensions"] if d["type"] == "ENERGY"),
                 Decimal(0))
    cdr.pop("tariffs", None)
    location = cdr.get("cdr_location") or {}
    full = {
        "country_code": "DE", "party_id": "ABC", "id": case[-36:], "cdr_token": {
            "country_code": "NL", "party_id": "OCE", "uid": "012345678", "type": "RFID", "contract_id": "NL-OCE-1"},
        "auth_method": "WHITELIST", "total_energy": energy,
        "total_time": Decimal((end - start).total_seconds()) / Decimal(3600),
        "last_updated": cdr["end_date_time"], **cdr, "country_code": "DE", "party_id": "ABC",
        "cdr_location": {"id": "LOC1", "address": "Street 1", "city": "Town", "country": location.get("country", "NLD"),
                         "coordinates": {"latitude": "52.37403", "longitude": "4.88969"}, "evse_uid": "E1",
                         "evse_id": "NL*ABC*E1", "connector_id": "1", "connector_standard": "IEC_62196_T2",
                         "connector_format": "SOCKET", "connector_power_type": "AC_3_PHASE"},
    }
    if len(tariffs) == 1:
        for period in full["charging_periods"]:
            period["tariff_id"] = tariffs[0]["id"]
    return full, tariffs, zone


async def hold(app: Litestar, partner_id: int, module: str, obj: dict[str, Any]) -> None:
    await app.state.store.put_object(ObjectRecord(
        module=module, country_code="DE", party_id="ABC", id=obj["id"], last_updated="2020-01-01T00:00:00.000000Z",
        body=send(obj), partner_id=partner_id))


@pytest.mark.parametrize("case", CORPUS)
async def test_correct_cdr_priced_against_held_tariff_has_no_discrepancy_and_tampering_is_reported(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, case: str,
) -> None:
    partner, cpo = await register_partner(("CPO", "DE", "ABC"))
    cdr, tariffs, zone = corpus_pair(case)
    for tariff in tariffs:
        await hold(app, partner.id, "tariffs", tariff)
    if zone is not None:
        await hold(app, partner.id, "locations", {"id": "LOC1", "time_zone": zone})
    response = await post(client, cpo, cdr)
    assert response.status_code == 201, response.text
    tampered = {**cdr, "id": "TAMPERED", "total_cost": {**cdr["total_cost"],
                                                         "excl_vat": cdr["total_cost"]["excl_vat"] + Decimal("0.02")}}
    assert (await post(client, cpo, tampered)).status_code == 201
    good, bad = await reconciliations(app)
    assert good["status"] == "ok", good
    assert good["tariff_source"] == "held" and good["differences"] == []
    assert bad["status"] == "discrepancy"
    [difference] = bad["differences"]
    assert difference["field"] == "total_cost.excl_vat" and difference["difference"] == Decimal("-0.02")


async def test_unpriceable_cdr_is_stored_and_recorded(app: Litestar, client: AsyncTestClient[Litestar],
                                                      register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    cdr = spec_cdr()
    del cdr["tariffs"]
    assert (await post(client, cpo, cdr)).status_code == 201
    broken = spec_cdr("B1", tariffs=[{"id": "12", "currency": "EUR", "elements": "nonsense"}])
    assert (await post(client, cpo, broken)).status_code == 201
    first, second = await reconciliations(app)
    assert first["status"] == "unpriced" and "no tariff" in first["message"]
    assert second["status"] == "unpriced" and "engine" in second["message"]


async def test_admin_and_cli_list_discrepancies(app: Litestar, client: AsyncTestClient[Litestar],
                                                register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    await post(client, cpo, spec_cdr())
    await post(client, cpo, spec_cdr("BAD", total_cost={"excl_vat": Decimal("5.00"), "incl_vat": Decimal("5.50")}))
    admin = {"Authorization": "Bearer admin-secret-token"}
    listed = (await client.get("/admin/cdrs/discrepancies", headers=admin)).json()["data"]
    assert [r["report"]["cdr_id"] for r in listed] == ["BAD"]
    assert {d["field"] for d in listed[0]["report"]["differences"]} == {"total_cost.excl_vat", "total_cost.incl_vat"}
    everything = (await client.get("/admin/cdrs/discrepancies?status=all", headers=admin)).json()["data"]
    assert [r["report"]["status"] for r in everything] == ["ok", "discrepancy"]
    after = (await client.get(f"/admin/cdrs/discrepancies?status=all&after={everything[0]['seq']}",
                              headers=admin)).json()["data"]
    assert len(after) == 1
    bad = await client.get("/admin/cdrs/discrepancies?status=weird", headers=admin)
    assert bad.status_code == 400 and "`status`" in bad.json()["status_message"]
    assert (await client.get("/admin/cdrs/discrepancies")).status_code == 401


def test_cli_discrepancies_reads_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from click.testing import CliRunner

    from ocpi_engine.cli import main
    from ocpi_engine.storage.base import ReconciliationRecord
    from ocpi_engine.storage.sqlite import SqliteStore

    async def seed() -> None:
        store = SqliteStore(str(tmp_path / "cli.sqlite3"))
        await store.open()
        report = {"country_code": "DE", "party_id": "ABC", "cdr_id": "C9", "status": "discrepancy",
                  "tariff_source": "held", "differences": [{"field": "total_cost.excl_vat", "stated": 5,
                                                            "computed": 4, "difference": -1}]}
        await store.add_reconciliation(ReconciliationRecord(partner_id=1, country_code="DE", party_id="ABC",
                                                            cdr_id="C9", status="discrepancy", body=send(report)))
        await store.close()

    asyncio.run(seed())
    monkeypatch.setenv("OCPI_ENGINE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("OCPI_ENGINE_ADMIN_TOKEN", "x")
    result = CliRunner().invoke(main, ["--port", "1", "cdrs", "discrepancies"])
    assert result.exit_code == 0, result.output
    assert "DE/ABC/C9" in result.output and "total_cost.excl_vat" in result.output


async def test_sender_lists_our_cdrs_and_importer_keeps_them_immutable(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any,
) -> None:
    from ocpi_engine.errors import InvalidParametersError
    from ocpi_engine.services.importer import import_lines

    _, emsp = await register_partner(("EMSP", "DE", "TNM"))  # owns the spec CDR's token
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    await post(client, cpo, spec_cdr("THEIRS"))
    own = [send({**spec_cdr(f"OWN{i}"), "country_code": "NL", "party_id": "OCE"}) for i in range(3)]
    state = app.state
    result = await import_lines("cdrs", own, store=state.store, settings=state.settings, context=state)
    assert result.imported == 3
    listed = await client.get(SENDER, headers=auth(emsp))
    assert [c["id"] for c in listed.json()["data"]] == ["OWN0", "OWN1", "OWN2"]
    again = await import_lines("cdrs", own[:1], store=state.store, settings=state.settings, context=state)
    assert again.created == 0
    changed = send({**spec_cdr("OWN0", remark="x"), "country_code": "NL", "party_id": "OCE"})
    with pytest.raises(InvalidParametersError, match="Credit CDR"):
        await import_lines("cdrs", [changed], store=state.store, settings=state.settings, context=state)
