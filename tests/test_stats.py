"""Market statistics over HTTP: deals by city, by month of conclusion (Beijing time) and
the top sellers, as /api/v1/stats returns them next to its older figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.clock import FixedClock
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from tests.factories import Account, account
from tests.trading.helpers import agreement_on_notice

# The notice of 15 days ends at 16:30 UTC on 30 November: 00:30 on 1 December in Beijing.
ACCEPTED = datetime(2026, 11, 15, 16, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(ACCEPTED)


async def concluded_deals(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    seller_name: str = "杭州测试大学",
) -> tuple[Account, Account]:
    """Two agreement deals of 900,000 fen each, concluded at the end of their notice: one
    by ``seller_name`` (an achievement in Hangzhou), one by another seller (Chengdu)."""
    seller, other, buyer = [await account(session, client) for _ in range(3)]
    seller.org.name = seller_name
    await session.commit()
    await agreement_on_notice(client, seller, buyer)
    await agreement_on_notice(client, other, buyer, region_code="510104")
    clock.advance(timedelta(days=15))
    await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS)
    await session.commit()
    return seller, other


async def test_deals_by_city_month_and_seller(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller, other = await concluded_deals(client, session, sessionmaker, clock)

    deals = (await client.get("/api/v1/stats")).json()["deals"]
    one = {"count": 1, "volume_fen": 900_000}
    assert deals["count"] == 2 and deals["volume_fen"] == 1_800_000  # as before
    assert deals["by_province"] == {"330000": one, "510000": one}
    assert deals["by_city"] == {"330100": one, "510100": one}
    # Concluded on 30 November in UTC, which is 1 December in China.
    assert deals["by_month"] == {
        "2026-12": {
            "count": 2,
            "volume_fen": 1_800_000,
            "by_mode": {"agreement": {"count": 2, "volume_fen": 1_800_000}},
        }
    }
    sellers = deals["top_sellers"]
    assert [(s["org_id"], s["count"], s["volume_fen"]) for s in sellers] == [
        (seller.org.id, 1, 900_000),
        (other.org.id, 1, 900_000),
    ]
    assert sellers[0]["name"] == "杭州测试大学"


async def test_statistics_page_states_the_market_and_draws_its_charts(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    await concluded_deals(client, session, sessionmaker, clock)

    page = await client.get("/stats")
    assert page.status_code == 200
    html = page.text
    # The headline, computed: two deals of ¥9,000 each, both by agreement pricing.
    assert "累计成交 2 项，成交金额 ¥1.8万（协议定价 ¥1.8万）。" in html
    assert html.count('role="img"') == 10  # a chart per table
    assert '<title id="deals-by-city-title">成交按城市：成交金额</title>' in html
    assert "浙江省 杭州市" in html and "四川省 成都市" in html
    assert "2026年12月" in html  # the month of conclusion, in Beijing time
    assert 'href="/stats/deals-by-mode.csv"' in html


async def test_csv_opens_in_excel_with_chinese_and_runs_no_formula(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    formula = '=HYPERLINK("http://evil.example","点击")'
    await concluded_deals(client, session, sessionmaker, clock, seller_name=formula)

    response = await client.get("/stats/top-sellers.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="techmarket-top-sellers.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["机构", "成交数", "成交金额（元）"]
    assert ["'" + formula, "1", "9000.00"] in rows  # text, never a formula
    assert len(rows) == 3

    by_mode = await client.get("/stats/deals-by-mode.csv")
    assert list(csv.reader(io.StringIO(by_mode.content.decode("utf-8-sig")))) == [
        ["交易方式", "成交数", "成交金额（元）"],
        ["协议定价", "2", "18000.00"],
        ["挂牌交易", "0", "0.00"],
        ["竞价拍卖", "0", "0.00"],
        ["一键许可", "0", "0.00"],
    ]


async def test_an_unknown_table_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/stats/passwords.csv")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


async def test_the_openapi_declares_the_figures(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    declared = spec["paths"]["/api/v1/stats"]["get"]["responses"]["200"]["content"]
    assert declared["application/json"]["schema"] == {"$ref": "#/components/schemas/MarketStats"}
    deals = spec["components"]["schemas"]["DealStats"]["properties"]
    assert {"by_mode", "by_city", "by_month", "top_sellers", "count", "volume_fen"} <= set(deals)
