"""What people type into the organisation's forms, read as the API's schemas expect."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from techmarket.web.entry import beijing_text, beijing_time, fen, items, yuan_text
from techmarket.web.my_achievements import reason_text


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1,234,567.89", 123_456_789),
        ("¥12", 1200),
        ("１２", 1200),  # full-width digits, as a Chinese keyboard may give
        ("0.5", 50),
        (None, None),
        ("12.345", "12.345"),  # no fractions of a fen: refused by the schema, as typed
        ("一百", "一百"),
        ("NaN", "NaN"),
    ],
)
def test_amounts_in_yuan_become_fen(typed: str | None, read: int | str | None) -> None:
    assert fen(typed) == read


def test_amounts_are_shown_again_as_typed() -> None:
    assert yuan_text(123_456_789) == "1234567.89"
    assert yuan_text(120_000_000) == "1200000"
    assert fen(yuan_text(1)) == 1


def test_lists_split_as_in_the_bulk_import_or_by_line() -> None:
    assert items("张三、李四；王五;赵六\r\n孙七\n") == ["张三", "李四", "王五", "赵六", "孙七"]
    assert items(None) == []


def test_times_are_read_in_beijing_time() -> None:
    at = beijing_time("2026-12-31T18:00")
    assert at == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert isinstance(at, datetime) and beijing_text(at) == "2026-12-31T18:00"
    assert beijing_time("明天") == "明天"


def test_the_platforms_own_reasons_are_shown_in_chinese() -> None:
    assert reason_text("trade declined: 价格过低") == "交易未获成果转化办公室批准：价格过低"
    assert reason_text("imported") == "批量导入"
    assert reason_text("专利权属待确认") == "专利权属待确认"
    assert reason_text(None) is None
