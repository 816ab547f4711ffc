"""Journeys through the operator's desk and the auditor's ledger explorer, in Chromium."""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from techmarket.accounts.credit_code import check_character
from tests.web.browser import DemoLogin, check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

OPERATOR = "operator@demo.techmarket.cn"
AUDITOR = "auditor@tianheng.demo.techmarket.cn"
BUYER = "buyer@weilai.demo.techmarket.cn"
TECHMARKET = Path(sys.executable).with_name("techmarket")


def _api(site: DemoSite, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=f"{site.url}/api/v1", headers=headers)


async def _token(site: DemoSite, login: DemoLogin) -> str:
    async with _api(site) as api:
        issued = await api.post(
            "/auth/token", data={"username": login.email, "password": login.password}
        )
    assert issued.status_code == 200, issued.text
    return str(issued.json()["access_token"])


async def _register(site: DemoSite) -> dict[str, Any]:
    """A new organisation registers itself (over the API: the page is another area's)."""
    serial = secrets.randbelow(10**9)
    base = f"91330106{serial:09d}"
    async with _api(site) as api:
        created = await api.post(
            "/orgs",
            json={
                "name": f"杭州新材科技有限公司{serial}",
                "kind": "enterprise",
                "region_code": "330106",
                "credit_code": base + check_character(base),
                "admin": {
                    "email": f"admin{serial}@xincai.example.cn",
                    "display_name": "新材管理员",
                    "password": secrets.token_urlsafe(16),
                },
            },
        )
    assert created.status_code == 201, created.text
    return dict(created.json()["org"])


async def _decided(page: Page) -> int:
    """After a decision: the ledger entry it wrote, named on the page with its receipt."""
    await check_a11y(page)
    done = page.get_by_role("status")
    await expect(done).to_contain_text("已记入账本")
    link = done.get_by_role("link", name=re.compile(r"查看账本记录 #\d+"))
    index = int(re.sub(r"\D", "", await link.inner_text()))
    await expect(done.get_by_role("link", name="下载收据")).to_have_attribute(
        "href", f"/ledger/entries/{index}/receipt"
    )
    return index


async def test_operator_verifies_a_newly_registered_organisation(
    page: Page, demo_site: DemoSite
) -> None:
    org = await _register(demo_site)
    await log_in(page, demo_site.login(OPERATOR))
    async with page.expect_navigation():
        await page.get_by_role("banner").get_by_role("link", name="运营工作台").click()
    await check_a11y(page)
    applicant = page.get_by_role("article", name=org["name"])
    await expect(applicant).to_contain_text(org["credit_code"])
    await screenshot(page, "operator-desk")

    async with page.expect_navigation():
        await applicant.get_by_role("button", name="通过认证").click()
    index = await _decided(page)
    await expect(page.get_by_role("article", name=org["name"])).to_have_count(0)
    await screenshot(page, "operator-desk-verified")

    async with page.expect_navigation():
        await page.get_by_role("link", name=f"查看账本记录 #{index}").click()
    await check_a11y(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"账本记录 #{index}")
    await expect(page.get_by_role("main")).to_contain_text("org.verified")
    await expect(page.get_by_role("link", name=f"org/{org['id']}")).to_have_attribute(
        "href", f"/orgs/{org['id']}"
    )
    async with _api(demo_site) as api:
        assert (await api.get(f"/orgs/{org['id']}")).json()["status"] == "verified"


async def test_operator_dismisses_an_objection_raised_during_notice(
    page: Page, demo_site: DemoSite
) -> None:
    async with _api(demo_site) as api:
        notice = (await api.get("/notices")).json()["items"][0]
    objector = next(
        login
        for login in demo_site.logins.values()
        if login.organisation not in (notice["seller"], notice["buyer"])
        and login.email not in (OPERATOR, AUDITOR)
    )
    reasons = f"该成果的专利权属存在争议（{secrets.token_hex(3)}）"
    async with _api(demo_site, await _token(demo_site, objector)) as api:
        raised = await api.post(
            f"/trades/{notice['trade_id']}/objections", json={"reasons": reasons}
        )
    assert raised.status_code == 201, raised.text

    await log_in(page, demo_site.login(OPERATOR))
    await visit(page, "/operator")
    async with page.expect_navigation():
        await (
            page.get_by_role("navigation", name="运营工作台")
            .get_by_role("link", name="待裁定异议")
            .click()
        )
    await check_a11y(page)
    objection = page.get_by_role("article").filter(has_text=reasons)
    await expect(objection).to_contain_text(objector.organisation)
    await expect(objection.get_by_role("link", name=notice["title"])).to_be_visible()
    await screenshot(page, "operator-objections")

    async with page.expect_navigation():
        await objection.get_by_role("button", name="驳回异议").click()
    index = await _decided(page)
    await expect(page.get_by_role("article").filter(has_text=reasons)).to_have_count(0)
    async with _api(demo_site) as api:
        entry = (await api.get(f"/ledger/entries/{index}")).json()
    assert '"ruling":"dismissed"' in entry["canonical"]
    assert '"type":"trade.objection_resolved"' in entry["canonical"]
    await screenshot(page, "operator-objection-dismissed")


async def test_auditor_downloads_a_receipt_the_cli_accepts(
    page: Page, demo_site: DemoSite, tmp_path: Path
) -> None:
    await log_in(page, demo_site.login(AUDITOR))
    async with page.expect_navigation():
        await page.get_by_role("navigation", name="主导航").get_by_role("link", name="账本").click()
    await check_a11y(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("账本")
    await expect(page.get_by_role("region", name="最新签名检查点")).to_contain_text(
        "techmarket.example/ledger"
    )
    entries = page.get_by_role("table", name=re.compile("账本记录"))
    await expect(entries.get_by_role("row").nth(1)).to_be_visible()
    await screenshot(page, "ledger-explorer")

    newest = entries.get_by_role("row").nth(1).get_by_role("link").first
    index = int((await newest.inner_text()).lstrip("#"))
    async with page.expect_navigation():
        await newest.click()
    await check_a11y(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"账本记录 #{index}")
    await expect(page.get_by_role("region", name="包含证明")).to_be_visible()
    await screenshot(page, "ledger-entry")

    async with page.expect_download() as started:
        await page.get_by_role("link", name="下载收据").click()
    download = await started.value
    assert download.suggested_filename == f"techmarket-receipt-{index}.tlog-proof"
    receipt = tmp_path / download.suggested_filename
    await download.save_as(receipt)

    await visit(page, "/ledger/verify")
    async with page.expect_download() as started:
        await page.get_by_role("link", name="下载公钥").click()
    key = tmp_path / "techmarket-ledger.pub"
    await (await started.value).save_as(key)
    async with _api(demo_site) as api:
        assert key.read_text() == (await api.get("/ledger/public-key")).text
    await expect(page.get_by_role("region", name="账本公钥")).to_contain_text(
        key.read_text().strip()
    )
    await screenshot(page, "ledger-verify")

    checked = await asyncio.to_thread(
        subprocess.run,
        [str(TECHMARKET), "ledger", "verify-receipt", str(receipt), "--key", str(key)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK entry {index} is in" in checked.stdout


async def test_the_desk_is_the_operator_s_only(new_page: NewPage, demo_site: DemoSite) -> None:
    anonymous = await new_page()
    response = await visit(anonymous, "/operator")
    assert response.status == 403
    await expect(anonymous.get_by_role("heading", level=1)).to_have_text("请登录")

    member = await new_page()
    await log_in(member, demo_site.login(BUYER))
    await expect(member.get_by_role("link", name="运营工作台")).to_have_count(0)
    response = await visit(member, "/operator")
    assert response.status == 403
    await expect(member.get_by_role("heading", level=1)).to_have_text("无权访问")
    await expect(member.get_by_role("main")).to_contain_text("只有平台运营方可以进行此操作")
    await screenshot(member, "operator-forbidden")


async def test_ledger_pages_fit_a_phone(new_page: NewPage) -> None:
    phone = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    for path in ("/ledger", "/ledger/entries/0", "/ledger/verify"):
        await visit(phone, path)
        overflow = await phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
    await screenshot(phone, "ledger-verify-phone")
