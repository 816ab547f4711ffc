"""My organisation's pages: bulk import with its per-row report, a draft that is not
another organisation's to open, and an administrator adding a user with a role."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Page, expect

from techmarket.pagination import encode_cursor
from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

SAMPLE = Path(__file__).resolve().parents[2] / "src/techmarket/listings/import_sample.csv"
IMPORTER = "admin@zjut.demo.techmarket.cn"
MEMBER = "prof@zju.demo.techmarket.cn"
ADMIN = "admin@zju.demo.techmarket.cn"
OUTSIDER = "researcher@nimte.demo.techmarket.cn"


async def _upload(page: Page, path: Path, partial: bool = False) -> None:
    await visit(page, "/my/import")
    await page.get_by_label("清单文件").set_input_files(path)
    if partial:
        await page.get_by_label(re.compile("只导入无误的行")).check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="上传并导入").click()
    await check_a11y(page)


async def test_bulk_import_shows_the_report_of_every_row(
    page: Page, demo_site: DemoSite, tmp_path: Path
) -> None:
    await log_in(page, demo_site.login(IMPORTER))
    broken = tmp_path / "broken.csv"
    lines = SAMPLE.read_text("utf-8").splitlines()
    # Row 2 keeps its good values; row 3 gets a TRL of 12 and a wrong check character.
    bad = lines[2].replace(",5,", ",12,").replace("97101765.4", "97101765.3")
    broken.write_text("\n".join([lines[0], lines[1], bad]) + "\n", "utf-8")
    await _upload(page, broken)
    report = page.get_by_role("table", name="逐行报告")
    await expect(page.get_by_role("alert")).to_contain_text("部分行有错误，未导入任何数据")
    await expect(report.get_by_role("row")).to_have_count(3)
    third = report.get_by_role("row").filter(has=page.get_by_role("cell", name="3", exact=True))
    await expect(third).to_contain_text("错误")
    await expect(third).to_contain_text("技术成熟度：不能大于 9。")
    await expect(third).to_contain_text("专利号：申请号不正确：97101765.3")
    await expect(report.get_by_role("row").nth(1)).to_contain_text("未导入")
    await screenshot(page, "import-rejected")
    drafts = await call(demo_site, "GET", "/achievements", IMPORTER, params={"q": "高能量密度"})
    assert not [a for a in drafts.json()["items"] if a["status"] == "draft"]

    await _upload(page, SAMPLE)
    await expect(page.get_by_role("status")).to_contain_text("共 2 行：导入 2 行，错误 0 行")
    rows = report.get_by_role("row")
    await expect(rows).to_have_count(3)
    link = rows.nth(1).get_by_role("link", name=re.compile(r"草稿 #\d+"))
    await screenshot(page, "import-report")
    async with page.expect_navigation():
        await link.click()
    await check_a11y(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "高能量密度锂离子电池正极材料及其制备方法"
    )
    await expect(page.get_by_role("table", name=re.compile("每一次状态变化"))).to_contain_text(
        "批量导入"
    )

    # Both drafts are listed, newest first, a page at a time.
    await visit(page, "/my/achievements?status=draft")
    drafts = page.get_by_role("table", name=re.compile("草稿的成果"))
    await expect(drafts).to_contain_text("智能巡检机器人视觉定位系统")
    newest = drafts.get_by_role("row").nth(1).get_by_role("link")
    newest_id = int((await newest.get_attribute("href") or "").rsplit("/", 1)[1])
    newest_title = await newest.text_content() or ""
    await visit(page, f"/my/achievements?status=draft&cursor={encode_cursor(newest_id)}")
    await expect(drafts.get_by_role("link", name=newest_title)).to_have_count(0)
    first_page = page.get_by_role("navigation", name="翻页").get_by_role("link", name="« 第一页")
    await expect(first_page).to_have_attribute("href", "/my/achievements?status=draft")

    await visit(page, "/my/import")
    template = page.get_by_role("link", name=re.compile("下载模板"))
    async with page.expect_download() as download:
        await template.click()
    saved = await (await download.value).path()
    assert saved is not None
    assert (await asyncio.to_thread(Path(saved).read_text, "utf-8")).startswith("title,summary")

    # The same inventory again, keeping what is valid: nothing is, each number is listed.
    await _upload(page, SAMPLE, partial=True)
    await expect(page.get_by_role("status")).to_contain_text("共 2 行：导入 0 行，错误 2 行")
    await expect(report).to_contain_text("已登记在本机构的其他成果中")
    await expect(page.get_by_label(re.compile("只导入无误的行"))).to_be_checked()


async def test_another_organisations_member_cannot_open_our_draft(
    page: Page, demo_site: DemoSite
) -> None:
    draft = await call(
        demo_site,
        "POST",
        "/achievements",
        MEMBER,
        json={
            "title": "尚未公开的催化剂配方",
            "summary": "内部草稿。",
            "ip_type": "know_how",
            "industry": "new_materials",
            "region_code": "330100",
            "trl": 3,
            "transfer_modes": ["assignment"],
        },
    )
    assert draft.status_code == 201, draft.text
    await log_in(page, demo_site.login(OUTSIDER))
    for path in (
        f"/my/achievements/{draft.json()['id']}",
        f"/my/achievements/{draft.json()['id']}/edit",
    ):
        response = await visit(page, path)
        assert response.status == 403
        await expect(page.get_by_role("main")).to_contain_text("不是您的机构")
        await expect(page.get_by_role("main")).not_to_contain_text("尚未公开的催化剂配方")
    await screenshot(page, "not-your-org")


async def test_admin_adds_a_user_with_a_role(page: Page, demo_site: DemoSite) -> None:
    await log_in(page, demo_site.login(ADMIN))
    await visit(page, "/my/users")
    await page.get_by_label("邮箱").fill("new.tto@zju.demo.techmarket.cn")
    await page.get_by_label("姓名").fill("转化办 新同事")
    await page.get_by_label("初始密码").fill("short")
    await page.get_by_role("checkbox", name="成果转化办公室").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="添加用户").click()
    await check_a11y(page)
    await expect(page.get_by_label("初始密码")).to_have_accessible_description(
        re.compile("至少需要 10 个字符")
    )
    await page.get_by_label("初始密码").fill("a long enough password")
    async with page.expect_navigation():
        await page.get_by_role("button", name="添加用户").click()
    await check_a11y(page)
    await expect(page.get_by_role("status")).to_contain_text("已添加用户")
    row = page.get_by_role("row").filter(has_text="new.tto@zju.demo.techmarket.cn")
    await expect(row).to_contain_text("成果转化办公室")
    await expect(row).to_contain_text("在职")
    await screenshot(page, "users")

    # The new colleague signs in; deactivated, the login stops working at once.
    signed_in = await call(
        demo_site,
        "POST",
        "/auth/token",
        data={"username": "new.tto@zju.demo.techmarket.cn", "password": "a long enough password"},
    )
    assert signed_in.status_code == 200
    bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert (await call(demo_site, "GET", "/me", headers=bearer)).status_code == 200
    async with page.expect_navigation():
        await page.get_by_role("link", name="修改 转化办 新同事 的角色或状态").click()
    await check_a11y(page)
    await page.get_by_role("checkbox", name=re.compile("在职")).uncheck()
    async with page.expect_navigation():
        await page.get_by_role("button", name="保存").click()
    await check_a11y(page)
    await expect(row).to_contain_text("已停用")
    assert (await call(demo_site, "GET", "/me", headers=bearer)).status_code == 401

    # The only administrator cannot give up the role.
    async with page.expect_navigation():
        await page.get_by_role("link", name="修改 浙大管理员 李华 的角色或状态").click()
    await check_a11y(page)
    await page.get_by_role("checkbox", name="管理员").uncheck()
    await page.get_by_role("checkbox", name="成员").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="保存").click()
    await check_a11y(page)
    await expect(page.get_by_role("alert")).to_contain_text("机构至少需要一位在职的管理员")
    await screenshot(page, "user-last-admin")


async def test_my_pages_fit_a_phone(new_page: NewPage, demo_site: DemoSite) -> None:
    phone = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    await log_in(phone, demo_site.login("admin@nimte.demo.techmarket.cn"))  # admin and TTO
    for path in ("/my/achievements", "/my/import", "/my/users", "/tto", "/my/achievements/new"):
        await visit(phone, path)
        overflow = await phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
    await visit(phone, "/my/achievements")
    await screenshot(phone, "my-achievements-phone")
