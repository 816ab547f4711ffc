"""Mandates on the pages, in a real Chromium: an enterprise's admin gives an agency a
mandate on the demo's live auction, the agency's admin accepts it, its broker follows it
to the auction room and registers and bids there for the enterprise (the page and its
socket act under the mandate); once the client revokes it, the broker's next bid is
refused, in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

CLIENT = "buyer@xinshi.demo.techmarket.cn"
CLIENT_NAME = "深圳芯视微电子有限公司"
AGENCY_ADMIN = "admin@hzjz.demo.techmarket.cn"
BROKER = "broker@hzjz.demo.techmarket.cn"
LIVE = "实时连接中"


async def _live_auction(site: DemoSite) -> int:
    """The demo's live auction: the one its first agency's mandate (for 康泰医疗) is on.
    (A new auction would publish an achievement, and the statistics pages' test counts
    them once for the whole session.)"""
    held = await call(site, "GET", "/mandates", AGENCY_ADMIN)
    return int(
        next(m["object_id"] for m in held.json()["items"] if m["scope"] == ["register_and_bid"])
    )


async def _mandates(page: Page, who: str, site: DemoSite) -> None:
    await log_in(page, site.login(who))
    await visit(page, "/my/mandates")


async def _click(page: Page, name: str | re.Pattern[str], done: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=name).click()
    await check_a11y(page)
    await expect(page.get_by_role("status").first).to_contain_text(done)


async def test_a_client_mandates_an_agency_whose_broker_bids_for_it_until_revoked(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    trade_id = await _live_auction(demo_site)
    client, agency, broker = await new_page(), await new_page(), await new_page()

    await _mandates(client, CLIENT, demo_site)
    await client.get_by_label("受托机构").select_option(label="杭州技术转移服务中心")
    await client.get_by_label("委托对象").select_option(label="交易")
    await client.get_by_label("对象编号").fill(str(trade_id))
    await client.get_by_label("报名竞价").check()
    await client.get_by_label("服务费约定").fill("成交价的 2%")
    until = (datetime.now(UTC) + timedelta(hours=8, days=1)).strftime("%Y-%m-%dT%H:%M")
    await client.get_by_label(re.compile("有效期至")).fill(until)
    await _click(client, "提交委托", "委托已提交")
    row = client.get_by_role("row").filter(has_text=f"交易 #{trade_id}")
    await expect(row).to_contain_text("待接受")
    mandate_id = re.search(r"#(\d+)", await row.get_by_role("cell").first.inner_text())
    assert mandate_id is not None

    await _mandates(agency, AGENCY_ADMIN, demo_site)
    await _click(agency, f"接受委托 #{mandate_id.group(1)}", "已接受委托")

    await _mandates(broker, BROKER, demo_site)
    async with broker.expect_navigation():
        await broker.get_by_role("link", name=f"代{CLIENT_NAME}操作").first.click()
    await check_a11y(broker)
    await expect(broker.get_by_text(f"代 {CLIENT_NAME}")).to_be_visible()
    await expect(broker.get_by_role("status").filter(has_text=LIVE)).to_be_visible()
    async with broker.expect_navigation():
        await broker.get_by_role("button", name="报名并缴纳保证金").click()
    await check_a11y(broker)
    await expect(broker.get_by_role("status").first).to_contain_text("报名成功")
    await expect(broker.get_by_role("status").filter(has_text=LIVE)).to_be_visible()
    await broker.get_by_role("button", name=re.compile(r"^出价 ¥")).first.click()
    await expect(broker.locator("#bid-status")).to_contain_text("出价已被接受")
    await screenshot(broker, "broker-bids-for-client")

    await visit(client, "/my/mandates")
    await _click(client, f"撤销委托 #{mandate_id.group(1)}", "委托已撤销")
    await broker.get_by_role("button", name=re.compile(r"^出价 ¥")).first.click()
    await expect(broker.locator("#bid-status")).to_contain_text("委托已被撤销，不能再代客户出价。")
