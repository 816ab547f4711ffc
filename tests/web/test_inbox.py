"""The inbox in a real Chromium: the header's unread count and the list change on an open
page when the bidder is outbid elsewhere, and the page marks one or all read."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call
from tests.web.test_auction_room import _auction, _trade

TITLE = "通知测试：低温等离子体灭菌装置"
# Bidders no other journey bids with, so nothing else reaches their inbox meanwhile.
BIDDERS = ("buyer@lvneng.demo.techmarket.cn", "buyer@xinshi.demo.techmarket.cn")


async def test_an_outbid_shows_live_and_the_inbox_marks_read(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    trade_id = await _trade(demo_site, TITLE, _auction(timedelta(minutes=10), 60))
    for email in BIDDERS:
        registered = await call(demo_site, "POST", f"/trades/{trade_id}/registrations", email)
        assert registered.status_code == 201, registered.text
    first = await call(
        demo_site, "POST", f"/trades/{trade_id}/bids", BIDDERS[0], json={"amount_fen": 1_000_000}
    )
    assert first.status_code == 200, first.text

    page = await new_page()
    await log_in(page, demo_site.login(BIDDERS[0]))
    async with page.expect_response(re.compile(r"/inbox/live$")):  # the page listens
        await visit(page, "/inbox")
    items = page.locator("#inbox-list > li")
    registered_here = items.filter(has_text=TITLE).filter(has_text="竞买报名成功")
    await expect(registered_here).to_have_count(1)  # told at once, or live since
    badge = page.locator("#inbox-count")
    before = int(await badge.inner_text())

    outbid = await call(
        demo_site, "POST", f"/trades/{trade_id}/bids", BIDDERS[1], json={"amount_fen": 1_100_000}
    )
    assert outbid.status_code == 200, outbid.text
    told = items.filter(has_text="您的出价已被超过").filter(has_text="¥11,000.00")
    await expect(told).to_have_count(1)  # no reload
    await expect(badge).to_have_text(str(before + 1))
    await check_a11y(page)
    await screenshot(page, "inbox-live")

    await visit(page, "/inbox")
    async with page.expect_navigation():
        await told.get_by_role("button", name="标为已读").click()
    await check_a11y(page)
    await expect(page.get_by_role("status").filter(has_text="已标为已读")).to_be_visible()
    await expect(badge).to_have_text(str(before))
    async with page.expect_navigation():
        await page.get_by_role("button", name="全部标为已读").click()
    await check_a11y(page)
    await expect(page.locator("#inbox-badge")).to_be_hidden()
    await expect(page.locator("#inbox-list .inbox-item.unread")).to_have_count(0)

    await visit(page, "/account/notifications")
    await page.get_by_label("领先时拍卖延时").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="保存").click()
    await check_a11y(page)
    await expect(page.get_by_label("领先时拍卖延时")).to_be_checked()
