"""The competing-offer form on the notice board (Chromium, on the demo's notice), and the
auction room of a notice that competing offers converted (in-process HTTP)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from tests.factories import account
from tests.trading.helpers import agreement_on_notice
from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.test_sessions import csrf_token, sign_in

COMPETITOR = "buyer@xinshi.demo.techmarket.cn"  # a party to none of the demo's trades
BUYER = "buyer@weilai.demo.techmarket.cn"  # the demo notice's buyer


async def test_an_organisation_makes_a_competing_offer_from_the_board(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    async with httpx.AsyncClient(base_url=f"{demo_site.url}/api/v1") as api:
        notice = (await api.get("/notices")).json()["items"][0]
    assert notice["competition"]["deposit_fen"] == notice["price_fen"] // 10
    competitor = await new_page()
    await log_in(competitor, demo_site.login(COMPETITOR))
    await visit(competitor, "/notices")
    article = competitor.get_by_role("article", name=notice["title"])
    offer = article.get_by_role("region", name="竞争报价")
    await expect(offer).to_contain_text("保证金")

    agreed_yuan = notice["price_fen"] // 100
    await offer.get_by_label("竞争报价（元）").fill(str(agreed_yuan))  # not above it
    async with competitor.expect_navigation():
        await offer.get_by_role("button", name=f"对“{notice['title']}”提交竞争报价").click()
    await check_a11y(competitor)
    offer = competitor.get_by_role("article", name=notice["title"]).get_by_role(
        "region", name="竞争报价"
    )
    await expect(offer.get_by_label("竞争报价（元）")).to_have_attribute("aria-invalid", "true")
    await expect(offer).to_contain_text("竞争报价必须高于公示的成交价。")

    await offer.get_by_label("竞争报价（元）").fill(f"{agreed_yuan + 50_000}")
    async with competitor.expect_navigation():
        await offer.get_by_role("button", name=f"对“{notice['title']}”提交竞争报价").click()
    await check_a11y(competitor)
    done = competitor.get_by_role("status").filter(has_text="已记入账本")
    await expect(done.get_by_role("link", name="下载收据")).to_be_visible()
    offer = competitor.get_by_role("article", name=notice["title"]).get_by_role(
        "region", name="竞争报价"
    )
    price = f"¥{agreed_yuan + 50_000:,}.00"
    await expect(offer.get_by_role("status")).to_contain_text(price)
    await expect(offer.get_by_role("button")).to_have_count(0)  # one offer each
    await screenshot(competitor, "notice-competing-offer")

    # The price stays the competitor's until the notice ends: the buyer does not see it,
    # and a party gets no form.
    buyer = await new_page()
    await log_in(buyer, demo_site.login(BUYER))
    await visit(buyer, "/notices")
    await check_a11y(buyer)
    theirs = buyer.get_by_role("article", name=notice["title"])
    await expect(theirs).not_to_contain_text(price)
    await expect(theirs.get_by_label("竞争报价（元）")).to_have_count(0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=None, data_dir=tmp_path, notice_period=timedelta(hours=6))


async def test_the_converted_trade_has_its_auction_room(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    trade = await agreement_on_notice(client, seller, buyer)
    competitor = await account(session, client)
    await sign_in(client, competitor.user.email)
    made = await client.post(
        f"/notices/{trade['id']}/competing-offers",
        data={"price": "10000", "csrf_token": csrf_token(await client.get("/notices"))},
    )
    assert made.status_code == 303, made.text
    clock.advance(timedelta(hours=6))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 1
    await session.commit()

    board = await client.get("/notices")
    ended = board.text[board.text.index(f'id="notice-{trade["id"]}"') :]
    assert "已转为竞价拍卖" in ended and f'href="/trades/{trade["id"]}"' in ended
    room = await client.get(f"/trades/{trade['id']}")
    assert "公示期内收到竞争报价" in room.text and "¥10,000.00" in room.text  # the opening
    assert "行使优先购买权" not in room.text  # the competitor leads; it has no right

    await sign_in(client, buyer.user.email)
    room = await client.get(f"/trades/{trade['id']}")
    assert "您享有优先购买权" in room.text and "按当前价 ¥10,000.00 行使优先购买权" in room.text

    await sign_in(client, (await account(session, client)).user.email)
    room = await client.get(f"/trades/{trade['id']}")
    assert "只有原受让方和公示期内提交竞争报价的机构可以出价" in room.text
    assert 'action="/trades/' + str(trade["id"]) + '/registrations"' not in room.text
