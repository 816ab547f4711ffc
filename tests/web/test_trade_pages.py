"""The agreement, notice board, deal and my-trades pages over HTTP (in-process, no
browser): each through the same services as the API, each action's ledger entry shown."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.clock import FixedClock
from techmarket.models.org import OrgKind
from tests.factories import Account, account
from tests.listings.helpers import published_achievement
from tests.trading.helpers import agreement_on_notice, bid, open_auction, raise_objection
from tests.web.test_sessions import csrf_token, sign_in


async def _post(client: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_token(await client.get(page))
    return await client.post(action, data={**fields, "csrf_token": token})


def _ledger_index(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.search(r"\?ledger=(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


async def _agreement(client: httpx.AsyncClient, seller: Account, buyer: Account) -> dict[str, Any]:
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={
            "mode": "agreement",
            "achievement_id": listed["id"],
            "buyer_org_id": buyer.org.id,
            "asking_price_fen": 1_500_000_00,
        },
        headers=seller.headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_the_parties_negotiate_in_the_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    trade = await _agreement(client, seller, buyer)
    page = f"/trades/{trade['id']}/negotiation"

    await sign_in(client, seller.user.email)
    opened = await client.get(page)
    assert opened.status_code == 200
    assert "还没有报价" in opened.text and "¥1,500,000.00" in opened.text
    wrong = await _post(client, page, f"{page}/offers", price="12000.345")
    assert wrong.status_code == 422
    assert re.search(r'id="f-price-error">[^<]*两位小数', wrong.text)
    huge = await _post(client, page, f"{page}/offers", price="20000000000000")  # > FEN_MAX
    assert huge.status_code == 422
    assert re.search(r'id="f-price-error">不能大于', huge.text)
    offered = await _post(client, page, f"{page}/offers", price="1200000.50", note="含三年技术支持")
    index = _ledger_index(offered)
    thread = await client.get(offered.headers["location"])
    assert "¥1,200,000.50" in thread.text and f'href="/ledger/entries/{index}"' in thread.text
    assert "等待对方回应" in thread.text

    await sign_in(client, buyer.user.email)
    theirs = await client.get(page)
    assert "待您还价或接受" in theirs.text and "含三年技术支持" in theirs.text
    _ledger_index(await _post(client, page, f"{page}/offers", price="1000000"))

    await sign_in(client, seller.user.email)
    accepted = await _post(client, page, f"{page}/accept")
    _ledger_index(accepted)
    on_notice = await client.get(accepted.headers["location"])
    assert "公示中" in on_notice.text and "¥1,000,000.00" in on_notice.text
    assert re.search(r"剩余 <span data-countdown[^>]*>15 天<", on_notice.text)
    again = await _post(client, page, f"{page}/accept")  # nothing left to accept
    assert again.status_code == 409 and "不在议价阶段" in again.text

    outsider = await account(session, client)
    await sign_in(client, outsider.user.email)
    assert (await client.get(page)).status_code == 404
    await client.post("/logout", data={"csrf_token": csrf_token(await client.get("/"))})
    anonymous = await client.get(page)
    assert "请登录" in anonymous.text and anonymous.status_code in (401, 403)


async def test_the_board_shows_notices_takes_objections_and_shows_the_ruling(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    trade = await agreement_on_notice(client, seller, buyer)
    board = await client.get("/notices")
    assert board.status_code == 200
    card = board.text[board.text.index(f'id="notice-{trade["id"]}"') :]
    for shown in (seller.org.name, buyer.org.name, "¥9,000.00", "15 天", "登录</a>后"):
        assert shown in card

    objector = await account(session, client)
    await sign_in(client, objector.user.email)
    action = f"/notices/{trade['id']}/objections"
    empty = await _post(client, "/notices", action, reasons="")
    assert empty.status_code == 422
    assert f'id="reasons-{trade["id"]}-error"' in empty.text
    raised = _ledger_index(await _post(client, "/notices", action, reasons="该专利权属存在争议"))
    after = await client.get(f"/notices?ledger={raised}")
    assert f"{objector.org.name}</strong> 于" in after.text and "待裁定" in after.text
    assert f'href="/ledger/entries/{raised}"' in after.text
    assert "该专利权属存在争议" not in after.text  # the reasons are for the operator only

    operator = await account(session, client, kind=OrgKind.operator)
    objection = (await client.get("/api/v1/objections", headers=operator.headers)).json()
    oid = objection["items"][0]["id"]
    ruled = await client.post(
        f"/api/v1/trades/{trade['id']}/objections/{oid}/dismiss", headers=operator.headers
    )
    assert ruled.status_code == 200
    api = (await client.get("/api/v1/notices")).json()["items"]
    shown = next(n for n in api if n["trade_id"] == trade["id"])
    assert [(o["org_id"], o["status"]) for o in shown["objections"]] == [
        (objector.org.id, "dismissed")
    ]
    assert "reasons" not in shown["objections"][0] and shown["notice_period"] == "P15D"
    await sign_in(client, seller.user.email)
    own = await client.get("/notices")
    assert "异议驳回" in own.text
    assert f'action="{action}"' not in own.text  # a party does not object to its own deal


async def test_the_parties_record_the_contract_and_its_registration(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    trade = await agreement_on_notice(client, seller, buyer)
    page = f"/deals/{trade['id']}"
    assert (await client.get(page)).status_code == 404  # on notice: not a deal yet
    clock.advance(timedelta(days=15))
    assert await scheduler.run(sessionmaker, clock, scheduler.CONCLUDE_AGREEMENTS) == 1

    listed = await client.get("/deals")
    assert f'href="{page}"' in listed.text and buyer.org.name in listed.text
    public = await client.get(page)
    assert "双方尚未登记合同" in public.text and 'action="/deals' not in public.text

    await sign_in(client, buyer.user.email)
    incomplete = await _post(client, page, f"{page}/contract", contract_number="ZJ-2026-0042")
    assert incomplete.status_code == 422
    assert 'id="f-signed_on-error"' in incomplete.text and 'value="ZJ-2026-0042"' in incomplete.text
    recorded = await _post(
        client,
        page,
        f"{page}/contract",
        contract_number="ZJ-2026-0042",
        signed_on="2026-12-10",
        payment_terms="free_then_royalty",
    )
    index = _ledger_index(recorded)
    signed = await client.get(recorded.headers["location"])
    assert "先免费许可后付费" in signed.text and f'href="/ledger/entries/{index}"' in signed.text
    assert "待登记" in signed.text
    registered = await _post(
        client,
        page,
        f"{page}/registration",
        registration_number="3301002026000123",
        registered_on="2026-12-20",
    )
    index = _ledger_index(registered)
    done = await client.get(registered.headers["location"])
    assert "3301002026000123" in done.text and f'href="/ledger/entries/{index}"' in done.text
    assert 'action="/deals' not in done.text


async def test_an_auction_winner_sees_the_signing_deadline(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, winner = await account(session, client), await account(session, client)
    trade = await open_auction(client, seller)
    await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=winner.headers)
    clock.advance(timedelta(minutes=15))
    await bid(client, winner, trade["id"], 1_000_000)
    clock.advance(timedelta(hours=1))
    await scheduler.run(sessionmaker, clock, scheduler.CLOSE_AUCTIONS)
    clock.advance(timedelta(days=1))
    await sign_in(client, winner.user.email)
    deal = await client.get(f"/deals/{trade['id']}")
    assert "竞得方须在" in deal.text
    assert re.search(r"剩余 <span data-countdown[^>]*>29 天<", deal.text)


def _section(page: httpx.Response, key: str) -> str:
    start = page.text.index(f'id="section-{key}"')
    end = page.text.find("</section>", start)
    return page.text[start:end]


async def test_my_trades_says_what_needs_the_organisation_next(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    waiting = await _agreement(client, seller, buyer)
    await client.post(
        f"/api/v1/trades/{waiting['id']}/offers", json={"price_fen": 100}, headers=seller.headers
    )
    concluded = await agreement_on_notice(client, seller, buyer)
    bidder = await account(session, client)
    auction = await open_auction(client, seller)
    await client.post(f"/api/v1/trades/{auction['id']}/registrations", headers=bidder.headers)
    clock.advance(timedelta(days=15))
    await scheduler.run(sessionmaker, clock, scheduler.CONCLUDE_AGREEMENTS)

    await sign_in(client, buyer.user.email)
    mine = await client.get("/my/trades")
    yours = _section(mine, "yours")
    assert f'href="/trades/{waiting["id"]}/negotiation"' in yours and "待您还价" in yours
    assert f'href="/deals/{concluded["id"]}"' in yours and "待签约" in yours
    assert f"/trades/{auction['id']}" not in mine.text  # not the buyer's

    await sign_in(client, seller.user.email)
    theirs = await client.get("/my/trades")
    assert "待对方回应" in _section(theirs, "under_way")
    assert "待签约" in _section(theirs, "yours")

    await sign_in(client, bidder.user.email)
    bidding = _section(await client.get("/my/trades"), "yours")
    assert f'href="/trades/{auction["id"]}"' in bidding and "竞买号" in bidding


async def test_an_upheld_objection_stays_public_after_the_notice_leaves_the_board(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    trade = await agreement_on_notice(client, seller, buyer)
    objector = await account(session, client)
    objection = await raise_objection(client, objector, trade["id"], "成果存在权属争议")
    operator = await account(session, client, kind=OrgKind.operator)
    upheld = await client.post(
        f"/api/v1/trades/{trade['id']}/objections/{objection['objection_id']}/uphold",
        headers=operator.headers,
    )
    assert upheld.json()["status"] == "cancelled"
    notices = (await client.get("/api/v1/notices")).json()["items"]
    assert trade["id"] not in [n["trade_id"] for n in notices]

    board = await client.get("/notices")
    ended = board.text[board.text.index('id="ended-title"') :]
    card = ended[ended.index(f'id="notice-{trade["id"]}"') :]
    assert "异议成立，交易取消" in card and f"{objector.org.name}</strong> 于" in card
    assert "成果存在权属争议" not in board.text
