"""The live auction room and the listed-trading page in a real Chromium: bidders in their
own browser contexts and a watcher see each other's bids without reloading, the end
moves (已延时) everywhere, refusals read in Chinese, a dropped socket catches up on what
it missed, the close reveals the reserve and the page checks it; a listing with two
intents converts and leads both buyers to the room."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Page, WebSocketRoute, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

MEMBER = "prof@zju.demo.techmarket.cn"
TTO = "tto@zju.demo.techmarket.cn"
BIDDERS = ("buyer@weilai.demo.techmarket.cn", "buyer@hairui.demo.techmarket.cn")
LIVE = "实时连接中"
WAIT = 60_000  # ms: an auction or listing ends on the server's clock, closed by its scheduler

_serials = itertools.count(1)


def _utility_model_number() -> str:
    """A CN utility-model application number of this test's own, with its check character."""
    digits = f"20252099{next(_serials):04d}"
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return f"{digits}.{'X' if total == 10 else total}"


async def _published(site: DemoSite, title: str) -> int:
    created = await call(
        site,
        "POST",
        "/achievements",
        MEMBER,
        json={
            "title": title,
            "summary": "竞价室测试用成果。",
            "ip_type": "utility_model",
            "patent_numbers": [_utility_model_number()],
            "industry": "intelligent_manufacturing",
            "region_code": "330100",
            "trl": 5,
            "transfer_modes": ["assignment"],
            "asking_price_fen": 10_000_000,
        },
    )
    assert created.status_code == 201, created.text
    achievement_id = int(created.json()["id"])
    await call(site, "POST", f"/achievements/{achievement_id}/submit", MEMBER)
    approved = await call(site, "POST", f"/achievements/{achievement_id}/approve", TTO)
    assert approved.status_code == 200, approved.text
    return achievement_id


async def _trade(site: DemoSite, title: str, terms: dict[str, Any]) -> int:
    """A trade opened by the university's member and approved by its TTO."""
    achievement_id = await _published(site, title)
    opened = await call(
        site, "POST", "/trades", MEMBER, json={"achievement_id": achievement_id, **terms}
    )
    assert opened.status_code == 201, opened.text
    trade_id = int(opened.json()["id"])
    approved = await call(site, "POST", f"/trades/{trade_id}/approve", TTO)
    assert approved.status_code == 200, approved.text
    return trade_id


def _auction(ends_in: timedelta, extension: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "mode": "auction",
        "start_price_fen": 1_000_000,  # ¥10,000
        "increment_fen": 100_000,  # ¥1,000
        "reserve_fen": 1_200_000,
        "deposit_fen": 200_000,
        "registration_deadline": (now + ends_in).isoformat(),
        "starts_at": now.isoformat(),
        "ends_at": (now + ends_in).isoformat(),
        "extension_seconds": extension,
    }


async def _room(page: Page, trade_id: int) -> None:
    await visit(page, f"/trades/{trade_id}")
    await expect(page.get_by_role("status").filter(has_text=LIVE)).to_be_visible()


async def _register(page: Page, trade_id: int) -> str:
    """Register through the page; returns the alias (竞买号) the page names."""
    await _room(page, trade_id)
    await expect(page.get_by_text("出价具有约束力")).to_be_visible()  # said before any bid
    async with page.expect_navigation():
        await page.get_by_role("button", name="报名并缴纳保证金").click()
    await check_a11y(page)
    await expect(page.get_by_role("status").first).to_contain_text("报名成功，保证金已冻结")
    await expect(page.get_by_role("main")).to_contain_text("已冻结")
    await expect(page.get_by_role("status").filter(has_text=LIVE)).to_be_visible()
    found = re.search(r"您的竞买号：(\w+)", await page.locator("#you").inner_text())
    assert found, await page.locator("#you").inner_text()
    return found.group(1)


def _bid_rows(page: Page, amount: str) -> Any:
    return page.get_by_role("row").filter(has_text=amount)


async def test_bidders_and_a_watcher_see_each_bid_live_the_extension_and_the_close(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    # Auction B closes soon (its bids come through the API); auction A is bid on here.
    soon = _auction(timedelta(seconds=40), 30)
    closing = await _trade(demo_site, "竞价室测试：即将结束的拍卖", soon)
    for email, amount in zip(BIDDERS, (1_100_000, 1_300_000), strict=True):
        registered = await call(demo_site, "POST", f"/trades/{closing}/registrations", email)
        assert registered.status_code == 201, registered.text
        bid = await call(
            demo_site, "POST", f"/trades/{closing}/bids", email, json={"amount_fen": amount}
        )
        assert bid.status_code == 200, bid.text
    # Every bid on A falls in its extension period (600 s of a 10-minute auction).
    extending = _auction(timedelta(minutes=10), 600)
    trade_id = await _trade(demo_site, "竞价室测试：激光焊接工艺", extending)

    first, second, watcher = await new_page(), await new_page(), await new_page()
    await log_in(first, demo_site.login(BIDDERS[0]))
    await log_in(second, demo_site.login(BIDDERS[1]))
    first_alias = await _register(first, trade_id)
    second_alias = await _register(second, trade_id)
    await _room(watcher, trade_id)
    await expect(watcher.get_by_role("heading", name="出价", exact=True)).to_be_visible()
    await expect(watcher.get_by_role("link", name="登录")).to_have_count(2)  # header and form
    await expect(watcher.get_by_text("已延时", exact=True)).to_be_hidden()
    await screenshot(watcher, "auction-room-before")

    # The first bidder takes the first valid amount offered; all three see it.
    await first.get_by_role("button", name="出价 ¥10,000.00").click()
    await expect(first.get_by_role("status").filter(has_text="出价已被接受")).to_be_visible()
    for page in (first, second, watcher):
        await expect(_bid_rows(page, "¥10,000.00")).to_have_count(1)
        await expect(page.locator("#leader")).to_have_text(first_alias)
        # The end moved, everywhere.
        await expect(page.get_by_text("已延时", exact=True)).to_be_visible()
    await expect(first.locator("#you")).to_contain_text("您领先")
    await expect(watcher.get_by_role("button", name=re.compile("^出价"))).to_have_count(0)

    # Too low, then off the increment grid: refused, in Chinese, nothing placed.
    await second.get_by_label("出价金额（元）").fill("10000")
    await second.get_by_role("button", name="出价", exact=True).click()
    await expect(second.locator("#bid-status")).to_have_text("出价须不低于 ¥11,000.00。")
    await second.get_by_label("出价金额（元）").fill("11500")
    await second.get_by_role("button", name="出价", exact=True).click()
    await expect(second.locator("#bid-status")).to_have_text(
        "出价须为起拍价 ¥10,000.00 加整数倍的加价幅度 ¥1,000.00。"
    )
    # A large jump asks to be confirmed first.
    await second.get_by_label("出价金额（元）").fill("25,000")
    await second.get_by_role("button", name="出价", exact=True).click()
    confirm = second.get_by_role("alertdialog")
    await expect(confirm).to_contain_text("高出 14 个加价幅度")
    await confirm.get_by_role("button", name="取消").click()
    await second.get_by_label("出价金额（元）").fill("12000")
    await second.get_by_role("button", name="出价", exact=True).click()
    for page in (first, second, watcher):
        await expect(page.locator("#price")).to_have_text("¥12,000.00")
        await expect(page.locator("#leader")).to_have_text(second_alias)
    await expect(first.locator("#you")).to_contain_text("您已被超越")
    await expect(first.get_by_label("出价金额（元）")).to_have_accessible_description(
        re.compile("最低 ¥13,000.00")
    )
    await expect(first.get_by_role("button", name="出价 ¥13,000.00")).to_be_visible()
    await expect(second.locator("#you")).to_contain_text("您领先")
    await check_a11y(second)
    await screenshot(first, "auction-room-during-extended")

    # The watcher's socket drops; it may not come back until two bids have been placed.
    blocked = True

    async def gate(route: WebSocketRoute) -> None:
        if blocked:
            await route.close(code=1013, reason="try again later")
        else:
            route.connect_to_server()

    await watcher.context.route_web_socket(re.compile(r"/ws/trades/"), gate)
    await watcher.evaluate("window.auctionSocket.close()")
    await expect(watcher.get_by_role("status").filter(has_text="重新连接中")).to_be_visible()
    for email, amount in zip(BIDDERS, (1_300_000, 1_400_000), strict=True):
        bid = await call(
            demo_site, "POST", f"/trades/{trade_id}/bids", email, json={"amount_fen": amount}
        )
        assert bid.status_code == 200, bid.text
    blocked = False
    await expect(watcher.get_by_role("status").filter(has_text=LIVE)).to_be_visible(timeout=WAIT)
    await expect(watcher.locator("#price")).to_have_text("¥14,000.00")
    for amount in ("¥10,000.00", "¥12,000.00", "¥13,000.00", "¥14,000.00"):
        await expect(_bid_rows(watcher, amount)).to_have_count(1)  # caught up, none twice
    await expect(watcher.locator("#bids tr")).to_have_count(4)

    # Auction B closes: the result, the reserve revealed and checked in the page.
    await visit(watcher, f"/trades/{closing}")
    await expect(watcher.locator("#outcome")).to_have_text("成交", timeout=WAIT)
    await expect(watcher.locator("#final-price")).to_have_text("¥13,000.00")
    await expect(watcher.locator("#reserve")).to_have_text("¥12,000.00")
    await expect(watcher.locator("#reserve-check")).to_contain_text("保留价校验通过")
    receipt = watcher.get_by_role("link", name="下载收据")
    await expect(receipt).to_have_attribute("href", re.compile(r"/api/v1/ledger/receipts/\d+$"))
    await check_a11y(watcher)
    await screenshot(watcher, "auction-room-after-close")
    await visit(watcher, f"/trades/{closing}")  # drawn closed: checked the same way
    await expect(watcher.locator("#reserve-check")).to_contain_text("保留价校验通过")


async def test_a_listing_with_two_intents_converts_and_leads_both_buyers_to_the_room(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    buyers = [await new_page(), await new_page()]
    for page, email in zip(buyers, BIDDERS, strict=True):
        await log_in(page, demo_site.login(email))
    listing = {
        "mode": "listed",
        "listed_price_fen": 500_000,
        "deposit_fen": 50_000,
        "increment_fen": 50_000,
        "auction_minutes": 5,
        "listing_ends_at": (datetime.now(UTC) + timedelta(seconds=30)).isoformat(),
    }
    trade_id = await _trade(demo_site, "竞价室测试：挂牌转竞价的成果", listing)
    for count, page in enumerate(buyers):
        await visit(page, f"/trades/{trade_id}")
        await expect(page.get_by_role("heading", name="挂牌信息")).to_be_visible()
        await expect(page.locator("#intents")).to_have_text(f"{count} 家")  # how many, not who
        async with page.expect_navigation():
            await page.get_by_role("button", name="登记意向并缴纳保证金").click()
        await check_a11y(page)
        await expect(page.get_by_role("status").first).to_contain_text("意向已登记")
        await expect(page.locator("#intents")).to_have_text(f"{count + 1} 家")
    await screenshot(buyers[1], "listed-trade-two-intents")

    for page in buyers:  # the listing ends; the scheduler converts it; the page says so
        banner = page.get_by_role("alert").filter(has_text="已转为竞价拍卖")
        await expect(banner).to_be_visible(timeout=WAIT)
        async with page.expect_navigation():
            await banner.get_by_role("link", name="进入竞价室").click()
        await check_a11y(page)
        await expect(page.get_by_role("main")).to_contain_text("已按规则转为竞价拍卖")
        await expect(page.get_by_role("button", name="出价 ¥5,000.00")).to_be_visible()
        await expect(page.locator("#you")).to_contain_text("您的竞买号")
    await screenshot(buyers[0], "listed-trade-converted-room")


async def test_without_script_a_bid_posts_to_the_page_and_comes_back_with_its_receipt(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    terms = _auction(timedelta(minutes=10), 60)
    trade_id = await _trade(demo_site, "竞价室测试：无脚本出价", terms)
    page = await new_page()  # the room's own script withheld (axe still needs script)
    await page.route("**/static/auction-room.js", lambda route: route.fulfill(body=""))
    await log_in(page, demo_site.login(BIDDERS[0]))
    await visit(page, f"/trades/{trade_id}")
    await expect(page.get_by_role("status").first).to_contain_text("需要启用 JavaScript")
    async with page.expect_navigation():
        await page.get_by_role("button", name="报名并缴纳保证金").click()
    await check_a11y(page)
    await page.get_by_label("出价金额（元）").fill("10500")
    async with page.expect_navigation():
        await page.get_by_role("button", name="出价", exact=True).click()
    await check_a11y(page)
    await expect(page.get_by_label("出价金额（元）")).to_have_accessible_description(
        re.compile("出价须为起拍价 ¥10,000.00 加整数倍的加价幅度 ¥1,000.00")
    )
    await page.get_by_label("出价金额（元）").fill("30000")
    async with page.expect_navigation():
        await page.get_by_role("button", name="出价", exact=True).click()
    await check_a11y(page)
    await expect(page.get_by_label("出价金额（元）")).to_have_accessible_description(
        re.compile("高出 20 个加价幅度，请勾选确认")
    )
    await page.get_by_label("我确认这一大额加价").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="出价", exact=True).click()
    await check_a11y(page)
    done = page.get_by_role("status").filter(has_text="出价已被接受")
    await expect(done.get_by_role("link", name=re.compile(r"第 \d+ 条"))).to_be_visible()
    await expect(page.locator("#price")).to_have_text("¥30,000.00")
    await expect(page.get_by_role("row").filter(has_text="¥30,000.00")).to_have_count(1)


async def test_a_priority_right_holder_matches_the_highest_bid_and_leads(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    holder_email = "buyer@kangtai.demo.techmarket.cn"
    me = await call(demo_site, "GET", "/me", holder_email)
    terms = {
        **_auction(timedelta(minutes=10), 60),
        "priority_holder_org_ids": [me.json()["org"]["id"]],
    }
    trade_id = await _trade(demo_site, "竞价室测试：优先购买权", terms)
    for email in (holder_email, BIDDERS[0]):
        registered = await call(demo_site, "POST", f"/trades/{trade_id}/registrations", email)
        assert registered.status_code == 201, registered.text
    bid = await call(
        demo_site, "POST", f"/trades/{trade_id}/bids", BIDDERS[0], json={"amount_fen": 1_200_000}
    )
    assert bid.status_code == 200, bid.text

    holder = await new_page()
    await log_in(holder, demo_site.login(holder_email))
    await _room(holder, trade_id)
    await expect(holder.get_by_role("main")).to_contain_text("您享有优先购买权")
    await expect(holder.locator("#you")).to_contain_text("您已被超越")
    async with holder.expect_navigation():
        await holder.get_by_role("button", name="按当前价 ¥12,000.00 行使优先购买权").click()
    await check_a11y(holder)
    await expect(holder.get_by_role("status").first).to_contain_text("出价已被接受")
    await expect(holder.locator("#you")).to_contain_text("您领先")
    await expect(holder.get_by_role("row").filter(has_text="优先权跟价")).to_have_count(1)
    await expect(holder.get_by_role("button", name=re.compile("行使优先购买权"))).to_have_count(0)

    phone = await new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    await _room(phone, trade_id)
    await expect(phone.get_by_role("row").filter(has_text="优先权跟价")).to_have_count(1)
    await screenshot(phone, "auction-room-phone")


async def test_an_agreement_trade_page_is_its_negotiation(demo_site: DemoSite) -> None:
    on_notice = await call(demo_site, "GET", "/trades", params={"status": "notice"})
    agreement = next(t for t in on_notice.json()["items"] if t["mode"] == "agreement")
    async with httpx.AsyncClient(base_url=demo_site.url) as client:
        page = await client.get(f"/trades/{agreement['id']}")
    assert page.status_code == 303
    assert page.headers["location"] == f"/trades/{agreement['id']}/negotiation"
