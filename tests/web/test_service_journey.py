"""The service side in Chromium, on the demo: a person finds an IP agency in the
directory by category and region and sees its brokers; a buyer confirms the payment its
seller recorded, and the deal shows it received."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from techmarket import demo_listings
from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

BUYER = "buyer@kangtai.demo.techmarket.cn"  # bought the demo deal awaiting confirmation
AWAITING = demo_listings.achievements()[26].title


async def test_an_ip_agency_is_found_by_category_and_region(page: Page) -> None:
    await visit(page, "/agencies")
    await page.get_by_label("服务类别").select_option(label="知识产权")
    await page.get_by_label("服务地区").fill("330106")
    async with page.expect_navigation():
        await page.get_by_role("button", name="查找").click()
    await check_a11y(page)
    rows = page.get_by_role("table", name="服务机构").get_by_role("row")
    await expect(rows).to_have_count(2)  # the header and one agency
    async with page.expect_navigation():
        await page.get_by_role("link", name="杭州知联知识产权服务有限公司").click()
    await check_a11y(page)
    await expect(page.get_by_role("main")).to_contain_text("知识产权、法律、科技金融")
    await expect(page.get_by_role("listitem").filter(has_text="陈静")).to_have_count(1)
    await screenshot(page, "agency-profile")


async def test_the_buyer_confirms_a_payment_and_the_deal_shows_it_received(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    buyer = await new_page()
    await log_in(buyer, demo_site.login(BUYER))
    await visit(buyer, "/deals")
    async with buyer.expect_navigation():
        await buyer.get_by_role("link", name=AWAITING).first.click()
    await check_a11y(buyer)
    received = buyer.get_by_role("region", name="实际到账")
    await expect(received).to_contain_text("待对方确认")
    async with buyer.expect_navigation():
        await received.get_by_role("button", name=re.compile("确认到账")).click()
    await check_a11y(buyer)
    await expect(buyer.get_by_role("status")).to_contain_text("已记入账本")
    facts = buyer.get_by_role("region", name="实际到账")
    await expect(facts).to_contain_text(re.compile(r"已确认到账\s*¥200,000\.00"))
    await expect(facts.get_by_role("cell", name="已确认")).to_have_count(1)
    await screenshot(buyer, "deal-payment-confirmed")
