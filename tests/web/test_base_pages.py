"""The home page, signing in and out, refusals and the API docs, in a real Chromium."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

BUYER = "buyer@weilai.demo.techmarket.cn"
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _api(site: DemoSite, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=f"{site.url}/api/v1", headers=headers) as client:
        return await client.get(path)


async def test_home_shows_live_figures_and_what_is_on(page: Page, demo_site: DemoSite) -> None:
    stats = (await _api(demo_site, "/stats")).json()
    newest = (await _api(demo_site, "/achievements?sort=newest&limit=1")).json()["items"][0]
    trades = (await _api(demo_site, "/trades")).json()["items"]
    auction = next(t for t in trades if t["mode"] == "auction")
    notice = (await _api(demo_site, "/notices")).json()["items"][0]

    await visit(page, "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("技术市场")
    figures = page.locator(".figures")
    published = f"{stats['achievements']['published']:,}"
    await expect(figures.locator(".figure", has_text="已发布科技成果")).to_contain_text(published)
    await expect(figures.locator(".figure", has_text="征集中的企业需求")).to_contain_text(
        str(stats["demands"]["open"])
    )
    deals = page.get_by_role("table", name="按交易方式的成交")
    await expect(deals.get_by_role("row")).to_have_count(5)  # header + the four modes
    await expect(deals).to_contain_text("竞价拍卖")

    latest = page.get_by_role("region", name="最新科技成果")
    await expect(latest.get_by_role("link", name=newest["title"])).to_be_visible()
    # The live auction, its end in Beijing time (the API says UTC).
    ends = datetime.fromisoformat(auction["ends_at"]).astimezone(SHANGHAI)
    auctions = page.get_by_role("region", name="正在竞价")
    await expect(auctions).to_contain_text(ends.strftime("%Y-%m-%d %H:%M"))
    notices = page.get_by_role("region", name="最新公示")
    await expect(notices.get_by_role("link", name=notice["title"])).to_be_visible()
    await expect(notices).to_contain_text("¥680,000.00")  # the demo's agreed price, in yuan
    await screenshot(page, "home")


async def test_home_fits_a_phone(new_page: NewPage) -> None:
    phone = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    await visit(phone, "/")
    overflow = await phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    await expect(phone.get_by_role("navigation", name="主导航")).to_be_visible()
    await screenshot(phone, "home-phone")


async def test_login_account_logout_revokes_the_session(page: Page, demo_site: DemoSite) -> None:
    login = demo_site.login(BUYER)
    await log_in(page, login)
    await expect(page).to_have_url(f"{demo_site.url}/account")
    await expect(page.get_by_role("heading", level=1)).to_have_text("我的账户")
    await expect(page.get_by_role("main")).to_contain_text(login.organisation)
    await expect(page.get_by_role("main")).to_contain_text("管理员")  # role, in Chinese
    await screenshot(page, "account")

    cookie = next(c for c in await page.context.cookies() if c["name"] == "tm_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain HTTP here; HTTPS sets Secure
    token = cookie["value"]
    # The cookie holds one of the API's own tokens.
    assert (await _api(demo_site, "/me", token)).status_code == 200

    async with page.expect_navigation():
        await page.get_by_role("button", name="退出登录").click()
    await check_a11y(page)
    await expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()
    # The token is revoked, not merely forgotten by this browser.
    assert (await _api(demo_site, "/me", token)).status_code == 401
    await page.context.add_cookies([{"name": "tm_session", "value": token, "url": demo_site.url}])
    response = await visit(page, "/account")
    assert response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("请登录")
    await expect(page.get_by_role("main").get_by_role("link", name="登录")).to_have_attribute(
        "href", "/login?next=/account"
    )


async def test_form_without_csrf_token_is_refused_with_a_page(
    page: Page, demo_site: DemoSite
) -> None:
    login = demo_site.login(BUYER)
    await visit(page, "/login")
    await page.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    await page.get_by_label("邮箱").fill(login.email)
    await page.get_by_label("密码").fill(login.password)
    async with page.expect_navigation() as navigation:
        await page.get_by_role("main").get_by_role("button", name="登录").click()
    response = await navigation.value
    assert response is not None and response.status == 403
    await check_a11y(page)
    await expect(page.get_by_role("main")).to_contain_text("表单已失效")
    assert not [c for c in await page.context.cookies() if c["name"] == "tm_session"]
    await screenshot(page, "csrf-refused")


async def test_wrong_password_is_shown_next_to_the_field(page: Page, demo_site: DemoSite) -> None:
    await visit(page, "/login")
    await page.get_by_label("邮箱").fill("nobody@example.com")
    await page.get_by_label("密码").fill("not the password")
    async with page.expect_navigation():
        await page.get_by_role("main").get_by_role("button", name="登录").click()
    await check_a11y(page)
    password = page.get_by_label("密码")
    await expect(password).to_have_attribute("aria-invalid", "true")
    await expect(password).to_have_accessible_description("邮箱或密码不正确。")
    await expect(page.get_by_label("邮箱")).to_have_value("nobody@example.com")
    await screenshot(page, "login-error")


async def test_unknown_page_is_a_chinese_404(page: Page) -> None:
    response = await visit(page, "/no-such-page")
    assert response.status == 404
    assert await page.get_attribute("html", "lang") == "zh-CN"
    await expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    await expect(page.get_by_role("search").get_by_label("搜索科技成果")).to_be_visible()
    await expect(page.get_by_role("main").get_by_role("link", name="企业需求")).to_be_visible()
    await screenshot(page, "not-found")


# Swagger UI nests its "try it" controls inside each operation's summary button: its own
# markup, not ours (our stylesheet does fix its colour contrast).
SWAGGER_UI_MARKUP = frozenset({"nested-interactive"})


async def test_api_docs_render_offline(page: Page) -> None:
    response = await page.goto("/docs")
    assert response is not None and response.ok
    await expect(page.get_by_text("/api/v1/auth/token", exact=True)).to_be_visible()
    await check_a11y(page, known=SWAGGER_UI_MARKUP)
    await screenshot(page, "docs")
