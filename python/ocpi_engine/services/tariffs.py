"""Tariffs use cases (tariffs.md): the CPO's own tariffs (Sender list, import) and the eMSP's copies of the
tariffs CPOs push (Receiver GET/PUT/DELETE; 2.1.1 also PATCH, translated in one atomic update)."""

from __future__ import annotations

from typing import Any

from ocpi_engine.errors import InvalidParametersError, NotFoundError
from ocpi_engine.models._base import normalize_datetime
from ocpi_engine.models.tariffs_convert import downgrade_tariff, upgrade_tariff
from ocpi_engine.models.v211 import tariffs as v211
from ocpi_engine.models.v221.tariffs import Tariff, tariff_decoder
from ocpi_engine.services.importer import Importer, register_importer
from ocpi_engine.services.locations import DowngradeCache, convert_checked, decode_object, encoder, to_dict
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, Store

__all__ = ["MODULE", "TariffService", "downgraded", "tariff_record"]

MODULE = "tariffs"

downgraded = DowngradeCache(lambda body: encoder.encode(downgrade_tariff(tariff_decoder.decode(body))))


def tariff_record(tariff: Tariff, partner_id: int | None) -> ObjectRecord:
    return ObjectRecord(
        module=MODULE, country_code=tariff.country_code.upper(), party_id=tariff.party_id.upper(), id=tariff.id,
        last_updated=normalize_datetime(tariff.last_updated), body=encoder.encode(tariff), partner_id=partner_id,
    )


class TariffService:
    """Stateless over the store; build one per request (`TariffService(request.app.state.store)`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, country_code: str, party_id: str, tariff_id: str) -> ObjectRecord:
        record = await self.store.get_object(MODULE, country_code.upper(), party_id.upper(), tariff_id)
        if record is None:
            raise NotFoundError(f"unknown tariff {tariff_id}")
        return record

    async def put(self, tariff: Tariff, *, partner_id: int | None) -> bool:
        """Create or replace; True when new."""
        return await self.store.put_object(tariff_record(tariff, partner_id))

    async def delete(self, country_code: str, party_id: str, tariff_id: str) -> None:
        if not await self.store.delete_object(MODULE, country_code.upper(), party_id.upper(), tariff_id):
            raise NotFoundError(f"unknown tariff {tariff_id}")

    async def patch_v211(self, country_code: str, party_id: str, tariff_id: str, changes: dict[str, Any], *,
                         partner_id: int | None) -> None:
        """2.1.1 PATCH: merged into the 2.1.1 form of the stored tariff, validated, upgraded; only the sent
        fields replace the stored ones (2.2.1-only data such as VAT or min_price stays unless `elements` is
        sent). One atomic update."""

        def change(record: ObjectRecord | None) -> ObjectRecord:
            if record is None:
                raise NotFoundError(f"unknown tariff {tariff_id}: PUT it first")
            current = tariff_decoder.decode(record.body)
            merged = convert_checked({**to_dict(downgrade_tariff(current)), **changes}, v211.Tariff)
            fields = to_dict(upgrade_tariff(merged, country_code=country_code, party_id=party_id))
            new = convert_checked({**to_dict(current), **{key: fields.get(key) for key in changes}}, Tariff)
            if new.id.upper() != current.id.upper():
                raise InvalidParametersError("invalid field `id`: a PATCH cannot change a tariff's id", field="id")
            return tariff_record(new, partner_id)

        await self.store.update_object(MODULE, country_code.upper(), party_id.upper(), tariff_id, change)


def check_owner(tariff: Tariff, country_code: str, party_id: str, field: str = "country_code") -> None:
    if (tariff.country_code.upper(), tariff.party_id.upper()) != (country_code.upper(), party_id.upper()):
        raise InvalidParametersError(
            f"invalid field `{field}`: tariff {tariff.id} belongs to {tariff.country_code}/{tariff.party_id}, "
            f"not to {country_code}/{party_id}", field=field)


def _import_record(line: bytes, settings: Settings) -> ObjectRecord:
    """The platform's own tariffs (it is the CPO): validated like a PUT, and owned by our party."""
    tariff = decode_object(line, tariff_decoder)
    check_owner(tariff, settings.country_code, settings.party_id)
    return tariff_record(tariff, None)


register_importer(Importer(kind=MODULE, to_record=_import_record,
                           description="the platform's own (CPO) tariffs, OCPI 2.2.1 Tariff objects"))

