"""The statistics page in Chromium: the headline, charts and tables as /api/v1/stats has
them, a CSV downloaded, and the page on a phone.

The demo's concluded deals are agreements, so the set-up sells two achievements by listed
trading through the API (a listing of a few seconds with one intent becomes a deal at its end)."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect
from websockets.asyncio.client import connect

from techmarket.web.display import yuan, yuan_short
from techmarket.web.labels import label
from tests.listings.fixtures import achievement
from tests.web.browser import DemoLogin, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

BUYER = "buyer@weilai.demo.techmarket.cn"
# Universities whose admin is also their TTO: one person lists, approves and sells.
SELLERS = (
    ("admin@nbu.demo.techmarket.cn", "330212", "marine", 120_000_000),
    ("admin@wmu.demo.techmarket.cn", "330302", "health_medicine", 85_000_000),
)
LISTING = timedelta(seconds=10)  # long enough for the intent to be registered in time
_serial = itertools.count(1)


async def _headers(api: httpx.AsyncClient, login: DemoLogin) -> dict[str, str]:
    issued = await api.post(
        "/auth/token", data={"username": login.email, "password": login.password}
    )
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


async def _ok(response: Any) -> dict[str, Any]:
    answer: httpx.Response = await response
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


async def _sell(
    api: httpx.AsyncClient,
    seller: dict[str, str],
    buyer: dict[str, str],
    region: str,
    industry: str,
    price: int,
) -> int:
    """List a new achievement at ``price`` for a few seconds; the buyer registers intent."""
    title = f"{label(industry, 'industry')}成果（统计演示{next(_serial)}）"
    listed = await _ok(
        api.post(
            "/achievements",
            json=achievement(title=title, region_code=region, industry=industry),
            headers=seller,
        )
    )
    await _ok(api.post(f"/achievements/{listed['id']}/submit", headers=seller))
    await _ok(api.post(f"/achievements/{listed['id']}/approve", headers=seller))
    trade = await _ok(
        api.post(
            "/trades",
            json={
                "mode": "listed",
                "achievement_id": listed["id"],
                "listed_price_fen": price,
                "deposit_fen": 0,
                "increment_fen": 1_000_000,
                "listing_ends_at": (datetime.now(UTC) + LISTING).isoformat(),
            },
            headers=seller,
        )
    )
    await _ok(api.post(f"/trades/{trade['id']}/approve", headers=seller))
    await _ok(api.post(f"/trades/{trade['id']}/intents", headers=buyer))
    return int(trade["id"])


async def _sold(site: DemoSite, trade_id: int) -> None:
    """Wait for the server's scheduler to conclude the listing: its websocket says so."""
    url = site.url.replace("http://", "ws://") + f"/ws/trades/{trade_id}"
    async with asyncio.timeout(60), connect(url) as ws:
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot"
        if snapshot["trade"]["status"] == "sold":
            return
        while (message := json.loads(await ws.recv()))["type"] != "closed":
            pass
        assert message["result"] == "sold", message


@pytest.fixture(scope="session")
async def stats_with_deals(demo_site: DemoSite) -> dict[str, Any]:
    """/api/v1/stats once the set-up's two listed deals are concluded."""
    async with httpx.AsyncClient(base_url=f"{demo_site.url}/api/v1") as api:
        buyer = await _headers(api, demo_site.login(BUYER))
        trades = []
        for email, region, industry, price in SELLERS:
            seller = await _headers(api, demo_site.login(email))
            trades.append(await _sell(api, seller, buyer, region, industry, price))
        for trade_id in trades:
            await _sold(demo_site, trade_id)
        return dict((await api.get("/stats")).json())


async def test_statistics_read_at_a_glance_with_charts_tables_and_csv(
    page: Page, stats_with_deals: dict[str, Any]
) -> None:
    deals = stats_with_deals["deals"]
    await visit(page, "/stats")
    await expect(page.get_by_role("heading", level=1)).to_have_text("市场统计")
    # The headline, from the data: count, volume, and volume by pricing mode.
    listed = deals["by_mode"]["listed"]["volume_fen"]
    agreed = deals["by_mode"]["agreement"]["volume_fen"]
    await expect(page.get_by_role("main")).to_contain_text(
        f"累计成交 {deals['count']:,} 项，成交金额 {yuan_short(deals['volume_fen'])}"
        f"（协议定价 {yuan_short(agreed)}，挂牌交易 {yuan_short(listed)}"
    )
    published = stats_with_deals["achievements"]["published"]
    await expect(page.get_by_role("main")).to_contain_text(f"已发布科技成果 {published:,} 项")

    # Each figure as a chart (an image named by its title) beside its table.
    charts = page.get_by_role("main").get_by_role("img")
    await expect(charts).to_have_count(10)
    by_city = page.get_by_role("img", name="成交按城市：成交金额")
    await expect(by_city).to_be_visible()
    await expect(by_city).to_contain_text("浙江省 宁波市")
    city_table = page.get_by_role("table", name="成交按城市：数据")
    ningbo = city_table.get_by_role("row", name="浙江省 宁波市")
    await expect(ningbo).to_contain_text(yuan(deals["by_city"]["330200"]["volume_fen"]))
    modes = page.get_by_role("table", name="成交按交易方式：数据")
    await expect(modes.get_by_role("row")).to_have_count(5)  # a header, then every mode
    await expect(modes.get_by_role("row", name="挂牌交易")).to_contain_text(yuan(listed))
    industries = page.get_by_role("table", name="成交按行业：数据")
    assert await industries.get_by_role("row").count() == len(deals["by_industry"]) + 1
    # The bars read correctly: each as long as its volume says (the largest first), so
    # Ningbo's ¥120万 bar is longer than Wenzhou's ¥85万 whatever other deals the
    # shared server holds.
    widths = await by_city.evaluate(
        "svg => [...svg.querySelectorAll('rect.bar')].map(r => r.getBBox().width)"
    )
    volumes = sorted((c["volume_fen"] for c in deals["by_city"].values()), reverse=True)[:12]
    assert len(widths) == len(volumes)
    for width, volume in zip(widths, volumes, strict=True):
        assert width / widths[0] == pytest.approx(volume / volumes[0], rel=0.02)
    assert deals["by_city"]["330200"]["volume_fen"] > deals["by_city"]["330300"]["volume_fen"]

    # The table downloads as CSV that Excel reads as UTF-8, the same figures in yuan.
    async with page.expect_download() as started:
        await page.get_by_role("link", name="下载 CSV：成交按交易方式").click()
    download = await started.value
    path = await download.path()
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["交易方式", "成交数", "成交金额（元）"]
    assert [
        "挂牌交易",
        str(deals["by_mode"]["listed"]["count"]),
        f"{listed // 100}.{listed % 100:02d}",
    ] in rows
    await screenshot(page, "stats")


async def test_statistics_fit_a_phone(new_page: NewPage, stats_with_deals: dict[str, Any]) -> None:
    phone = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    await visit(phone, "/stats")
    overflow = await phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    chart = phone.get_by_role("img", name="成交按交易方式：成交金额")
    box = await chart.bounding_box()
    assert box is not None and box["width"] <= 375
    await screenshot(phone, "stats-phone")
