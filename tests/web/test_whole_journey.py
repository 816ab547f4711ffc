"""The first journey through the pages, as the people in it would go: a university
registers, the operator verifies it, its administrator adds a researcher and takes the TTO
role, the researcher lists an achievement and the TTO approves it; an enterprise publishes
a demand in the same words; a visitor finds the achievement by a two-character search with
filters and sees the demand among its matches, with the reasons; the researcher responds
to the demand (揭榜) and the enterprise sees the response. Pages only: the API is read to
check, never written."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from techmarket.accounts.credit_code import check_character
from tests.web.browser import DemoLogin, check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

OPERATOR = "operator@demo.techmarket.cn"
ENTERPRISE = "buyer@weilai.demo.techmarket.cn"  # in Hangzhou, like the new university
TERM = "锆铪"  # two characters that nothing else in the demo holds
TITLE = "核级锆铪高效萃取分离技术"
DEMAND = "寻求核级锆铪萃取分离工艺"
PASSWORD = "a long enough password"
ADMIN_NAME = "新校管理员 许宁"
RESEARCHER_NAME = "研究员 沈言"


async def _press(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()
    await check_a11y(page)


async def _follow(page: Page, link: str, where: str = "main") -> None:
    """Follow a link in the page's ``where``: main, banner, or a navigation by its name
    (主导航, or 本机构 for one's own organisation's pages)."""
    if where in ("main", "banner"):
        scope = page.get_by_role(where)
    else:
        scope = page.get_by_role("navigation", name=where)
    async with page.expect_navigation():
        await scope.get_by_role("link", name=link, exact=True).click()
    await check_a11y(page)


def _credit_code() -> str:
    base = "12330100MB" + "".join(secrets.choice("0123456789") for _ in range(7))
    return base + check_character(base)


async def _register(page: Page, name: str, admin_email: str) -> None:
    await visit(page, "/register")
    await page.get_by_label("机构名称").fill(name)
    await page.get_by_label("机构类型").select_option(label="高校")
    await page.get_by_label("统一社会信用代码").fill(_credit_code())
    await page.get_by_label("省份").select_option(label="浙江省")
    await page.get_by_label("城市").select_option(label="杭州市")
    await page.get_by_label("区县").select_option(label="西湖区")
    await page.get_by_label("姓名").fill(ADMIN_NAME)
    await page.get_by_label("邮箱").fill(admin_email)
    await page.get_by_label("密码").fill(PASSWORD)
    await _press(page, "提交注册")
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.get_by_role("status")).to_contain_text("待审核")


async def _verify(operator: Page, name: str) -> None:
    await _follow(operator, "运营工作台", "banner")
    applicant = operator.get_by_role("article", name=name)
    await expect(applicant).to_be_visible()
    async with operator.expect_navigation():
        await applicant.get_by_role("button", name="通过认证").click()
    await check_a11y(operator)
    await expect(operator.get_by_role("status")).to_contain_text("已记入账本")
    await screenshot(operator, "journey-2-verified")


async def _staff(admin: Page, researcher: DemoLogin) -> None:
    """The administrator adds a researcher and takes the TTO role too."""
    await _follow(admin, "我的机构", "banner")
    await _follow(admin, "用户与角色", "本机构")
    await admin.get_by_label("邮箱").fill(researcher.email)
    await admin.get_by_label("姓名").fill(RESEARCHER_NAME)
    await admin.get_by_label("初始密码").fill(researcher.password)
    await admin.get_by_role("checkbox", name="成员").check()
    await _press(admin, "添加用户")
    await expect(admin.get_by_role("status")).to_contain_text("已添加用户")
    await _follow(admin, f"修改 {ADMIN_NAME} 的角色或状态")
    await admin.get_by_role("checkbox", name="成果转化办公室").check()
    await _press(admin, "保存")
    mine = admin.get_by_role("row").filter(has_text=ADMIN_NAME)
    await expect(mine).to_contain_text("管理员、成果转化办公室")
    await expect(admin.get_by_role("banner").get_by_role("link", name="安心屋")).to_be_visible()
    # A university responds to demands and posts none: its pages offer what it may do.
    areas = admin.get_by_role("navigation", name="本机构").get_by_role("link")
    await expect(areas).to_have_text(
        [
            "科技成果",
            "批量导入",
            "揭榜方案",
            "订阅与推送",
            "用户与角色",
            "Webhook",
            "安心屋（审批）",
            "概念验证",
        ]
    )
    await screenshot(admin, "journey-3-users")


async def _list_achievement(member: Page) -> int:
    await _follow(member, "我的机构", "banner")
    await _follow(member, "新建成果")
    await member.get_by_label("成果名称").fill(TITLE)
    await member.get_by_label("成果简介（非保密内容）").fill(
        "以新型萃取体系实现锆铪高效分离，核级海绵锆中铪含量低于百万分之五十，"
        "萃取剂可循环使用，废水减少七成。"
    )
    await member.get_by_label("知识产权类型").select_option(label="技术秘密")
    await member.get_by_label("行业").select_option(label="新材料")
    await member.get_by_label("地区代码").fill("330106")
    await member.get_by_label("技术成熟度").select_option(label="6 级")
    await member.get_by_label("普通许可").check()
    await member.get_by_label("挂牌价格（元）").fill("2,800,000")
    await member.get_by_label("关键词").fill("锆铪分离、萃取、核级锆")
    await _press(member, "保存草稿")
    await expect(member.get_by_role("heading", level=1)).to_have_text(TITLE)
    achievement_id = int(member.url.split("?")[0].rsplit("/", 1)[1])
    await _press(member, "提交审批")
    await expect(member.get_by_role("status")).to_contain_text("已提交本机构成果转化办公室审批")
    await expect(member.get_by_role("main")).to_contain_text("浙江省 杭州市 西湖区")
    await screenshot(member, "journey-4-submitted")
    return achievement_id


async def _approve(tto: Page) -> None:
    await _follow(tto, "安心屋", "banner")
    queue = tto.get_by_role("region", name=re.compile("待审批的科技成果"))
    await expect(queue).to_contain_text("¥2,800,000.00")
    await _press(tto, f"批准并发布《{TITLE}》")
    done = tto.get_by_role("status")
    await expect(done).to_contain_text("已批准，成果已发布")
    await expect(done.get_by_role("link", name=re.compile(r"第 \d+ 条"))).to_be_visible()
    await screenshot(tto, "journey-5-approved")


async def _publish_demand(owner: Page) -> int:
    await _follow(owner, "我的机构", "banner")
    areas = owner.get_by_role("navigation", name="本机构").get_by_role("link")
    await expect(areas).to_have_text(
        ["科技成果", "批量导入", "企业需求", "订阅与推送", "用户与角色", "Webhook"]
    )
    await _follow(owner, "企业需求", "本机构")
    await _follow(owner, "发布新需求")
    await owner.get_by_label("需求名称").fill(DEMAND)
    await owner.get_by_label("需求描述").fill(
        "我公司拟建核级海绵锆生产线，需要锆铪萃取分离工艺包，铪含量须低于百万分之五十。"
    )
    await owner.get_by_label("行业").select_option(label="新材料")
    await owner.get_by_label("地区代码").fill("330106")
    await owner.get_by_label("合作方式").select_option(label="技术许可")
    await owner.get_by_label("预算上限（元）").fill("3,000,000")
    later = datetime.now(UTC) + timedelta(days=60)
    await owner.get_by_label("截止时间（北京时间）").fill(later.strftime("%Y-%m-%dT12:00"))
    await _press(owner, "保存草稿")
    await expect(owner.get_by_role("heading", level=1)).to_have_text(DEMAND)
    demand_id = int(owner.url.split("?")[0].rsplit("/", 1)[1])
    await _press(owner, "发布")
    await expect(owner.get_by_role("status")).to_contain_text("已发布")
    await screenshot(owner, "journey-6-demand-published")
    return demand_id


async def _search(visitor: Page) -> None:
    """A visitor finds the achievement by two characters, in its industry and city."""
    await visit(visitor, "/")
    await _follow(visitor, "科技成果", "主导航")
    await visitor.get_by_label("关键词").fill(TERM)
    await visitor.get_by_label("行业").select_option(label="新材料")
    await visitor.get_by_label("省份").select_option(label="浙江省")
    await visitor.get_by_label("城市").select_option(label="杭州市")
    await _press(visitor, "搜索")
    results = visitor.get_by_role("region", name="搜索结果")
    await expect(results.get_by_role("heading", level=3)).to_have_text([TITLE])
    await screenshot(visitor, "journey-7-search")
    # The same words in another industry find nothing.
    await visitor.get_by_label("行业").select_option(label="生命健康与医药")
    await _press(visitor, "搜索")
    await expect(results.get_by_role("heading", level=3)).to_have_count(0)
    await visitor.go_back()
    await check_a11y(visitor)


async def test_a_new_university_lists_an_achievement_that_meets_a_demand(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    serial = secrets.token_hex(3)
    university = f"钱塘理工大学{serial}"
    admin_email = f"admin-{serial}@qiantang.example.cn"
    researcher = DemoLogin(
        university, f"shen-{serial}@qiantang.example.cn", frozenset({"member"}), PASSWORD
    )

    admin = await new_page()
    await _register(admin, university, admin_email)
    await screenshot(admin, "journey-1-registered")

    operator = await new_page()
    await log_in(operator, demo_site.login(OPERATOR))
    await _verify(operator, university)

    await visit(admin, "/account")
    await _staff(admin, researcher)

    member = await new_page()
    await log_in(member, researcher)
    achievement_id = await _list_achievement(member)
    await _approve(admin)

    enterprise = await new_page()
    await log_in(enterprise, demo_site.login(ENTERPRISE))
    demand_id = await _publish_demand(enterprise)

    visitor = await new_page()
    await _search(visitor)
    await _follow(visitor, TITLE)
    await expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(
        visitor.get_by_role("main").get_by_role("link", name=university).first
    ).to_be_visible()
    matches = visitor.get_by_role("region", name="匹配的企业需求")
    match = matches.get_by_role("listitem").filter(has=visitor.get_by_role("link", name=DEMAND))
    reasons = match.get_by_role("listitem")
    # The technology named first, not whichever words of the specification are longest.
    await expect(reasons.filter(has_text="共同关键词")).to_have_text(
        re.compile(r"^共同关键词：核级、萃取、分离、")
    )
    await expect(reasons.filter(has_text="同一行业")).to_have_text("同一行业：新材料")
    await expect(reasons.filter(has_text="同一地区")).to_have_text("同一地区：浙江省 杭州市 西湖区")
    await screenshot(visitor, "journey-8-achievement")

    # The researcher answers the demand from its page (揭榜), linking the achievement.
    await visit(member, f"/achievements/{achievement_id}")
    await _follow(member, DEMAND)
    await member.get_by_label("方案说明").fill("我校锆铪分离工艺已完成千吨级中试，可提供工艺包。")
    await member.get_by_label("报价（元）").fill("2,500,000")
    await (
        member.get_by_role("group", name="关联我方成果（可选）")
        .get_by_role("checkbox", name=TITLE)
        .check()
    )
    await _press(member, "提交揭榜")
    sent = member.get_by_role("table", name="我方的揭榜方案")
    await expect(sent).to_contain_text("¥2,500,000.00")
    await expect(sent.get_by_role("link")).to_have_text([TITLE])
    await screenshot(member, "journey-9-responded")

    await visit(enterprise, f"/my/demands/{demand_id}")
    await expect(enterprise.get_by_role("main")).to_contain_text("收到的揭榜方案（1）")
    await expect(enterprise.get_by_role("heading", name=re.compile(university))).to_be_visible()
    await expect(enterprise.get_by_role("main").get_by_role("link", name=TITLE)).to_be_visible()
    await screenshot(enterprise, "journey-10-response-received")

    # What the pages showed is what the service holds.
    public = (await call(demo_site, "GET", f"/achievements/{achievement_id}")).json()
    assert public["status"] == "published"
    org = (await call(demo_site, "GET", f"/orgs/{public['org_id']}")).json()
    assert (org["name"], org["status"]) == (university, "verified")
