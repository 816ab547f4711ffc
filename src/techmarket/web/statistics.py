"""The statistics page: the market's figures at a glance, then deals and listings by
pricing mode, industry, region and month, each as a chart beside its table and as CSV.

The figures are ``stats.market_stats``, the service behind ``GET /api/v1/stats``; this
module only arranges them into tables (one definition serves the page and its CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from techmarket import stats
from techmarket.db import Session
from techmarket.deps import AppSettings, Now
from techmarket.errors import NotFound
from techmarket.models.trade import TradeMode
from techmarket.spreadsheets import Cell, csv_text
from techmarket.web import places
from techmarket.web.charts import Series, bar_chart, line_chart
from techmarket.web.display import yuan_short
from techmarket.web.home import MEMBER_KINDS
from techmarket.web.labels import label
from techmarket.web.templating import render

router = APIRouter()

CHART_BARS = 12  # more categories than this: the chart shows the largest, the table all
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 (Chinese intact) only after this mark


@dataclass(frozen=True)
class Column:
    name: str
    money: bool = False  # integer fen: shown in yuan


@dataclass(frozen=True)
class Table:
    """One set of figures: a chart, its rows (a label, then numbers) and their CSV."""

    slug: str
    caption: str
    columns: tuple[Column, ...]  # the first names the rows' labels
    rows: list[tuple[Any, ...]]
    chart: Markup
    links: tuple[str | None, ...] = ()  # per row, a page its label links to

    def csv(self) -> str:
        header = [f"{c.name}（元）" if c.money else c.name for c in self.columns]
        return BOM + csv_text(
            header,
            (
                [_csv_cell(c, v) for c, v in zip(self.columns, row, strict=True)]
                for row in self.rows
            ),
        )


def _csv_cell(column: Column, value: Any) -> Cell:
    if column.money:
        whole, cents = divmod(value, 100)  # exact: fen to yuan without a float
        return f"{whole}.{cents:02d}"
    return value if isinstance(value, int) else str(value)


DEAL_COLUMNS = (Column("成交数"), Column("成交金额", money=True))


def _by_volume(figures: Mapping[str, Mapping[str, int]]) -> list[tuple[str, int, int]]:
    rows = [(key, v["count"], v["volume_fen"]) for key, v in figures.items()]
    return sorted(rows, key=lambda r: (-r[2], -r[1], r[0]))


def _chart_title(caption: str, rows: Sequence[Any]) -> str:
    return caption if len(rows) <= CHART_BARS else f"{caption}（前{CHART_BARS}位）"


def _deal_table(
    slug: str, caption: str, head: str, rows: Sequence[tuple[str, int, int]], **extra: Any
) -> Table:
    shown = rows[:CHART_BARS]
    chart = bar_chart(
        slug,
        f"{_chart_title(caption, rows)}：成交金额",
        [r[0] for r in shown],
        [Series("成交金额", [r[2] for r in shown])],
        yuan_short,
    )
    return Table(slug, caption, (Column(head), *DEAL_COLUMNS), list(rows), chart, **extra)


def _months(keys: Sequence[str]) -> list[str]:
    """Every month (``2026-11``) from the earliest to the latest of ``keys``."""
    if not keys:
        return []
    year, month = map(int, min(keys).split("-"))
    last = max(keys)
    out = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        out.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{year}年{int(month)}月"


def _listing_rows(
    achievements: Mapping[str, int], demands: Mapping[str, int], name: Callable[[str], str]
) -> list[tuple[str, int, int]]:
    keys = sorted(
        set(achievements) | set(demands),
        key=lambda k: (-(achievements.get(k, 0) + demands.get(k, 0)), k),
    )
    return [(name(k), achievements.get(k, 0), demands.get(k, 0)) for k in keys]


def _listing_table(
    slug: str, caption: str, head: str, rows: Sequence[tuple[str, int, int]]
) -> Table:
    shown = rows[:CHART_BARS]
    chart = bar_chart(
        slug,
        _chart_title(caption, rows),
        [r[0] for r in shown],
        [Series("科技成果", [r[1] for r in shown]), Series("企业需求", [r[2] for r in shown])],
    )
    columns = (Column(head), Column("已发布科技成果"), Column("征集中的企业需求"))
    return Table(slug, caption, columns, list(rows), chart)


def _deals_by_month(figures: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """(month, count, volume, volume of each mode) for every month from the first deal's
    to the last's, those without deals too."""
    rows = []
    for month in _months(list(figures)):
        entry = figures.get(month, {"count": 0, "volume_fen": 0, "by_mode": {}})
        modes = entry["by_mode"]
        volumes = (modes[m.value]["volume_fen"] if m.value in modes else 0 for m in TradeMode)
        rows.append((_month_label(month), entry["count"], entry["volume_fen"], *volumes))
    return rows


def deal_tables(deals: Mapping[str, Any]) -> list[Table]:
    """Deals by pricing mode, month of conclusion, industry, province, city and seller."""
    zero = {"count": 0, "volume_fen": 0}
    by_mode = [
        (label(mode), *(deals["by_mode"].get(mode.value, zero)[k] for k in ("count", "volume_fen")))
        for mode in TradeMode
    ]
    by_month = _deals_by_month(deals["by_month"])
    month_chart = line_chart(
        "deals-by-month",
        "成交按月份：各交易方式的成交金额",
        [r[0] for r in by_month],
        [Series(label(mode), [r[3 + i] for r in by_month]) for i, mode in enumerate(TradeMode)],
        yuan_short,
    )
    sellers = deals["top_sellers"]
    return [
        _deal_table("deals-by-mode", "成交按交易方式", "交易方式", by_mode),
        Table(
            "deals-by-month",
            "成交按月份（北京时间）",
            (
                Column("月份"),
                *DEAL_COLUMNS,
                *(Column(f"{label(mode)}金额", money=True) for mode in TradeMode),
            ),
            by_month,
            month_chart,
        ),
        _deal_table(
            "deals-by-industry",
            "成交按行业",
            "行业",
            [(label(k, "industry"), n, v) for k, n, v in _by_volume(deals["by_industry"])],
        ),
        _deal_table(
            "deals-by-province",
            "成交按省份",
            "省份",
            [(places.name(k), n, v) for k, n, v in _by_volume(deals["by_province"])],
        ),
        _deal_table(
            "deals-by-city",
            "成交按城市",
            "城市",
            [(places.name(k), n, v) for k, n, v in _by_volume(deals["by_city"])],
        ),
        _deal_table(
            "top-sellers",
            f"成交金额居前的{len(sellers)}家机构" if sellers else "成交金额居前的机构",
            "机构",
            [(s["name"], s["count"], s["volume_fen"]) for s in sellers],
            links=tuple(f"/orgs/{s['org_id']}" for s in sellers),
        ),
    ]


def listing_tables(achievements: Mapping[str, Any], demands: Mapping[str, Any]) -> list[Table]:
    """Published achievements and open demands by industry, province and city; both as
    published month by month."""
    months = _months(list(achievements["by_month"]) + list(demands["by_month"]))
    by_month = [
        (_month_label(m), achievements["by_month"].get(m, 0), demands["by_month"].get(m, 0))
        for m in months
    ]
    month_chart = line_chart(
        "listings-by-month",
        "每月新发布的成果与需求",
        [r[0] for r in by_month],
        [
            Series("科技成果", [r[1] for r in by_month]),
            Series("企业需求", [r[2] for r in by_month]),
        ],
    )
    return [
        _listing_table(
            "listings-by-industry",
            "成果与需求按行业",
            "行业",
            _listing_rows(
                achievements["by_industry"], demands["by_industry"], lambda k: label(k, "industry")
            ),
        ),
        _listing_table(
            "listings-by-province",
            "成果与需求按省份",
            "省份",
            _listing_rows(achievements["by_province"], demands["by_province"], places.name),
        ),
        _listing_table(
            "listings-by-city",
            "成果与需求按城市",
            "城市",
            _listing_rows(achievements["by_city"], demands["by_city"], places.name),
        ),
        Table(
            "listings-by-month",
            "每月新发布的成果与需求（北京时间）",
            (Column("月份"), Column("新发布科技成果"), Column("新发布企业需求")),
            by_month,
            month_chart,
        ),
    ]


def headline(figures: Mapping[str, Any]) -> list[str]:
    """The market in two sentences, as the platform reports it ("1,304 trades, ¥495M
    (agreement ¥320M, listed ¥18M, auction ¥157M)")."""
    deals = figures["deals"]
    if deals["count"]:
        parts = "，".join(
            f"{label(mode)} {yuan_short(deals['by_mode'][mode.value]['volume_fen'])}"
            for mode in TradeMode
            if mode.value in deals["by_mode"]
        )
        volume = yuan_short(deals["volume_fen"])
        sold = f"累计成交 {deals['count']:,} 项，成交金额 {volume}（{parts}）。"
    else:
        sold = "尚无成交。"
    verified = figures["organisations"]["verified_by_kind"]
    institutions = sum(verified.get(kind.value, 0) for kind in MEMBER_KINDS)
    held = (
        f"已发布科技成果 {figures['achievements']['published']:,} 项，"
        f"征集中的企业需求 {figures['demands']['open']:,} 项，认证机构 {institutions:,} 家。"
    )
    return [sold, held]


async def _tables(
    session: Session, now: Now, settings: AppSettings
) -> tuple[dict[str, Any], list[Table], list[Table]]:
    figures = await stats.market_stats(session, now, settings.received_threshold_fen)
    return (
        figures,
        deal_tables(figures["deals"]),
        listing_tables(figures["achievements"], figures["demands"]),
    )


@router.get("/stats")
async def statistics(
    request: Request, session: Session, now: Now, settings: AppSettings
) -> HTMLResponse:
    figures, deals, listings = await _tables(session, now, settings)
    return render(
        request,
        "stats.html",
        {
            "headline": headline(figures),
            "deal_tables": deals,
            "listing_tables": listings,
            "received": figures["received"],
        },
    )


@router.get("/stats/{slug}.csv")
async def statistics_csv(slug: str, session: Session, now: Now, settings: AppSettings) -> Response:
    """One table of the page as CSV (UTF-8 with BOM, no cell read as a formula)."""
    _, deals, listings = await _tables(session, now, settings)
    table = next((t for t in (*deals, *listings) if t.slug == slug), None)
    if table is None:
        raise NotFound("没有这张统计表")
    return Response(
        table.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="techmarket-{slug}.csv"'},
    )
