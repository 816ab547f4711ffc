"""Bulk import of an institution's patent inventory from CSV or XLSX.

Every row is validated like a single achievement; the result is a per-row report. By
default an import is all-or-nothing; ``partial`` keeps the valid rows. Imported records
are drafts of the importing organisation (publish them as usual)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.errors import DomainError, InvalidInput
from techmarket.listings.achievements import new_achievement
from techmarket.listings.schemas import AchievementCreate
from techmarket.listings.taxonomy import INDUSTRY_LABELS, IP_TYPE_LABELS, TRANSFER_MODE_LABELS
from techmarket.models.listing import Achievement, AchievementEvent, AchievementStatus

MAX_ROWS = 100_000
MAX_BYTES = 50 * 2**20
BATCH = 1000

# Column → field; Chinese headers are accepted too.
COLUMNS = {
    "title": "title", "标题": "title", "成果名称": "title",
    "summary": "summary", "摘要": "summary", "成果简介": "summary",
    "ip_type": "ip_type", "知识产权类型": "ip_type",
    "patent_numbers": "patent_numbers", "专利号": "patent_numbers", "申请号": "patent_numbers",
    "industry": "industry", "行业": "industry",
    "region_code": "region_code", "地区代码": "region_code",
    "trl": "trl", "技术成熟度": "trl",
    "transfer_modes": "transfer_modes", "转化方式": "transfer_modes",
    "asking_price_fen": "asking_price_fen", "挂牌价格(分)": "asking_price_fen",
    "inventors": "inventors", "发明人": "inventors",
    "keywords": "keywords", "关键词": "keywords",
    "poc_centre": "poc_centre", "概念验证中心": "poc_centre",
    "poc_date": "poc_date", "概念验证日期": "poc_date",
    "poc_result": "poc_result", "概念验证结果": "poc_result",
}  # fmt: skip
LIST_FIELDS = ("patent_numbers", "transfer_modes", "inventors", "keywords")
LABELS = {
    "ip_type": {v: k.value for k, v in IP_TYPE_LABELS.items()},
    "industry": {v: k.value for k, v in INDUSTRY_LABELS.items()},
    "transfer_modes": {v: k.value for k, v in TRANSFER_MODE_LABELS.items()},
}


class UnreadableUpload(InvalidInput):
    code = "unreadable_upload"
    title = "The file cannot be read as CSV or XLSX"


@dataclass(frozen=True)
class Problem:
    """What is wrong in a row: the field (``patent_numbers.0``; empty: the row), the
    message, and the error in pydantic's shape (type ``already_listed`` for a repeated
    patent number), for messages in other languages."""

    field: str
    message: str
    error: ErrorDetails


@dataclass
class RowResult:
    row: int
    id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{p.field or 'row'}: {p.message}" for p in self.problems]


@dataclass
class Report:
    total: int
    created: int
    failed: int
    rows: list[RowResult]


class ImportRejected(DomainError):
    code, status, title = "import_rejected", 422, "Some rows are invalid; nothing was imported"

    def __init__(self, report: Report) -> None:
        super().__init__(
            f"{report.failed} of {report.total} rows are invalid; nothing was imported",
            report=report_dict(report),
        )
        self.report = report


def sample_csv() -> str:
    """The documented column layout, with two example rows."""
    return resources.files("techmarket.listings").joinpath("import_sample.csv").read_text("utf-8")


def split_list(value: str) -> list[str]:
    for separator in ("；", "、", "|"):
        value = value.replace(separator, ";")
    return [part.strip() for part in value.split(";") if part.strip()]


def read_rows(content: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, raw values by field) for every data row."""
    if len(content) > MAX_BYTES:
        raise UnreadableUpload(f"the file is larger than {MAX_BYTES // 2**20} MiB")
    is_zip = content[:4] == b"PK\x03\x04"  # XLSX is a zip archive
    table = _xlsx(content) if is_zip else _csv(content)
    try:
        header = next(table)
    except StopIteration:
        raise UnreadableUpload("the file is empty") from None
    fields = [COLUMNS.get(str(name or "").strip()) for name in header]
    if "title" not in fields:
        raise UnreadableUpload("no 'title' (标题) column in the first row")
    for number, cells in enumerate(table, start=2):
        if number - 1 > MAX_ROWS:
            raise UnreadableUpload(f"more than {MAX_ROWS} rows")
        values = {
            f: "" if cell is None else str(cell).strip()
            for f, cell in zip(fields, cells, strict=False)
            if f is not None
        }
        if any(values.values()):
            yield number, values


def _csv(content: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030/GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableUpload("CSV must be UTF-8 or GB18030 text")
    if "\x00" in text:
        raise UnreadableUpload("binary data is not CSV")
    yield from csv.reader(io.StringIO(text))


def _xlsx(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableUpload(f"not a readable XLSX workbook: {exc}") from None
    try:
        for row in book.active.iter_rows(values_only=True):
            yield [_cell(c) for c in row]
    finally:
        book.close()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_row(values: dict[str, str]) -> AchievementCreate:
    """One row as an achievement; raises ValidationError saying which field is wrong."""
    data: dict[str, Any] = {}
    for name, raw in values.items():
        if name.startswith("poc_") or raw == "":
            continue
        if name in LIST_FIELDS:
            items = split_list(raw)
            data[name] = [LABELS.get(name, {}).get(i, i) for i in items]
        else:
            data[name] = LABELS.get(name, {}).get(raw, raw)
    if any(values.get(k) for k in ("poc_centre", "poc_date", "poc_result")):
        data["proof_of_concept"] = {
            "centre": values.get("poc_centre", ""),
            "date": values.get("poc_date", ""),
            "result": values.get("poc_result", ""),
        }
    return AchievementCreate.model_validate(data)


def _problems(exc: ValidationError) -> list[Problem]:
    return [Problem(".".join(str(p) for p in e["loc"]), e["msg"], e) for e in exc.errors()]


async def _listed_patent_numbers(session: AsyncSession, org_id: int) -> set[str]:
    number = func.unnest(Achievement.patent_numbers)
    stmt = select(number).where(
        Achievement.org_id == org_id, Achievement.status != AchievementStatus.withdrawn
    )
    return set((await session.execute(stmt)).scalars())


async def import_achievements(
    session: AsyncSession,
    principal: Principal,
    content: bytes,
    now: datetime,
    *,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Validate every row and create drafts; see the module docstring."""
    authorize(principal, Action.listing_manage, principal.org.id)
    seen = await _listed_patent_numbers(session, principal.org.id)
    results: list[RowResult] = []
    valid: list[tuple[RowResult, dict[str, Any]]] = []
    for number, values in read_rows(content):
        result = RowResult(number)
        results.append(result)
        try:
            data = parse_row(values)
        except ValidationError as exc:
            result.problems = _problems(exc)
        else:
            repeated = [n for n in data.patent_numbers if n in seen]
            if repeated:
                message = f"{', '.join(repeated)} already listed"
                result.problems = [
                    Problem(
                        "patent_numbers",
                        message,
                        ErrorDetails(
                            type="already_listed",
                            loc=("patent_numbers",),
                            msg=message,
                            input=repeated,
                        ),
                    )
                ]
            else:
                seen.update(data.patent_numbers)
                valid.append((result, new_achievement(principal, data, now)))
        if progress:
            progress(1)
    failed = sum(1 for r in results if r.errors)
    report = Report(total=len(results), created=0, failed=failed, rows=results)
    if failed and not partial:
        raise ImportRejected(report)
    for start in range(0, len(valid), BATCH):
        batch = valid[start : start + BATCH]
        ids = (
            (
                await session.execute(
                    insert(Achievement).returning(Achievement.id, sort_by_parameter_order=True),
                    [values for _, values in batch],
                )
            )
            .scalars()
            .all()
        )
        await session.execute(
            insert(AchievementEvent),
            [
                {
                    "achievement_id": i,
                    "at": now,
                    "by_user_id": principal.user.id,
                    "from_status": None,
                    "to_status": AchievementStatus.draft.value,
                    "reason": "imported",
                }
                for i in ids
            ],
        )
        for (result, _), new_id in zip(batch, ids, strict=True):
            result.id = new_id
    report.created = len(valid)
    return report


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "total": report.total,
        "created": report.created,
        "failed": report.failed,
        "rows": [{"row": r.row, "id": r.id, "errors": r.errors} for r in report.rows],
    }
