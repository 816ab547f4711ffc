"""An institute applies to the demo's proof-of-concept centre; the centre accepts, plans
two milestones, judges both met and closes the project passed; the public achievement
page then shows the centre's mark and the TRL raised."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

INSTITUTE = "admin@nimte.demo.techmarket.cn"
CENTRE = "admin@poc.demo.techmarket.cn"
CENTRE_NAME = "浙江省新材料概念验证中心"
TITLE = "固态电解质关键技术"  # a demo achievement of the institute, TRL 7, in no project


async def _submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()
    await check_a11y(page)


async def test_a_project_passes_and_the_achievement_shows_the_centres_mark(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    institute = await new_page()
    await log_in(institute, demo_site.login(INSTITUTE))
    await visit(institute, "/my/poc")
    await institute.get_by_label("概念验证中心").select_option(label=CENTRE_NAME)
    await institute.get_by_label("本机构已发布的成果").select_option(label=TITLE)
    await institute.get_by_label("申请说明").fill("申请中试熟化：验证百公斤级固态电解质制备。")
    await _submit(institute, "提交申请")
    await expect(institute.get_by_role("status")).to_contain_text("申请已提交")
    project_url = institute.url.split("?")[0]

    centre = await new_page()
    await log_in(centre, demo_site.login(CENTRE))
    await visit(centre, "/my/poc")
    async with centre.expect_navigation():
        await centre.get_by_role("link", name=re.compile(TITLE)).click()
    await check_a11y(centre)
    assert centre.url.split("?")[0] == project_url
    await centre.get_by_label("遴选结果").select_option(label="入选")
    await centre.get_by_label("遴选意见").fill("技术路线清晰，中心具备中试条件。")
    await _submit(centre, "记录遴选结果")
    await expect(centre.get_by_role("status")).to_contain_text("已记入账本")

    for n, (what, due, fen) in enumerate(
        (
            ("百公斤级样品离子电导率达标", "2027-03-01", "300000"),
            ("中试线连续运行", "2027-06-01", "500,000"),
        ),
        start=1,
    ):
        await centre.get_by_label(f"里程碑 {n} 验证内容").fill(what)
        await centre.get_by_label(f"里程碑 {n} 截止日期").fill(due)
        await centre.get_by_label(f"里程碑 {n} 资金渠道").select_option(
            label="省级概念验证专项资金"
        )
        await centre.get_by_label(f"里程碑 {n} 资助额（元）").fill(fen)
    await centre.get_by_label("里程碑 1 截止日期").fill("")
    await _submit(centre, "确定验证计划")
    due = centre.get_by_label("里程碑 1 截止日期")
    await expect(due).to_have_attribute("aria-invalid", "true")
    await expect(centre.get_by_label("里程碑 2 验证内容")).to_have_value("中试线连续运行")
    await due.fill("2027-03-01")
    await _submit(centre, "确定验证计划")
    await expect(centre.get_by_role("status")).to_contain_text("验证计划已确定")

    for n in (1, 2):
        await centre.get_by_label(f"里程碑 {n} 的证据").fill(f"第三方检测报告 2027-{n:03d}")
        await centre.get_by_label(f"里程碑 {n} 的结论").select_option(label="达成")
        await _submit(centre, f"记录里程碑 {n} 的结论")
    await centre.get_by_label("结题结果").select_option(label="验证通过")
    await centre.get_by_label("验证后的技术成熟度").select_option(label="8 级")
    await centre.get_by_label("验证报告摘要（公开）").fill("完成百公斤级中试，性能达标。")
    await _submit(centre, "结题")
    await expect(centre.get_by_role("status")).to_contain_text("项目已结题")
    await screenshot(centre, "poc-project-passed")

    visitor = await new_page()
    await visit(visitor, "/achievements?verified=true")
    async with visitor.expect_navigation():
        await visitor.get_by_role("link", name=TITLE).click()
    await check_a11y(visitor)
    await expect(visitor.get_by_text(f"经{CENTRE_NAME}概念验证").first).to_be_visible()
    await expect(visitor.get_by_text("7 级 → 8 级")).to_be_visible()
    await expect(visitor.get_by_text("完成百公斤级中试，性能达标。")).to_be_visible()
    await screenshot(visitor, "poc-verified-achievement")
