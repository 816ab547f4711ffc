"""How values are shown: yuan, Beijing time, page links, labels for every vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest
from starlette.datastructures import URL

from techmarket.web import display, labels


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (123_456_789, "¥1,234,567.89"),
        (5, "¥0.05"),
        (100, "¥1.00"),
        (0, "¥0.00"),
        (-250, "-¥2.50"),
        (49_500_000_000, "¥495,000,000.00"),
    ],
)
def test_yuan_from_fen(fen: int, shown: str) -> None:
    assert display.yuan(fen) == shown


def test_missing_money_is_said_so() -> None:
    assert display.yuan(None, "面议") == "面议"


def test_times_are_shown_in_beijing_time() -> None:
    late_evening_utc = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    assert display.local_time(late_evening_utc) == "2026-11-24 00:30"
    assert display.local_date(late_evening_utc) == "2026-11-24"
    with pytest.raises(ValueError):
        display.local_time(datetime(2026, 11, 23, 16, 30))


def test_page_links_keep_the_query() -> None:
    url = URL("http://test/achievements?q=电池&industry=new_materials&cursor=abc")
    assert display.page_url(url, "def") == (
        "/achievements?q=%E7%94%B5%E6%B1%A0&industry=new_materials&cursor=def"
    )
    assert (
        display.page_url(url, None) == "/achievements?q=%E7%94%B5%E6%B1%A0&industry=new_materials"
    )


def test_every_value_of_every_vocabulary_has_a_chinese_label() -> None:
    for name, known in labels.VOCABULARIES.items():
        enum: type[StrEnum] = type(next(iter(known)))
        for member in enum:
            text = labels.label(member)
            assert text != member.value, f"{name}.{member.value} has no label"
            assert labels.label(member.value, name) == text  # plain strings too


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(days=15), "15 天"),
        (timedelta(days=14, hours=23, minutes=59), "14 天 23 小时"),
        (timedelta(hours=2, seconds=5), "2 小时"),
        (timedelta(minutes=1, seconds=30), "1 分 30 秒"),
        (timedelta(seconds=1), "1 秒"),
        (timedelta(0), "已到期"),
        (timedelta(minutes=-5), "已到期"),
    ],
)
def test_time_left_shows_the_two_largest_units(left: timedelta, shown: str) -> None:
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert display.time_left(now + left, now) == shown
