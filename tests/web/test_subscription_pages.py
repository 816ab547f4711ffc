"""订阅此搜索: an enterprise saves a search from the search page and finds it listed among
its subscriptions, where it can delete it."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

BUYER = "buyer@kangtai.demo.techmarket.cn"


async def test_a_search_saved_as_a_subscription_is_listed(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    page = await new_page()
    await log_in(page, demo_site.login(BUYER))
    await visit(page, "/achievements?q=医学影像&industry=health_medicine")
    async with page.expect_navigation():
        await page.get_by_role("button", name="订阅此搜索").click()
    await check_a11y(page)
    await expect(page.get_by_role("status")).to_contain_text("已订阅此搜索")
    row = page.get_by_role("row", name="保存的搜索：医学影像")
    await expect(row).to_contain_text("关键词：医学影像")
    await expect(row).to_contain_text("生命健康与医药")
    await expect(row).to_contain_text("即时推送")
    await screenshot(page, "subscriptions")

    async with page.expect_navigation():
        await row.get_by_role("button", name="删除订阅 保存的搜索：医学影像").click()
    await check_a11y(page)
    await expect(page.get_by_role("status")).to_contain_text("订阅已删除")
    await expect(page.get_by_role("row", name="保存的搜索：医学影像")).to_have_count(0)
