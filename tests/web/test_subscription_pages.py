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


async def test_a_subscription_made_in_the_form_takes_its_region_from_the_selects(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    page = await new_page()
    await log_in(page, demo_site.login(BUYER))
    await visit(page, "/my/subscriptions")
    await page.get_by_label("名称").fill("杭州的新成果")
    await page.get_by_label("推送内容").select_option(label="新发布的科技成果")
    await page.get_by_label("省份").select_option(label="浙江省")
    await page.get_by_label("城市").select_option(label="杭州市")  # filled by regions.js
    async with page.expect_navigation():
        await page.get_by_role("button", name="保存订阅").click()
    await check_a11y(page)
    await expect(page.get_by_role("row", name="杭州的新成果")).to_contain_text("杭州市")
