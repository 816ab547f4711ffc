"""The statistics page's tables from figures as /api/v1/stats gives them (no database)."""

from __future__ import annotations

from typing import Any

from techmarket.web.statistics import CHART_BARS, deal_tables


def _deals(**figures: Any) -> dict[str, Any]:
    empty: dict[str, Any] = {"by_mode": {}, "by_industry": {}, "by_province": {}, "by_city": {}}
    return {**empty, "by_month": {}, "top_sellers": [], **figures}


def _table(tables: list[Any], slug: str) -> Any:
    return next(t for t in tables if t.slug == slug)


def test_months_without_deals_are_shown_as_none_across_the_new_year() -> None:
    agreement = {
        "count": 1,
        "volume_fen": 500,
        "by_mode": {"agreement": {"count": 1, "volume_fen": 500}},
    }
    auction = {
        "count": 1,
        "volume_fen": 700,
        "by_mode": {"auction": {"count": 1, "volume_fen": 700}},
    }
    tables = deal_tables(_deals(by_month={"2026-11": agreement, "2027-02": auction}))
    months = _table(tables, "deals-by-month")
    assert [c.name for c in months.columns] == [
        "月份",
        "成交数",
        "成交金额",
        "协议定价金额",
        "挂牌交易金额",
        "竞价拍卖金额",
        "一键许可金额",
    ]
    assert months.rows == [
        ("2026年11月", 1, 500, 500, 0, 0, 0),
        ("2026年12月", 0, 0, 0, 0, 0, 0),
        ("2027年1月", 0, 0, 0, 0, 0, 0),
        ("2027年2月", 1, 700, 0, 0, 700, 0),
    ]
    assert months.chart.count("2026年12月") == 1  # its place on the chart's axis too


def test_many_cities_chart_the_largest_and_tabulate_all() -> None:
    cities = {f"33{n:02d}00": {"count": 1, "volume_fen": 100 * n} for n in range(1, 16)}
    table = _table(deal_tables(_deals(by_city=cities)), "deals-by-city")
    assert len(table.rows) == 15
    assert table.rows[0][2] == 1500  # the largest first
    assert table.chart.count('class="bar"') == CHART_BARS
    assert f"成交按城市（前{CHART_BARS}位）：成交金额</title>" in table.chart
