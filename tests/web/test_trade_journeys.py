"""Journeys through negotiation, the public notice board, a deal and my trades, in
Chromium, with several people at once (each in a browser context of their own)."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Page, expect
from websockets.asyncio.client import connect

from tests.web.browser import DemoLogin, check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage

SELLER, SELLER_TTO = "prof@zju.demo.techmarket.cn", "tto@zju.demo.techmarket.cn"
BUYER = "buyer@hairui.demo.techmarket.cn"
OBJECTOR = "buyer@lvneng.demo.techmarket.cn"
OPERATOR = "operator@demo.techmarket.cn"
LISTER = "admin@nbu.demo.techmarket.cn"  # a university whose admin is also its TTO
WINNER = "buyer@kangtai.demo.techmarket.cn"


class Api:
    """Set-up over the API, as a given person (the pages that open trades are others')."""

    def __init__(self, site: DemoSite, login: DemoLogin) -> None:
        self.site, self.login = site, login
        self.client = httpx.AsyncClient(base_url=f"{site.url}/api/v1")

    async def __aenter__(self) -> Api:
        issued = await self.client.post(
            "/auth/token", data={"username": self.login.email, "password": self.login.password}
        )
        assert issued.status_code == 200, issued.text
        self.client.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        assert response.is_success, response.text
        return response.json()

    async def org_id(self) -> int:
        return int((await self.call("GET", "/me"))["org"]["id"])

    async def published_achievement(self) -> dict[str, Any]:
        mine = await self.call(
            "GET", "/achievements", params={"org_id": await self.org_id(), "status": "published"}
        )
        return dict(mine["items"][0])


async def _recorded(page: Page) -> int:
    """After an action: the ledger entry it wrote, named on the page with its receipt."""
    await check_a11y(page)
    done = page.get_by_role("status")
    link = done.get_by_role("link", name=re.compile(r"查看账本记录 #\d+"))
    index = int(re.sub(r"\D", "", await link.inner_text()))
    await expect(done.get_by_role("link", name="下载收据")).to_have_attribute(
        "href", f"/ledger/entries/{index}/receipt"
    )
    return index


async def _signed_in(new_page: NewPage, site: DemoSite, email: str) -> Page:
    page = await new_page()
    await log_in(page, site.login(email))
    return page


async def test_an_agreement_is_negotiated_put_on_notice_objected_to_and_ruled(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    async with Api(demo_site, demo_site.login(BUYER)) as buyer_api:
        buyer_org = await buyer_api.org_id()
    async with Api(demo_site, demo_site.login(SELLER)) as seller_api:
        listed = await seller_api.published_achievement()
        trade = await seller_api.call(
            "POST",
            "/trades",
            json={
                "mode": "agreement",
                "achievement_id": listed["id"],
                "buyer_org_id": buyer_org,
                "asking_price_fen": 900_000_00,
            },
        )
    async with Api(demo_site, demo_site.login(SELLER_TTO)) as tto_api:
        await tto_api.call("POST", f"/trades/{trade['id']}/approve")
    negotiation = f"/trades/{trade['id']}/negotiation"
    seller, buyer = (
        await _signed_in(new_page, demo_site, SELLER),
        await _signed_in(new_page, demo_site, BUYER),
    )

    await visit(seller, negotiation)
    heading = seller.get_by_role("heading", level=1)
    await expect(heading).to_have_text(f"协议定价：{listed['title']}")
    await seller.get_by_label("我方报价（元）").fill("880000")
    await seller.get_by_label("说明（仅双方可见，不上链）").fill("含两年技术服务")
    async with seller.expect_navigation():
        await seller.get_by_role("button", name="出价").click()
    offered = await _recorded(seller)
    thread = seller.get_by_role("list").filter(has_text="¥880,000.00")
    await expect(thread.get_by_role("link", name=f"账本 #{offered}")).to_be_visible()

    await visit(buyer, negotiation)
    await expect(buyer.get_by_role("heading", name="待您还价或接受")).to_be_visible()
    await expect(buyer.get_by_role("main")).to_contain_text("含两年技术服务")
    await buyer.get_by_label("我方报价（元）").fill("760000.50")
    async with buyer.expect_navigation():
        await buyer.get_by_role("button", name="还价").click()
    await _recorded(buyer)
    await screenshot(buyer, "negotiation-counter-offer")

    await visit(seller, negotiation)
    async with seller.expect_navigation():
        await seller.get_by_role("button", name="接受对方报价 ¥760,000.50").click()
    await _recorded(seller)
    await expect(seller.get_by_role("heading", name="公示中")).to_be_visible()
    await expect(seller.get_by_role("main")).to_contain_text(re.compile("剩余 1[45] 天"))

    # A third organisation objects from the public board.
    objector = await _signed_in(new_page, demo_site, OBJECTOR)
    await visit(objector, "/notices")
    notice = objector.get_by_role("article", name=listed["title"])
    await expect(notice).to_contain_text("¥760,000.50")
    reasons = f"该成果与我方在先专利存在权属争议（{secrets.token_hex(3)}）"
    await notice.get_by_label("异议理由").fill(reasons)
    async with objector.expect_navigation():
        await notice.get_by_role("button", name=f"对“{listed['title']}”提出异议").click()
    raised = await _recorded(objector)
    notice = objector.get_by_role("article", name=listed["title"])
    await expect(notice.get_by_role("listitem")).to_contain_text("待裁定")
    await expect(notice.get_by_role("link", name=f"账本 #{raised}")).to_be_visible()

    operator = await _signed_in(new_page, demo_site, OPERATOR)
    await visit(operator, "/operator/objections")
    objection = operator.get_by_role("article").filter(has_text=reasons)
    async with operator.expect_navigation():
        await objection.get_by_role("button", name="驳回异议").click()
    await check_a11y(operator)

    anyone = await new_page()
    await visit(anyone, "/notices")
    notice = anyone.get_by_role("article", name=listed["title"])
    await expect(notice.get_by_role("listitem")).to_contain_text("异议驳回")
    await expect(notice).not_to_contain_text(reasons)  # the reasons are the operator's only
    await expect(notice).to_contain_text("登录")
    await screenshot(anyone, "notice-board")

    await visit(buyer, "/my/trades")
    under_way = buyer.get_by_role("region", name=re.compile("进行中"))
    await expect(under_way.get_by_role("link", name=listed["title"])).to_have_attribute(
        "href", negotiation
    )
    await expect(under_way).to_contain_text("公示中")


async def _sold_listing(site: DemoSite) -> tuple[int, str]:
    """A listing ending in a few seconds with one intent: a deal at the listed price when
    the scheduler ends it (awaited on the trade's websocket, not by sleeping)."""
    async with Api(site, site.login(LISTER)) as lister:
        listed = await lister.published_achievement()
        ends = datetime.now(UTC) + timedelta(seconds=4)
        trade = await lister.call(
            "POST",
            "/trades",
            json={
                "mode": "listed",
                "achievement_id": listed["id"],
                "listed_price_fen": 300_000_00,
                "deposit_fen": 30_000_00,
                "listing_ends_at": ends.isoformat(),
                "increment_fen": 1_000_00,
            },
        )
        if trade["status"] == "pending_approval":
            await lister.call("POST", f"/trades/{trade['id']}/approve")
    url = site.url.replace("http://", "ws://") + f"/ws/trades/{trade['id']}"
    async with connect(url) as ws:
        async with Api(site, site.login(WINNER)) as winner:
            await winner.call("POST", f"/trades/{trade['id']}/intents")
        snapshot = json.loads(await ws.recv())
        if snapshot["trade"]["status"] != "sold":
            async for message in ws:
                if json.loads(message)["type"] == "closed":
                    break
    return int(trade["id"]), str(listed["title"])


async def test_the_winner_records_the_contract_and_its_registration(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    trade_id, title = await _sold_listing(demo_site)
    winner = await _signed_in(new_page, demo_site, WINNER)
    await visit(winner, "/my/trades")
    yours = winner.get_by_role("region", name=re.compile("待您处理"))
    await expect(yours.get_by_role("listitem").filter(has_text=title)).to_contain_text("待签约")
    await screenshot(winner, "my-trades")
    async with winner.expect_navigation():
        await yours.get_by_role("link", name=title).click()
    await check_a11y(winner)
    assert winner.url.endswith(f"/deals/{trade_id}")
    await expect(winner.get_by_role("main")).to_contain_text("竞得方须在")
    await expect(winner.get_by_role("main")).to_contain_text(re.compile("剩余 (30|29) 天"))

    await winner.get_by_label("合同编号").fill("NBU-2026-JS-0007")
    await winner.get_by_label("签订日期").fill("2026-11-20")
    await winner.get_by_label("支付方式").select_option(label="先免费许可后付费")
    async with winner.expect_navigation():
        await winner.get_by_role("button", name="登记合同").click()
    recorded = await _recorded(winner)
    await expect(winner.get_by_role("link", name=f"合同记录 #{recorded}")).to_be_visible()
    await winner.get_by_label("认定登记号").fill("3302122026000088")
    await winner.get_by_label("登记日期").fill("2026-11-22")
    async with winner.expect_navigation():
        await winner.get_by_role("button", name="登记认定").click()
    registered = await _recorded(winner)
    await expect(winner.get_by_role("link", name=f"登记记录 #{registered}")).to_be_visible()
    await screenshot(winner, "deal-registered")

    await visit(winner, "/deals")
    await expect(winner.get_by_role("link", name=title)).to_have_attribute(
        "href", f"/deals/{trade_id}"
    )
    await visit(winner, "/my/trades")
    over = winner.get_by_role("region", name=re.compile("已结束"))
    await expect(over.get_by_role("listitem").filter(has_text=title)).to_contain_text("已登记")


async def test_the_notice_board_fits_a_phone(new_page: NewPage) -> None:
    phone = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    await visit(phone, "/notices")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    await screenshot(phone, "notice-board-phone")


async def test_a_buyer_ends_a_negotiation_and_a_seller_withdraws_its_auction(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    async with Api(demo_site, demo_site.login(BUYER)) as buyer_api:
        buyer_org = await buyer_api.org_id()
    async with Api(demo_site, demo_site.login(SELLER)) as seller_api:
        listed = await seller_api.published_achievement()
        trade = await seller_api.call(
            "POST",
            "/trades",
            json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer_org},
        )
    async with Api(demo_site, demo_site.login(SELLER_TTO)) as tto_api:
        await tto_api.call("POST", f"/trades/{trade['id']}/approve")
    buyer = await _signed_in(new_page, demo_site, BUYER)
    await visit(buyer, f"/trades/{trade['id']}/negotiation")
    async with buyer.expect_navigation():
        await buyer.get_by_role("button", name="结束谈判").click()
    await _recorded(buyer)
    await expect(buyer.get_by_role("heading", name="谈判已结束")).to_be_visible()
    await expect(buyer.get_by_role("button", name="结束谈判")).to_have_count(0)
    await screenshot(buyer, "negotiation-ended")
    await visit(buyer, f"/achievements/{listed['id']}")  # on offer again: public
    await expect(buyer.get_by_role("heading", level=1)).to_have_text(listed["title"])

    now = datetime.now(UTC)
    async with Api(demo_site, demo_site.login(LISTER)) as lister:
        offered = await lister.published_achievement()
        auction = await lister.call(
            "POST",
            "/trades",
            json={
                "achievement_id": offered["id"],
                "start_price_fen": 9_000_000_00,
                "increment_fen": 10_000_00,
                "deposit_fen": 0,
                "registration_deadline": (now + timedelta(hours=1)).isoformat(),
                "starts_at": (now + timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
            },
        )
        if auction["status"] == "pending_approval":  # its admin is its TTO too
            await lister.call("POST", f"/trades/{auction['id']}/approve")
    room = f"/trades/{auction['id']}"
    await visit(buyer, room)  # a watcher, live
    await expect(buyer.get_by_role("status").filter(has_text="实时连接中")).to_be_visible()
    await expect(buyer.get_by_role("button", name="报名并缴纳保证金")).to_be_visible()
    seller = await _signed_in(new_page, demo_site, LISTER)
    await visit(seller, room)
    async with seller.expect_navigation():
        await seller.get_by_role("button", name="撤回交易").click()
    await check_a11y(seller)
    done = seller.get_by_role("status").filter(has_text="交易已撤回")
    await expect(done.get_by_role("link", name=re.compile(r"第 \d+ 条"))).to_be_visible()
    await expect(seller.get_by_role("button", name="撤回交易")).to_have_count(0)
    await screenshot(seller, "auction-withdrawn")
    # The watcher is told at once, and can no longer register.
    await expect(buyer.get_by_text("卖方已在首次出价前撤回本交易")).to_be_visible()
    await expect(buyer.get_by_role("button", name="报名并缴纳保证金")).to_be_hidden()
