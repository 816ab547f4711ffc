"""Bulk import: per-row reports, all-or-nothing, partial, XLSX, bad uploads, the CLI."""

import asyncio
import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from techmarket.cli import app
from techmarket.listings import patent_numbers
from techmarket.listings.importer import sample_csv
from techmarket.models.listing import Achievement
from techmarket.models.org import OrgKind
from tests.factories import Account, account, make_org, make_user

HEADER = [
    "title",
    "summary",
    "ip_type",
    "patent_numbers",
    "industry",
    "region_code",
    "trl",
    "transfer_modes",
    "asking_price_fen",
    "inventors",
    "keywords",
]


def patent(n: int) -> str:
    digits = f"2024{1}{n:07d}"
    return f"{digits}.{patent_numbers.check_character(digits)}"


def row(n: int, **overrides: str) -> list[str]:
    values = {
        "title": f"专利成果第{n}号：一种新型传感器封装结构",
        "summary": "提高传感器可靠性",
        "ip_type": "发明专利",
        "patent_numbers": patent(n),
        "industry": "电子信息",
        "region_code": "330106",
        "trl": "5",
        "transfer_modes": "转让；普通许可",
        "asking_price_fen": str(100_000 + n),
        "inventors": "张三;李四",
        "keywords": "传感器",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def as_csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def _import(
    client: httpx.AsyncClient,
    who: Account,
    content: bytes,
    name: str = "inventory.csv",
    **params: str,
) -> httpx.Response:
    return await client.post(
        "/api/v1/achievements/import",
        files={"file": (name, content)},
        params=params,
        headers=who.headers,
    )


async def _count(session: AsyncSession, org_id: int) -> int:
    stmt = select(func.count()).select_from(Achievement).where(Achievement.org_id == org_id)
    return int(await session.scalar(stmt) or 0)


@pytest.fixture
async def university(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.university)


async def test_a_clean_file_imports_every_row_as_drafts(
    client: httpx.AsyncClient, session: AsyncSession, university: Account
) -> None:
    response = await _import(client, university, as_csv([row(1), row(2), row(3)]))
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["total"], report["created"], report["failed"]) == (3, 3, 0)
    assert [r["row"] for r in report["rows"]] == [2, 3, 4]
    first = (
        await client.get(
            f"/api/v1/achievements/{report['rows'][0]['id']}", headers=university.headers
        )
    ).json()
    assert first["status"] == "draft"
    assert first["ip_type"] == "invention_patent"  # Chinese labels accepted
    assert first["transfer_modes"] == ["assignment", "ordinary_licence"]
    assert first["patent_numbers"] == [patent(1)]


async def test_one_bad_row_imports_nothing_and_says_why(
    client: httpx.AsyncClient, session: AsyncSession, university: Account
) -> None:
    rows = [row(1), row(2, trl="12"), row(3, patent_numbers="ZL 2024 1 0000003.0"), row(4)]
    response = await _import(client, university, as_csv(rows))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "import_rejected"
    failures = {r["row"]: r["errors"] for r in problem["report"]["rows"] if r["errors"]}
    assert list(failures) == [3, 4]
    assert failures[3][0].startswith("trl:")
    assert "patent_numbers.0" in failures[4][0]
    assert "check character" in failures[4][0]
    assert await _count(session, university.org.id) == 0


async def test_partial_keeps_the_valid_rows(
    client: httpx.AsyncClient, session: AsyncSession, university: Account
) -> None:
    rows = [row(1), row(2, industry="太空采矿"), row(3)]
    response = await _import(client, university, as_csv(rows), partial="true")
    assert response.status_code == 201
    report = response.json()
    assert (report["created"], report["failed"]) == (2, 1)
    assert report["rows"][1]["id"] is None
    assert report["rows"][1]["errors"][0].startswith("industry:")
    assert await _count(session, university.org.id) == 2


async def test_duplicate_patents_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, university: Account
) -> None:
    assert (await _import(client, university, as_csv([row(1)]))).status_code == 201
    again = await _import(client, university, as_csv([row(2), row(1), row(2)]), partial="true")
    errors = [r["errors"] for r in again.json()["rows"]]
    assert errors[0] == []
    assert "already listed" in errors[1][0]  # from the earlier import
    assert "already listed" in errors[2][0]  # twice in this file


async def test_xlsx_and_gbk_csv(
    client: httpx.AsyncClient, session: AsyncSession, university: Account
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "标题",
            "摘要",
            "知识产权类型",
            "专利号",
            "行业",
            "地区代码",
            "技术成熟度",
            "转化方式",
            "挂牌价格(分)",
        ]
    )
    sheet.append(
        [
            "一种水稻抗倒伏育种方法",
            "高产",
            "发明专利",
            patent(7),
            "现代农业",
            510104,
            4,
            "转让",
            900000,
        ]
    )
    xlsx = io.BytesIO()
    book.save(xlsx)
    response = await _import(client, university, xlsx.getvalue(), name="inventory.xlsx")
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 1

    gbk = await _import(client, university, as_csv([row(8)], encoding="gb18030"))
    assert gbk.status_code == 201, gbk.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"PK\x03\x04 not really a zip", "XLSX"),
        ("名字,别的\n甲,乙\n".encode(), "title"),
    ],
)
async def test_malformed_uploads_get_a_clear_4xx(
    client: httpx.AsyncClient, university: Account, content: bytes, message: str
) -> None:
    response = await _import(client, university, content)
    assert response.status_code == 422
    assert response.json()["code"] == "unreadable_upload"
    assert message in response.json()["detail"]


async def test_import_needs_a_verified_listing_organisation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    auditor = await account(session, client, kind=OrgKind.auditor)
    response = await _import(client, auditor, as_csv([row(1)]))
    assert response.status_code == 403
    assert (
        await client.post("/api/v1/achievements/import", files={"file": ("x.csv", b"")})
    ).status_code == 401


async def test_the_shipped_sample_imports(client: httpx.AsyncClient, university: Account) -> None:
    template = await client.get("/api/v1/achievements/import/template")
    assert template.headers["content-type"].startswith("text/csv")
    assert template.text == sample_csv()
    response = await _import(client, university, template.content)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2


async def test_ten_thousand_rows_in_well_under_a_minute(
    client: httpx.AsyncClient, session: AsyncSession, university: Account
) -> None:
    content = as_csv([row(n) for n in range(10_000)])
    started = time.perf_counter()
    response = await _import(client, university, content)
    elapsed = time.perf_counter() - started
    assert response.status_code == 201
    assert response.json()["created"] == 10_000
    assert elapsed < 30, f"took {elapsed:.1f} s"
    found = await client.get(
        "/api/v1/achievements",
        params={"org_id": university.org.id, "status": "draft", "q": "传感器", "limit": 5},
        headers=university.headers,
    )
    assert len(found.json()["items"]) == 5


async def test_cli_import_with_a_report(
    env: Callable[..., None],
    database_url: str,
    committed: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    async with committed.begin() as s:
        org = await make_org(s, OrgKind.university)
        await make_user(s, org)
    org_id = org.id
    env(database_url=database_url)
    runner = CliRunner()

    def invoke(*args: str) -> Any:  # the CLI runs its own event loop: give it a thread
        return asyncio.to_thread(runner.invoke, app, list(args))

    good = tmp_path / "good.csv"
    good.write_bytes(as_csv([row(1), row(2)]))
    result = await invoke("import", "achievements", str(good), "--org", str(org_id))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 invalid, of 2 rows" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([row(3), row(4, trl="x")]))
    result = await invoke("import", "achievements", str(bad), "--org", str(org_id))
    assert result.exit_code == 1
    assert "row 3: trl" in result.output
    result = await invoke("import", "achievements", str(bad), "--org", str(org_id), "--partial")
    assert "1 created, 1 invalid, of 2 rows" in result.output
    template = await invoke("import", "template")
    assert template.output.startswith("title,summary,ip_type")
