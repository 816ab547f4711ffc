"""The public market in a real Chromium: searching achievements, an achievement's and a
demand's pages, responding to a demand (揭榜), the institutions and registering one."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
from playwright.async_api import Page, expect

from techmarket.accounts.credit_code import check_character
from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

PROFESSOR = "prof@zju.demo.techmarket.cn"  # a member of a university
TERM = "电池"


async def _api(site: DemoSite, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(base_url=f"{site.url}/api/v1") as client:
        response = await client.get(path, params=params)
        response.raise_for_status()
        return response.json()


async def _without_scripts(new_page: NewPage) -> Page:
    """A browser whose page scripts do not load, as with script turned off (the
    accessibility checker still runs: it is not one of the page's scripts)."""
    page = await new_page()
    await page.route(re.compile(r"/static/.*\.js$"), lambda route: route.abort())
    return page


async def _titles(page: Page) -> list[str]:
    results = page.get_by_role("region", name="搜索结果")
    return await results.get_by_role("heading", level=3).all_inner_texts()


async def test_search_with_filters_is_shareable_and_pages_on(
    page: Page, new_page: NewPage, demo_site: DemoSite
) -> None:
    # A city where the demo has battery materials (the API says which; nothing assumed).
    first = (await _api(demo_site, "/achievements", q=TERM, industry="new_materials"))["items"][0]
    city = first["region_code"][:4] + "00"
    expected = await _api(
        demo_site, "/achievements", q=TERM, industry="new_materials", region=city, limit=20
    )
    assert expected["items"]

    await visit(page, "/achievements")
    await page.get_by_label("关键词").fill(TERM)
    await page.get_by_label("行业").select_option(label="新材料")
    await page.get_by_label("省份").select_option(value=city[:2] + "0000")
    # The script lists the province's cities at once.
    await page.get_by_label("城市").select_option(value=city)
    await expect(page.get_by_label("区县").locator("option").first).to_have_text("全市")
    async with page.expect_navigation():
        await page.get_by_role("button", name="搜索").click()
    await check_a11y(page)
    shown = await _titles(page)
    assert shown == [a["title"] for a in expected["items"]]
    assert "%E7%94%B5%E6%B1%A0" in page.url  # the query is in the address
    await expect(page.get_by_label("城市")).to_have_value(city)
    await screenshot(page, "achievements-search")

    # The address is the search: another browser opening it sees the same results.
    stranger = await new_page()
    await visit(stranger, page.url)
    assert await _titles(stranger) == shown

    # Next page: the keyset cursor, the query kept.
    pages = await _api(
        demo_site, "/achievements", industry="new_materials", sort="newest", limit=20
    )
    second = await _api(
        demo_site,
        "/achievements",
        industry="new_materials",
        sort="newest",
        limit=20,
        cursor=pages["next_cursor"],
    )
    await visit(page, "/achievements?industry=new_materials&sort=newest")
    async with page.expect_navigation():
        await page.get_by_role("link", name="下一页 »").click()
    await check_a11y(page)
    assert "industry=new_materials" in page.url and "cursor=" in page.url
    assert await _titles(page) == [a["title"] for a in second["items"]]
    await expect(page.get_by_role("link", name="« 第一页")).to_be_visible()


async def test_a_price_typed_wrong_is_shown_next_to_the_field(page: Page) -> None:
    response = await visit(page, "/achievements?price_min=%E5%BE%88%E8%B4%B5&q=" + TERM)
    assert response.status == 422
    price = page.get_by_label("最低价格（元）")
    await expect(price).to_have_attribute("aria-invalid", "true")
    await expect(price).to_have_accessible_description(re.compile("请填写金额（元）"))
    await expect(page.get_by_label("关键词")).to_have_value(TERM)


async def test_achievement_page_shows_matching_demands_with_reasons(
    page: Page, demo_site: DemoSite
) -> None:
    for achievement in (await _api(demo_site, "/achievements", q=TERM))["items"]:
        if matches := await _api(demo_site, f"/achievements/{achievement['id']}/matches"):
            break
    assert matches, "no demo achievement on batteries matches a demand"
    await visit(page, f"/achievements/{achievement['id']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(achievement["title"])
    owner = await _api(demo_site, f"/orgs/{achievement['org_id']}")
    await expect(
        page.get_by_role("main").get_by_role("link", name=owner["name"]).first
    ).to_be_visible()
    shown = page.get_by_role("region", name="匹配的企业需求")
    best = shown.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=matches[0]["title"])
    )
    await expect(best).to_contain_text("共同关键词")
    await expect(shown.get_by_role("link")).to_have_count(len(matches))
    await screenshot(page, "achievement")


async def test_demand_page_shows_challenge_badge_reward_and_deadline(
    page: Page, demo_site: DemoSite
) -> None:
    demand = (await _api(demo_site, "/demands", challenge="true"))["items"][0]
    await visit(page, f"/demands/{demand['id']}")
    main = page.get_by_role("main")
    await expect(main.get_by_text("揭榜挂帅", exact=True).first).to_be_visible()
    reward = f"¥{demand['reward_fen'] // 100:,}.{demand['reward_fen'] % 100:02d}"
    await expect(main.locator(".figure", has_text="揭榜奖金")).to_contain_text(reward)
    timer = page.get_by_role("timer")
    await expect(timer).to_have_text(re.compile(r"剩余 \d+ 天 \d\d:\d\d:\d\d"))  # ticking
    ticked = await timer.inner_text()
    await expect(timer).not_to_have_text(ticked)  # a second later it says less
    await screenshot(page, "demand")


async def test_the_deadline_is_drawn_without_script(new_page: NewPage, demo_site: DemoSite) -> None:
    demand = (await _api(demo_site, "/demands", challenge="true"))["items"][0]
    page = await _without_scripts(new_page)
    await visit(page, f"/demands/{demand['id']}")
    await expect(page.get_by_role("timer")).to_have_text(re.compile(r"^剩余 \d+ 天$"))


async def test_a_university_member_responds_to_a_demand(page: Page, demo_site: DemoSite) -> None:
    demand = (await _api(demo_site, "/demands", challenge="false"))["items"][0]
    await log_in(page, demo_site.login(PROFESSOR))
    await visit(page, f"/demands/{demand['id']}")
    form = page.get_by_role("main").locator("form", has=page.get_by_role("button", name="提交揭榜"))
    await form.get_by_label("方案说明").fill("我校团队可在六个月内完成中试，提供工艺包与技术培训。")
    async with page.expect_navigation():  # no price yet: refused, next to the field
        await form.get_by_role("button", name="提交揭榜").click()
    await check_a11y(page)
    price = page.get_by_label("报价（元）")
    await expect(price).to_have_attribute("aria-invalid", "true")
    await expect(price).to_have_accessible_description(re.compile("请填写此项"))
    await expect(page.get_by_label("方案说明")).to_have_value(re.compile("六个月"))

    await price.fill("350,000.50")
    linked = page.get_by_role("group", name="关联我方成果（可选）").get_by_role("checkbox").first
    await linked.check()
    linked_title = (await linked.locator("xpath=..").inner_text()).strip()
    async with page.expect_navigation():
        await page.get_by_role("button", name="提交揭榜").click()
    await check_a11y(page)
    mine = page.get_by_role("table", name="我方的揭榜方案")
    await expect(mine).to_contain_text("¥350,000.50")
    await expect(mine).to_contain_text("已提交")
    await expect(mine.get_by_role("link")).to_have_text([linked_title])  # the one linked
    await screenshot(page, "demand-responded")

    # A post without the form's token is refused.
    token = await page.locator("input[name=csrf_token]").first.input_value()
    assert token
    refused = await page.request.post(
        f"/demands/{demand['id']}/responses", form={"text": "x", "quoted_price": "1"}
    )
    assert refused.status == 403


def _credit_code() -> str:
    base = "91330106MA" + "".join(secrets.choice("0123456789") for _ in range(7))
    return base + check_character(base)


async def test_registration_checks_the_credit_code_and_ends_pending(
    page: Page, new_page: NewPage
) -> None:
    valid = _credit_code()
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    # With script: the check runs as the code is typed.
    await visit(page, "/register")
    code = page.get_by_label("统一社会信用代码")
    await code.fill(wrong)
    await expect(code).to_have_attribute("aria-invalid", "true")
    await expect(code).to_have_accessible_description(
        re.compile(f"校验码不符：末位应为 {valid[17]}")
    )
    await check_a11y(page)
    await code.fill(valid)
    await expect(code).not_to_have_attribute("aria-invalid", "true")

    # Without script: the server's check, the region chosen level by level.
    plain = await _without_scripts(new_page)
    await visit(plain, "/register")
    suffix = secrets.token_hex(3)
    await plain.get_by_label("机构名称").fill(f"杭州新光材料研究院{suffix}")
    await plain.get_by_label("机构类型").select_option(label="科研院所")
    await plain.get_by_label("统一社会信用代码").fill(wrong)
    await plain.get_by_label("省份").select_option(label="浙江省")
    async with plain.expect_navigation():
        await plain.get_by_role("button", name="更新城市和区县列表").click()
    await check_a11y(plain)
    await plain.get_by_label("城市").select_option(label="杭州市")
    await plain.get_by_label("姓名").fill("新光管理员")
    await plain.get_by_label("邮箱").fill(f"admin-{suffix}@xinguang.example.cn")
    await plain.get_by_label("密码").fill("a long enough password")
    async with plain.expect_navigation() as navigation:
        await plain.get_by_role("button", name="提交注册").click()
    response = await navigation.value
    assert response is not None and response.status == 422
    await check_a11y(plain)
    code = plain.get_by_label("统一社会信用代码")
    await expect(code).to_have_attribute("aria-invalid", "true")
    await expect(code).to_have_accessible_description(re.compile("统一社会信用代码无效"))
    await expect(plain.get_by_label("城市")).to_have_value("330100")  # kept
    await screenshot(plain, "register-error")

    await code.fill(valid)
    await plain.get_by_label("密码").fill("a long enough password")  # never echoed back
    async with plain.expect_navigation():
        await plain.get_by_role("button", name="提交注册").click()
    await check_a11y(plain)
    await expect(plain.get_by_role("heading", level=1)).to_have_text(f"杭州新光材料研究院{suffix}")
    await expect(plain.get_by_role("status")).to_contain_text("待审核")
    await expect(plain.get_by_role("main")).to_contain_text("浙江省 杭州市")
    await screenshot(plain, "register-pending")


async def test_institution_profile_shows_its_achievements(page: Page, demo_site: DemoSite) -> None:
    orgs = (await _api(demo_site, "/orgs", kind="university"))["items"]
    zju = next(o for o in orgs if o["name"] == "浙江大学")
    newest = await _api(demo_site, "/achievements", org_id=zju["id"], sort="newest", limit=1)
    await visit(page, "/orgs")
    async with page.expect_navigation():
        await page.get_by_role("link", name="浙江大学").click()
    await check_a11y(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("浙江大学")
    await expect(page.get_by_role("main")).to_contain_text("高校")
    published = page.get_by_role("region", name="发布的科技成果")
    await expect(published.get_by_role("link", name=newest["items"][0]["title"])).to_be_visible()
    await screenshot(page, "org")


async def test_market_pages_fit_a_phone(new_page: NewPage) -> None:
    phone = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    for path in ("/achievements?q=" + TERM, "/demands", "/register"):
        await visit(phone, path)
        overflow = await phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
    await screenshot(phone, "register-phone")
