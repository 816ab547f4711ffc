"""An enterprise posts a demand, publishes it and decides on the responses it receives;
the responders see and withdraw theirs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

OWNER = "buyer@kangtai.demo.techmarket.cn"
RESPONDER = "admin@wmu.demo.techmarket.cn"
OTHER_RESPONDER = "admin@nbu.demo.techmarket.cn"
TITLE = "寻求可穿戴心电监测算法"


async def _press(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()
    await check_a11y(page)


async def _ledger_index(page: Page) -> int:
    link = page.get_by_role("status").get_by_role("link", name=re.compile(r"第 \d+ 条"))
    href = await link.get_attribute("href")
    assert href is not None and re.fullmatch(r"/ledger/entries/\d+", href)
    return int(href.rsplit("/", 1)[1])


async def test_enterprise_posts_a_demand_and_accepts_a_response(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    owner = await new_page()
    await log_in(owner, demo_site.login(OWNER))
    await visit(owner, "/my/demands/new")
    await owner.get_by_label("需求名称").fill(TITLE)
    await owner.get_by_label("需求描述").fill("用于家用心电贴片，要求房颤识别准确率高于 95%。")
    await owner.get_by_label("行业").select_option(label="生命健康与医药")
    await owner.get_by_label("地区代码").fill("320506")
    await owner.get_by_label("合作方式").select_option(label="技术许可")
    await owner.get_by_label("预算上限（元）").fill("800,000")
    await owner.get_by_label("截止时间（北京时间）").fill("2020-01-01T12:00")
    await _press(owner, "保存草稿")
    deadline = owner.get_by_label("截止时间（北京时间）")
    await expect(deadline).to_have_accessible_description(re.compile("截止日期必须晚于现在"))
    await screenshot(owner, "demand-form-error")
    later = datetime.now(UTC) + timedelta(days=40)
    await deadline.fill(later.strftime("%Y-%m-%dT12:00"))
    await _press(owner, "保存草稿")
    await expect(owner.get_by_role("heading", level=1)).to_have_text(TITLE)
    demand_id = int(owner.url.split("/")[-1].split("?")[0])
    async with owner.expect_navigation():
        await owner.get_by_role("link", name="修改").click()
    await check_a11y(owner)
    await expect(owner.get_by_label("截止时间（北京时间）")).to_have_value(
        later.strftime("%Y-%m-%dT12:00")
    )
    await expect(owner.get_by_label("预算上限（元）")).to_have_value("800000")
    await owner.get_by_label("预算下限（元）").fill("300,000")
    await _press(owner, "保存修改")
    await expect(owner.get_by_role("status")).to_contain_text("修改已保存")
    await expect(owner.get_by_role("main")).to_contain_text("¥300,000.00 ～ ¥800,000.00")
    await _press(owner, "发布")
    await expect(owner.get_by_role("status")).to_contain_text("已发布")
    published = await _ledger_index(owner)
    entry = (await call(demo_site, "GET", f"/ledger/entries/{published}")).json()
    assert '"demand.published"' in entry["canonical"]

    chosen = await call(
        demo_site,
        "POST",
        f"/demands/{demand_id}/responses",
        RESPONDER,
        json={"text": "我校团队的房颤识别算法已在三家医院验证。", "quoted_price_fen": 60_000_000},
    )
    other = await call(
        demo_site,
        "POST",
        f"/demands/{demand_id}/responses",
        OTHER_RESPONDER,
        json={"text": "宁大方案：轻量级模型，适合低功耗芯片。", "quoted_price_fen": 50_000_000},
    )
    assert chosen.status_code == other.status_code == 201

    # The second responder changes its mind, from its own page.
    responder = await new_page()
    await log_in(responder, demo_site.login(OTHER_RESPONDER))
    await visit(responder, "/my/responses")
    await _press(responder, f"撤回对《{TITLE}》的方案")
    await expect(responder.get_by_role("status")).to_contain_text("已撤回方案")
    row = responder.get_by_role("row").filter(has_text=TITLE)
    await expect(row).to_contain_text("已撤回")

    await visit(owner, f"/my/demands/{demand_id}")
    await expect(owner.get_by_role("main")).to_contain_text("收到的揭榜方案（2）")
    responder_org = demo_site.login(RESPONDER).organisation
    await expect(owner.get_by_role("heading", name=re.compile(responder_org))).to_be_visible()
    response_id = chosen.json()["id"]
    await _press(owner, f"方案 #{response_id} 入围")
    await expect(owner.get_by_role("status")).to_contain_text("已列入入围")
    await _press(owner, f"采纳方案 #{response_id}")
    await expect(owner.get_by_role("status")).to_contain_text("已采纳该方案")
    accepted = await _ledger_index(owner)
    entry = (await call(demo_site, "GET", f"/ledger/entries/{accepted}")).json()
    assert '"response.accepted"' in entry["canonical"]
    await expect(owner.get_by_role("main")).to_contain_text("已揭榜")
    await screenshot(owner, "demand-awarded")

    await visit(owner, "/my/demands")
    await expect(owner.get_by_role("row").filter(has_text=TITLE)).to_contain_text("已揭榜")
    await visit(responder, "/my/responses")
    await screenshot(responder, "responses-sent")
