"""Hostile imports: each is refused with what is wrong and where, never a 500; parsing
leaves the server serving; formulas never go back out as formulas."""

import asyncio
import csv
import io
import threading
import zipfile

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import spreadsheets
from techmarket.listings import importer
from techmarket.models.org import OrgKind
from tests.conftest import START
from tests.factories import Account, account
from tests.listings.test_import import HEADER, _import, as_csv, row
from tests.trading.helpers import enterprise


@pytest.fixture
async def university(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.university)


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite(xlsx: bytes, member: str, content: bytes) -> bytes:
    """The workbook with one of its parts replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = content if info.filename == member else source.read(info)
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def _sheet_xml(xlsx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return archive.read(SHEET)


async def _refused(
    client: httpx.AsyncClient, who: Account, content: bytes, name: str, status: int = 422
) -> str:
    response = await _import(client, who, content, name=name)
    assert response.status_code == status, response.text
    return str(response.json()["detail"])


async def test_a_bare_cr_inside_a_csv_field(client: httpx.AsyncClient, university: Account) -> None:
    content = as_csv([row(1)]).replace("提高传感器可靠性".encode(), "提高\r可靠性".encode())
    detail = await _refused(client, university, content, "inventory.csv")
    assert "CSV line 2" in detail
    assert "new-line character seen in unquoted field" in detail


async def test_a_csv_cell_over_the_csv_modules_limit(
    client: httpx.AsyncClient, university: Account
) -> None:
    content = as_csv([row(1, summary="长" * 200_000)])
    detail = await _refused(client, university, content, "inventory.csv")
    assert "CSV line 2" in detail
    assert "field larger than field limit" in detail


async def test_a_cell_over_the_import_limit(client: httpx.AsyncClient, university: Account) -> None:
    content = as_csv([row(1), row(2, keywords="词" * (importer.MAX_CELL + 1))])
    detail = await _refused(client, university, content, "inventory.csv")
    assert f"row 3, column 11: more than {importer.MAX_CELL} characters" in detail


async def test_an_xlsx_with_malformed_xml(client: httpx.AsyncClient, university: Account) -> None:
    good = _xlsx([row(1)])
    broken = _sheet_xml(good).replace(b"</sheetData>", b"<row><c></sheetData>")
    detail = await _refused(client, university, _rewrite(good, SHEET, broken), "inventory.xlsx")
    assert "sheet 'Sheet', after row" in detail
    assert "unreadable XML" in detail


async def test_an_xlsx_with_an_external_entity(
    client: httpx.AsyncClient, university: Account
) -> None:
    good = _xlsx([row(1)])
    xml = _sheet_xml(good).split(b"?>", 1)[-1]  # after any XML declaration
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        + xml.replace(b"<sheetData>", b"<sheetData>&xxe;")
    )
    detail = await _refused(client, university, _rewrite(good, SHEET, evil), "inventory.xlsx")
    assert "EntitiesForbidden" in detail
    assert "file:///etc/hostname" in detail  # named, never read


async def test_an_xlsx_without_a_worksheet(client: httpx.AsyncClient, university: Account) -> None:
    good = _xlsx([row(1)])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        workbook = archive.read("xl/workbook.xml")
    start = workbook.index(b"<sheets>")
    end = workbook.index(b"</sheets>") + len(b"</sheets>")
    empty = workbook[:start] + b"<sheets/>" + workbook[end:]
    detail = await _refused(
        client, university, _rewrite(good, "xl/workbook.xml", empty), "inventory.xlsx"
    )
    assert "no worksheet" in detail


async def test_a_zip_bomb_is_too_large(client: httpx.AsyncClient, university: Account) -> None:
    good = _xlsx([row(1)])
    padded = _sheet_xml(good).replace(b"<sheetData>", b"<sheetData>" + b" " * 16 * 2**20)
    bomb = _rewrite(good, SHEET, padded)
    assert len(bomb) < 100_000
    response = await _import(client, university, bomb, name="inventory.xlsx")
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "import_too_large"
    assert f"at most {importer.MAX_RATIO}" in response.json()["detail"]


async def test_the_server_serves_while_an_import_is_parsed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    principal = await enterprise(session)
    parsing, served = threading.Event(), threading.Event()
    answered_meanwhile: list[bool] = []

    def progress(rows: int) -> None:
        if not parsing.is_set():
            parsing.set()
            # Hold the parsing until the server answered someone else: on the event loop
            # itself, nobody could be answered and the wait runs out.
            answered_meanwhile.append(served.wait(10))

    importing = asyncio.create_task(
        importer.import_achievements(
            session, principal, as_csv([row(1), row(2)]), START, progress=progress
        )
    )
    assert await asyncio.to_thread(parsing.wait, 10)
    health = await client.get("/healthz")
    served.set()
    assert health.status_code == 200
    assert (await importing).created == 2
    assert answered_meanwhile == [True]


async def test_formula_cells_are_exported_as_text(
    client: httpx.AsyncClient, university: Account
) -> None:
    formulas = ['=HYPERLINK("http://evil","点我")', "+1+2", "-2+3", "@SUM(A1)"]
    content = as_csv([row(n, title=f) for n, f in enumerate(formulas, start=1)])
    imported = await _import(client, university, content, partial="true")
    assert imported.status_code == 201, imported.text
    titles = []
    for result in imported.json()["rows"]:
        got = await client.get(f"/api/v1/achievements/{result['id']}", headers=university.headers)
        titles.append(got.json()["title"])
    assert titles == formulas  # stored as given
    exported = spreadsheets.csv_text(["title", "trl"], [[t, 5] for t in titles])
    rows = list(csv.reader(io.StringIO(exported)))
    assert [r[0] for r in rows[1:]] == [f"'{f}" for f in formulas]
    assert {r[1] for r in rows[1:]} == {"5"}


async def test_the_template_goes_through_the_export_writer(
    client: httpx.AsyncClient,
) -> None:
    template = await client.get("/api/v1/achievements/import/template")
    header, *rows = list(csv.reader(io.StringIO(template.text)))
    assert template.text == spreadsheets.csv_text(header, rows)
