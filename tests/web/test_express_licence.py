"""The express licence journey (一键许可) in Chromium: a university member offers a standard
licence from the trade form, its TTO approves it at /tto, then two enterprises each take it
from the achievement page (a confirm step), each landing on a deal of its own with the
contract generated in its name."""

from __future__ import annotations

import hashlib
import re

from playwright.async_api import Page, expect

from tests.listings.fixtures import achievement
from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

MEMBER, TTO = "prof@zju.demo.techmarket.cn", "tto@zju.demo.techmarket.cn"
SELLER_NAME = "浙江大学"
TAKERS = ("buyer@hairui.demo.techmarket.cn", "buyer@kangtai.demo.techmarket.cn")
TITLE = "柔性钙钛矿组件低温封装技术（一键许可）"


async def _submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()
    await check_a11y(page)


async def _signed_in(new_page: NewPage, site: DemoSite, email: str) -> Page:
    page = await new_page()
    await log_in(page, site.login(email))
    return page


async def _published(site: DemoSite) -> int:
    """A new achievement of the member's, published by its TTO (over the API)."""
    created = await call(site, "POST", "/achievements", MEMBER, json=achievement(title=TITLE))
    assert created.status_code == 201, created.text
    achievement_id = int(created.json()["id"])
    submitted = await call(site, "POST", f"/achievements/{achievement_id}/submit", MEMBER)
    assert submitted.status_code == 200, submitted.text
    approved = await call(site, "POST", f"/achievements/{achievement_id}/approve", TTO)
    assert approved.status_code == 200, approved.text
    return achievement_id


async def _take(page: Page, achievement_id: int, org_name: str) -> int:
    """From the achievement page: 一键许可, read the terms and contract, 确认许可. Returns
    the deal's id."""
    await visit(page, f"/achievements/{achievement_id}")
    offer = page.get_by_role("region", name="一键许可")
    await expect(offer).to_contain_text("88,000.00 元")
    async with page.expect_navigation():
        await offer.get_by_role("link", name="一键许可").click()
    await check_a11y(page)
    contract = page.get_by_role("region", name="标准合同文本")
    await expect(contract).to_contain_text(f"被许可方（乙方）：{org_name}")
    await expect(contract).to_contain_text("88,000.00 元")
    await _submit(page, "确认许可")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"成交：{TITLE}")
    await expect(page.get_by_role("status")).to_contain_text("已记入账本")
    found = re.search(r"/deals/(\d+)", page.url)
    assert found is not None, page.url
    return int(found[1])


async def test_two_enterprises_take_one_express_licence_each_with_its_contract(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    achievement_id = await _published(demo_site)

    member = await _signed_in(new_page, demo_site, MEMBER)
    await visit(member, f"/my/achievements/{achievement_id}/trade")
    await member.get_by_role("radio", name="一键许可").check()
    await member.get_by_label("付费方式").select_option(label="固定许可费")
    await member.get_by_label("许可费（元，固定许可费时填写）").fill("88000")
    await _submit(member, "提交")
    await expect(member.get_by_role("heading", level=1)).to_have_text(f"一键许可：{TITLE}")
    await expect(member.get_by_role("main")).to_contain_text("待审批")

    tto = await _signed_in(new_page, demo_site, TTO)
    await visit(tto, "/tto")
    pending = tto.get_by_role("region", name=re.compile("待审批的交易"))
    await expect(pending).to_contain_text(f"{TITLE} · 一键许可")
    await expect(pending).to_contain_text("88,000.00 元")
    await _submit(tto, f"批准《{TITLE}》的一键许可")
    await expect(tto.get_by_role("status")).to_contain_text("已批准交易方式和价格")

    deals = []
    for email in TAKERS:
        taker = await _signed_in(new_page, demo_site, email)
        name = (await call(demo_site, "GET", "/me", email)).json()["org"]["name"]
        deal_id = await _take(taker, achievement_id, name)
        text = taker.get_by_role("region", name="技术合同", exact=True)
        await expect(text).to_contain_text(f"许可方（甲方）：{SELLER_NAME}")
        await expect(text).to_contain_text(f"被许可方（乙方）：{name}")
        await expect(text).to_contain_text("TM-YJXK-")
        digest = hashlib.sha256((await text.locator("pre").inner_text()).encode()).hexdigest()
        await expect(text).to_contain_text(f"SHA-256（UTF-8 文本）：{digest}")
        await expect(taker.get_by_role("main")).to_contain_text("一键许可")
        deals.append(deal_id)
        await screenshot(taker, f"express-licence-deal-{len(deals)}")
    assert deals[0] != deals[1]

    # Taken once per enterprise: the offer page now says so instead of offering it again.
    await visit(taker, f"/achievements/{achievement_id}")
    async with taker.expect_navigation():
        await taker.get_by_role("region", name="一键许可").get_by_role("link").click()
    await check_a11y(taker)
    await expect(taker.get_by_role("main")).to_contain_text("贵机构已取得该许可")
    await expect(taker.get_by_role("button", name="确认许可")).to_have_count(0)

    # The seller stops offering it; the achievement page no longer offers it.
    await visit(member, f"/achievements/{achievement_id}")
    async with member.expect_navigation():
        await member.get_by_role("region", name="一键许可").get_by_role("link").click()
    await expect(member.get_by_role("main")).to_contain_text("已取得许可的企业")
    await _submit(member, "停止许可")
    await expect(member.get_by_role("status")).to_contain_text("已停止许可")
    await visit(member, f"/achievements/{achievement_id}")
    await expect(member.get_by_role("region", name="一键许可")).to_have_count(0)
