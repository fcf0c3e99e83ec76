"""The own-data import mechanism: a KIND registered with one line, validated like OCPI input, all or nothing,
through `import_lines`, the admin API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.api.bodies import decode_body
from ocpi_engine.cli import main
from ocpi_engine.models._base import CiString36, DateTime, OcpiStruct, normalize_datetime
from ocpi_engine.services import importer
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord
from ocpi_engine.storage.sqlite import SqliteStore


class Widget(OcpiStruct):
    id: CiString36
    size: int
    last_updated: DateTime


def widget_record(line: bytes, settings: Settings) -> ObjectRecord:
    widget = decode_body(line, Widget)
    return ObjectRecord(module="widgets", country_code=settings.country_code, party_id=settings.party_id,
                        id=widget.id, last_updated=normalize_datetime(widget.last_updated),
                        body=msgspec.json.encode(widget))


written: list[int] = []


async def after_write(context: Any, records: list[ObjectRecord]) -> None:
    written.append(len(records))


@pytest.fixture(autouse=True)
def widgets() -> Iterator[None]:
    importer.register_importer(importer.Importer(kind="widgets", to_record=widget_record, after_write=after_write))
    written.clear()
    yield
    importer._IMPORTERS.pop("widgets", None)


def line(i: int, size: Any = 1) -> bytes:
    return json.dumps({"id": f"W{i}", "size": size, "last_updated": "2024-01-01T00:00:00Z"}).encode()


async def test_import_validates_everything_then_writes_once(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.sqlite3"))
    await store.open()
    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.sqlite3")
    result = await importer.import_lines("widgets", [line(1), b"", line(2)], store=store, settings=settings)
    assert (result.imported, result.created) == (2, 2)
    assert written == [2]
    with pytest.raises(importer.InvalidParametersError) as info:
        await importer.import_lines("widgets", [line(3), line(4, size="big"), b"{nope"], store=store,
                                    settings=settings)
    assert "line 2" in info.value.message and "`size`" in info.value.message and "line 3" in info.value.message
    assert (await store.list_objects("widgets")).total == 2  # nothing of the bad file was written
    with pytest.raises(importer.InvalidParametersError, match="unknown import kind 'gadgets'.*widgets"):
        await importer.import_lines("gadgets", [line(1)], store=store, settings=settings)


async def test_admin_import_endpoint(app: Litestar, client: AsyncTestClient[Litestar]) -> None:
    headers = {"Authorization": "Bearer admin-secret-token"}
    response = await client.post("/admin/import/widgets", content=line(1) + b"\n" + line(2), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"kind": "widgets", "imported": 2, "created": 2}
    bad = await client.post("/admin/import/widgets", content=line(3, size=[1]), headers=headers)
    assert bad.status_code == 400 and bad.json()["status_code"] == 2001
    assert (await client.post("/admin/import/widgets", content=line(1))).status_code == 401
    assert (await client.post("/admin/import/widgets", content=line(1),
                              headers={"Authorization": "Bearer wrong"})).status_code == 401


def test_cli_import_without_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCPI_ENGINE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("OCPI_ENGINE_PORT", "9")  # nothing listens: the CLI works on the store directly
    source = tmp_path / "w.jsonl"
    source.write_bytes(line(1) + b"\n" + line(2) + b"\n")
    result = CliRunner().invoke(main, ["import", "widgets", str(source)])
    assert result.exit_code == 0, result.output
    assert "imported 2 widgets (2 new)" in result.output
    source.write_bytes(line(5, size="x") + b"\n")
    failed = CliRunner().invoke(main, ["import", "widgets", str(source)])
    assert failed.exit_code == 1 and "nothing imported" in failed.output
