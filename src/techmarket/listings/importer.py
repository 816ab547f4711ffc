"""Bulk import of an institution's patent inventory from CSV or XLSX.

Every row is validated like a single achievement; the result is a per-row report. By
default an import is all-or-nothing; ``partial`` keeps the valid rows. Imported records
are drafts of the importing organisation (publish them as usual)."""

from __future__ import annotations

import asyncio
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
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import spreadsheets
from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.errors import DomainError, InvalidInput, PayloadTooLarge
from techmarket.listings import repository as repo
from techmarket.listings.achievements import new_achievement
from techmarket.listings.schemas import AchievementCreate
from techmarket.listings.taxonomy import INDUSTRY_LABELS, IP_TYPE_LABELS, TRANSFER_MODE_LABELS

MAX_ROWS = 100_000
MAX_BYTES = 50 * 2**20
# An XLSX is a zip of XML: bound what it expands to, and how far (a zip bomb packs
# gigabytes of XML into kilobytes; real workbooks compress about ten to one).
MAX_EXPANDED = 200 * 2**20
MAX_RATIO = 100
MAX_CELL = 10_000  # characters; the longest field (a summary) takes 5,000
MAX_COLUMNS = 64  # more than every column the layout knows, with room for notes
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
# Cells are text; money is a strict integer everywhere else, so the import converts it.
FEN_FIELDS = ("asking_price_fen",)
LABELS = {
    "ip_type": {v: k.value for k, v in IP_TYPE_LABELS.items()},
    "industry": {v: k.value for k, v in INDUSTRY_LABELS.items()},
    "transfer_modes": {v: k.value for k, v in TRANSFER_MODE_LABELS.items()},
}


class UnreadableUpload(InvalidInput):
    code = "unreadable_upload"
    title = "The file cannot be read as CSV or XLSX"


class ImportTooLarge(PayloadTooLarge):
    code = "import_too_large"
    title = "The file is too large to import"


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
    sample = resources.files("techmarket.listings").joinpath("import_sample.csv")
    header, *rows = csv.reader(io.StringIO(sample.read_text("utf-8"), newline=""))
    return spreadsheets.csv_text(header, rows)


def split_list(value: str) -> list[str]:
    for separator in ("；", "、", "|"):
        value = value.replace(separator, ";")
    return [part.strip() for part in value.split(";") if part.strip()]


def read_rows(content: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, raw values by field) for every data row.
    CPU-bound on a large file: run it off the event loop."""
    if len(content) > MAX_BYTES:
        raise ImportTooLarge(f"the file is larger than {MAX_BYTES // 2**20} MiB")
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
        values = {}
        for column, (f, cell) in enumerate(zip(fields, cells, strict=False), start=1):
            value = "" if cell is None else str(cell).strip()
            if len(value) > MAX_CELL:
                raise UnreadableUpload(
                    f"row {number}, column {column}: more than {MAX_CELL} characters in a cell"
                )
            if f is not None:
                values[f] = value
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
    reader = csv.reader(io.StringIO(text))
    try:
        yield from reader
    except csv.Error as exc:  # a bare CR in an unquoted field, a cell over csv's limit …
        raise UnreadableUpload(f"CSV line {reader.line_num}: {exc}") from None


def _xlsx(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    _check_expansion(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # hostile XML fails in many ways inside openpyxl
        raise UnreadableUpload(f"not a readable XLSX workbook: {_reason(exc)}") from None
    try:
        if not book.worksheets:
            raise UnreadableUpload("the workbook has no worksheet")
        sheet = book.active if book.active in book.worksheets else book.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        number = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # malformed XML, a forbidden entity, a bad cell
                raise UnreadableUpload(
                    f"sheet {sheet.title!r}, after row {number}: unreadable XML ({_reason(exc)})"
                ) from None
            number += 1
            yield [_cell(c) for c in row]
    finally:
        book.close()


def _reason(exc: BaseException) -> str:
    """What the XML parser found (openpyxl wraps it in a generic message)."""
    cause = exc.__cause__ or exc.__context__ or exc
    return f"{type(cause).__name__}: {cause}"


def _check_expansion(content: bytes) -> None:
    """Refuse a workbook that expands too far before anything reads it. zipfile stops at
    each member's declared size, so the declared sizes bound the real ones."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableUpload(f"not a readable XLSX workbook: {exc}") from None
    expanded = sum(m.file_size for m in members)
    if expanded > MAX_EXPANDED:
        raise ImportTooLarge(f"the workbook expands to more than {MAX_EXPANDED // 2**20} MiB")
    for m in members:
        if m.file_size > 2**20 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise ImportTooLarge(
                f"{m.filename} expands {m.file_size // max(m.compress_size, 1)} times "
                f"(at most {MAX_RATIO}): not a workbook as spreadsheets save them"
            )


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
        elif name in FEN_FIELDS and raw.isascii() and raw.isdigit():
            data[name] = int(raw)
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


Validated = tuple[list[RowResult], list[tuple[RowResult, dict[str, Any]]]]


def _validate(
    content: bytes,
    principal: Principal,
    now: datetime,
    seen: set[str],
    progress: Callable[[int], None] | None,
) -> Validated:
    """Every row's result, and the new records of the valid ones."""
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
    return results, valid


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
    seen = await repo.listed_patent_numbers(session, principal.org.id)
    # Parsing, validating and segmenting thousands of rows is CPU work: off the event loop,
    # which goes on serving everyone else meanwhile.
    results, valid = await asyncio.to_thread(_validate, content, principal, now, seen, progress)
    failed = sum(1 for r in results if r.errors)
    report = Report(total=len(results), created=0, failed=failed, rows=results)
    if failed and not partial:
        raise ImportRejected(report)
    for start in range(0, len(valid), BATCH):
        batch = valid[start : start + BATCH]
        rows = [values for _, values in batch]
        ids = await repo.insert_drafts(session, rows, principal.user.id, "imported", now)
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
