"""Express licences (一键许可): one offer, approved by the seller's TTO, taken by several
enterprises in one step each, every take a deal of its own with its generated contract;
the refusals; the ledger replay of offers, takes and stops."""

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.accounts.policy import Principal
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.listings import achievements
from techmarket.listings.schemas import AchievementCreate
from techmarket.models.org import OrgKind
from techmarket.models.trade import Trade, TradeMode, TradeStatus
from techmarket.scheduler import CLOSE_AUCTIONS, END_LISTINGS, FORFEIT_DEPOSITS
from techmarket.trading import express as express_service
from techmarket.trading import involvement
from techmarket.trading import repository as repo
from techmarket.trading.involvement import Involvement, Side
from techmarket.trading.rules import express
from techmarket.trading.schemas import ExpressCreate
from tests.conftest import START
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key, rewind_ledger
from tests.listings import fixtures
from tests.listings.helpers import published_achievement
from tests.trading.helpers import enterprise, open_auction

FEE = 12_345_600  # 123,456.00 yuan


async def _offer(
    client: httpx.AsyncClient,
    seller: Account,
    tto: Account | None = None,
    approve: bool = True,
    **terms: Any,
) -> dict[str, Any]:
    """An express licence on a new published achievement of ``seller`` (approved by
    ``tto`` where the seller needs it, the licence too unless not ``approve``)."""
    achievement = await published_achievement(client, seller, approver=tto)
    body = {"mode": "express_licence", "achievement_id": achievement["id"]}
    body |= terms or {"pricing": "fixed", "price_fen": FEE}
    created = await client.post("/api/v1/trades", json=body, headers=seller.headers)
    assert created.status_code == 201, created.text
    offer = dict(created.json())
    if offer["status"] == "pending_approval" and tto is not None and approve:
        approved = await client.post(f"/api/v1/trades/{offer['id']}/approve", headers=tto.headers)
        assert approved.status_code == 200, approved.text
        offer = dict(approved.json())
    return offer


async def _take(client: httpx.AsyncClient, who: Account, offer_id: int) -> httpx.Response:
    return await client.post(f"/api/v1/trades/{offer_id}/take", headers=who.headers)


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def test_two_enterprises_each_take_the_licence_with_a_contract_and_deal_of_their_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    university = await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))
    offer = await _offer(client, university, university)
    assert (offer["mode"], offer["status"]) == ("express_licence", "open")
    a, b = await account(session, client), await account(session, client)

    taken = [await _take(client, who, offer["id"]) for who in (a, b)]
    assert [t.status_code for t in taken] == [201, 201], [t.text for t in taken]
    deals = [t.json()["deal"] for t in taken]
    assert deals[0]["id"] != deals[1]["id"]
    assert [d["buyer_org_id"] for d in deals] == [a.org.id, b.org.id]
    assert {(d["mode"], d["status"], d["current_price_fen"]) for d in deals} == {
        ("express_licence", "sold", FEE)
    }
    numbers = {t.json()["contract_number"] for t in taken}
    assert len(numbers) == 2
    for took, who in zip(taken, (a, b), strict=True):
        text = took.json()["contract_text"]
        assert university.org.name in text and who.org.name in text
        assert "123,456.00 元" in text and took.json()["contract_number"] in text
        assert took.json()["contract_sha256"] == express.digest(text)

    # Each is a deal of its own, in the public list and the statistics by mode.
    listed = (await client.get("/api/v1/deals")).json()["items"]
    mine = [d for d in listed if d["trade_id"] in {d["id"] for d in deals}]
    assert [(d["mode"], d["buyer"]) for d in mine] == [
        ("express_licence", a.org.name),
        ("express_licence", b.org.name),
    ]
    stats = (await client.get("/api/v1/stats")).json()["deals"]["by_mode"]
    assert stats["express_licence"] == {"count": 2, "volume_fen": 2 * FEE}
    takes = (await client.get(f"/api/v1/trades/{offer['id']}/takes")).json()["items"]
    assert [t["id"] for t in takes] == [d["id"] for d in deals]

    # Non-exclusive: the achievement stays on offer, and so does the licence.
    achievement = (await client.get(f"/api/v1/achievements/{offer['achievement_id']}")).json()
    assert achievement["status"] == "published"
    assert (await client.get(f"/api/v1/trades/{offer['id']}")).json()["status"] == "open"
    await _verify(client)


async def test_a_free_first_licence_costs_nothing_now_and_states_its_royalty(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client, kind=OrgKind.enterprise)
    offer = await _offer(
        client,
        seller,
        pricing="free_then_royalty",
        royalty_rate_bp=250,
        royalty_base="sales_revenue",
        term_years=3,
    )
    assert offer["status"] == "open"  # an enterprise's own achievement: no TTO
    taken = await _take(client, await account(session, client), offer["id"])
    assert taken.status_code == 201, taken.text
    assert taken.json()["deal"]["current_price_fen"] == 0
    assert taken.json()["payment_terms"] == "free_then_royalty"
    assert "销售收入的 2.5%" in taken.json()["contract_text"]
    assert "3 年" in taken.json()["contract_text"]
    await _verify(client)


async def test_refusals_not_approved_stopped_the_seller_twice_and_not_an_enterprise(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    university = await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))
    pending = await _offer(client, university, university, approve=False)
    assert pending["status"] == "pending_approval"
    buyer = await account(session, client)
    refused = await _take(client, buyer, pending["id"])
    assert (refused.status_code, refused.json()["code"]) == (404, "trade_not_found")

    seller = await account(session, client, kind=OrgKind.enterprise)
    offer = await _offer(client, seller)
    own = await _take(client, seller, offer["id"])
    assert (own.status_code, own.json()["code"]) == (403, "own_trade")
    institute = await account(session, client, kind=OrgKind.institute)
    not_enterprise = await _take(client, institute, offer["id"])
    assert (not_enterprise.status_code, not_enterprise.json()["code"]) == (403, "wrong_org_kind")

    assert (await _take(client, buyer, offer["id"])).status_code == 201
    twice = await _take(client, buyer, offer["id"])
    assert (twice.status_code, twice.json()["code"]) == (409, "express_taken_already")

    withdrawn = await client.post(
        f"/api/v1/trades/{offer['id']}/withdraw", headers=seller.headers
    )  # a licence taken stands: the offer is stopped, never withdrawn
    assert (withdrawn.status_code, withdrawn.json()["code"]) == (409, "not_withdrawable")
    not_seller = await client.post(f"/api/v1/trades/{offer['id']}/stop", headers=buyer.headers)
    assert (not_seller.status_code, not_seller.json()["code"]) == (403, "not_your_org")
    stopped = await client.post(f"/api/v1/trades/{offer['id']}/stop", headers=seller.headers)
    assert stopped.json()["status"] == "stopped", stopped.text
    late = await _take(client, await account(session, client), offer["id"])
    assert (late.status_code, late.json()["code"]) == (409, "express_stopped")
    again = await client.post(f"/api/v1/trades/{offer['id']}/stop", headers=seller.headers)
    assert (again.status_code, again.json()["code"]) == (409, "express_not_offered")
    # The licence granted stands.
    assert len((await client.get(f"/api/v1/trades/{offer['id']}/takes")).json()["items"]) == 1

    auction = await open_auction(client, await account(session, client))
    not_express = await _take(client, buyer, auction["id"])
    assert (not_express.status_code, not_express.json()["code"]) == (404, "not_express_licence")
    await _verify(client)


async def test_no_take_while_the_achievement_is_withdrawn_or_suspended(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client)
    offer = await _offer(client, seller)
    achievement = f"/api/v1/achievements/{offer['achievement_id']}"
    withdrawn = await client.post(f"{achievement}/withdraw", headers=seller.headers)
    assert withdrawn.json()["status"] == "withdrawn", withdrawn.text
    buyer = await account(session, client)
    refused = await _take(client, buyer, offer["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "express_not_offered")
    republished = await client.post(f"{achievement}/submit", headers=seller.headers)
    assert republished.json()["status"] == "published", republished.text
    assert (await _take(client, buyer, offer["id"])).status_code == 201
    await _verify(client)


async def test_one_offer_per_achievement_at_a_time(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client)
    offer = await _offer(client, seller)
    second = await client.post(
        "/api/v1/trades",
        json={
            "mode": "express_licence",
            "achievement_id": offer["achievement_id"],
            "pricing": "fixed",
            "price_fen": FEE,
        },
        headers=seller.headers,
    )
    assert (second.status_code, second.json()["code"]) == (409, "express_already_offered")


async def test_a_declined_offer_leaves_the_achievement_on_offer_and_may_be_made_again(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    university = await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))
    offer = await _offer(client, university, university, approve=False)
    declined = await client.post(
        f"/api/v1/trades/{offer['id']}/reject",
        json={"reason": "许可费低于评估值"},
        headers=university.headers,
    )
    assert declined.json()["status"] == "rejected", declined.text
    achievement = (await client.get(f"/api/v1/achievements/{offer['achievement_id']}")).json()
    assert achievement["status"] == "published"
    again = await client.post(
        "/api/v1/trades",
        json={
            "mode": "express_licence",
            "achievement_id": offer["achievement_id"],
            "pricing": "fixed",
            "price_fen": 2 * FEE,
        },
        headers=university.headers,
    )
    assert again.status_code == 201, again.text
    await _verify(client)


async def test_terms_missing_for_the_pricing_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client)
    achievement = await published_achievement(client, seller)
    for terms in ({"pricing": "fixed"}, {"pricing": "free_then_royalty", "royalty_rate_bp": 250}):
        refused = await client.post(
            "/api/v1/trades",
            json={"mode": "express_licence", "achievement_id": achievement["id"], **terms},
            headers=seller.headers,
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")


async def _forge_after(
    client: httpx.AsyncClient, session: AsyncSession, at: int, forged: list[dict[str, Any]]
) -> None:
    """Replace the ledger from entry ``at`` on with ``forged`` bodies, correctly hashed."""
    await rewind_ledger(session, at)
    for body in forged:
        when = datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))
        await ledger.append(session, body["type"], body["subject"], body["data"], when)
    await session.commit()


def _bodies(lines: list[str]) -> list[dict[str, Any]]:
    """The entries' bodies, by index (the export ends with its checkpoint)."""
    entries = [json.loads(line) for line in lines]
    return [json.loads(e["canonical"]) for e in entries if "canonical" in e]


async def test_the_replay_reports_a_forged_take(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client)
    offer = await _offer(client, seller)
    buyer, other = await account(session, client), await account(session, client)
    assert (await _take(client, buyer, offer["id"])).status_code == 201
    await client.post(f"/api/v1/trades/{offer['id']}/stop", headers=seller.headers)
    await _verify(client)
    bodies = _bodies(await export_lines(client))
    taken_at = next(i for i, b in enumerate(bodies) if b["type"] == "trade.express_taken")
    take, stop = bodies[taken_at], bodies[taken_at + 1]
    assert stop["type"] == "trade.express_stopped"

    # A take at another price than offered: reported at its own entry.
    cheap = {**take, "data": {**take["data"], "price_fen": FEE // 2}}
    await _forge_after(client, session, taken_at, [cheap, stop])
    with pytest.raises(VerificationFailed, match="business rule") as caught:
        await _verify(client)
    assert caught.value.index == taken_at

    # A second take after the stop (a deal of its own, by another enterprise).
    late_deal = take["data"]["trade_id"] + 1000
    late = {
        **take,
        "subject": f"trade/{late_deal}",
        "data": {
            **take["data"],
            "trade_id": late_deal,
            "buyer_org_id": other.org.id,
            "contract_number": express.contract_number(offer["id"], late_deal),
        },
    }
    await _forge_after(client, session, taken_at, [take, stop, late])
    with pytest.raises(VerificationFailed, match="express_stopped") as caught:
        await _verify(client)
    assert caught.value.index == taken_at + 2

    # A take by the seller itself.
    own = {**take, "data": {**take["data"], "buyer_org_id": seller.org.id}}
    await _forge_after(client, session, taken_at, [own])
    with pytest.raises(VerificationFailed, match="own_trade"):
        await _verify(client)


async def test_an_offer_has_no_end_for_the_scheduler_and_takes_no_bidders(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    offer = await _offer(client, await account(session, client))
    clock.advance(timedelta(days=400))
    with caplog.at_level(logging.WARNING):
        for job in (CLOSE_AUCTIONS, END_LISTINGS, FORFEIT_DEPOSITS):
            assert await scheduler.run(sessionmaker, clock, job) == 0
    assert caplog.records == []  # nothing to close, nothing failed
    await session.commit()
    assert (await client.get(f"/api/v1/trades/{offer['id']}")).json()["status"] == "open"
    buyer = await account(session, client)
    registered = await client.post(
        f"/api/v1/trades/{offer['id']}/registrations", headers=buyer.headers
    )
    assert (registered.status_code, registered.json()["code"]) == (409, "wrong_mode")
    assert (await _take(client, buyer, offer["id"])).status_code == 201
    await _verify(client)


def _step(status: TradeStatus, side: Side = Side.seller) -> str:
    offer = Trade(mode=TradeMode.express_licence, status=status, seller_org_id=1)
    seen = Involvement(offer, "成果", side, None, None, False, False)
    return involvement.next_step(seen, 1, frozenset({"admin"})).text


def test_my_trades_say_an_offer_is_licensing_or_stopped_not_bidding() -> None:
    assert _step(TradeStatus.open) == "一键许可中"
    assert _step(TradeStatus.stopped) == "已停止许可"


async def test_racing_takes_give_each_enterprise_one_deal(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    """Twenty enterprises each take one offer twice, all at once, on committed
    transactions: twenty deals, every second take refused, nothing fails."""
    async with committed.begin() as session:
        seller = await enterprise(session)
        listed = await achievements.create(
            session, seller, AchievementCreate(**fixtures.achievement()), START
        )
        await achievements.submit(session, seller, listed.id, START)
        terms = ExpressCreate(
            achievement_id=listed.id, mode="express_licence", pricing="fixed", price_fen=FEE
        )
        offer, _ = await express_service.offer(session, seller, terms, START)
        takers = [await enterprise(session) for _ in range(20)]

    async def take(who: Principal) -> str:
        try:
            async with committed.begin() as session:
                await express_service.take(session, who, offer.id, START)
        except express_service.TakenAlready:
            return "refused"
        return "taken"

    outcomes = await asyncio.gather(*(take(who) for who in takers * 2))
    assert sorted(outcomes) == ["refused"] * 20 + ["taken"] * 20
    async with committed() as session:
        deals = await repo.express_deals(session, offer.id, None, 100)
    assert sorted(d.buyer_org_id or 0 for d in deals) == sorted(t.org.id for t in takers)
