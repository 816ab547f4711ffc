"""Taking a trade off the market: the seller withdraws it before a bid, an intent or an
acceptance binds it; either party ends a negotiation. Ledgered and replayed by one rule."""

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.models.org import OrgKind
from techmarket.scheduler import CLOSE_AUCTIONS
from techmarket.trading.rules import withdrawal
from tests.conftest import START
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key
from tests.listings.helpers import published_achievement
from tests.trading.helpers import auction_terms, bid, open_auction


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def _achievement_status(client: httpx.AsyncClient, trade: dict[str, Any]) -> str:
    return str(
        (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()["status"]
    )


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


async def test_the_seller_withdraws_an_auction_before_its_first_bid(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    url = f"/api/v1/trades/{trade['id']}"
    bidder = await account(session, client)
    assert (await client.post(f"{url}/registrations", headers=bidder.headers)).status_code == 201
    _refused(await client.post(f"{url}/withdraw", headers=bidder.headers), 403, "not_your_org")

    withdrawn = await client.post(f"{url}/withdraw", headers=seller.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["reserve_fen"] is None  # nothing revealed: it never closed
    assert await _achievement_status(client, trade) == "published"  # on offer again
    clock.advance(timedelta(minutes=15))
    _refused(await bid(client, bidder, trade["id"], 1_000_000), 409, "closed")
    _refused(await client.post(f"{url}/withdraw", headers=seller.headers), 409, "not_withdrawable")
    lines = [json.loads(line) for line in await export_lines(client)]
    bodies = [json.loads(line["canonical"]) for line in lines if "canonical" in line]
    events = [(b["type"], b["data"]) for b in bodies if b["subject"] == f"trade/{trade['id']}"]
    assert [t for t, _ in events[-2:]] == ["trade.withdrawn", "trade.deposit"]
    assert events[-1][1]["deposit"] == "released"  # the bidder's deposit
    await _verify(client)


async def test_an_accepted_bid_binds_the_auction(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    url = f"/api/v1/trades/{trade['id']}"
    bidder = await account(session, client)
    await client.post(f"{url}/registrations", headers=bidder.headers)
    clock.advance(timedelta(minutes=15))
    assert (await bid(client, bidder, trade["id"], 1_000_000)).status_code == 200
    _refused(await client.post(f"{url}/withdraw", headers=seller.headers), 409, "not_withdrawable")
    assert await _achievement_status(client, trade) == "in_trade"


async def test_an_intent_binds_a_listing(client: httpx.AsyncClient, session: AsyncSession) -> None:
    seller = await account(session, client)
    listed = await published_achievement(client, seller)
    body = {
        "mode": "listed",
        "achievement_id": listed["id"],
        "listed_price_fen": 2_000_000,
        "deposit_fen": 100_000,
        "increment_fen": 50_000,
        "listing_ends_at": (START + timedelta(days=10)).isoformat(),
    }
    trade = (await client.post("/api/v1/trades", json=body, headers=seller.headers)).json()
    url = f"/api/v1/trades/{trade['id']}"
    buyer = await account(session, client)
    assert (await client.post(f"{url}/intents", headers=buyer.headers)).status_code == 201
    _refused(await client.post(f"{url}/withdraw", headers=seller.headers), 409, "not_withdrawable")


async def test_at_a_university_only_its_tto_withdraws(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    member = await account(session, client, kind=OrgKind.university, roles=("member",))
    tto = await account(session, client, roles=("tto",), org=member.org)
    trade = await open_auction(client, member, tto)
    url = f"/api/v1/trades/{trade['id']}"
    _refused(await client.post(f"{url}/withdraw", headers=member.headers), 403, "missing_role")
    assert (await client.post(f"{url}/withdraw", headers=tto.headers)).json()["status"] == (
        "withdrawn"
    )


async def _negotiation(
    client: httpx.AsyncClient, seller: Account, buyer: Account
) -> tuple[dict[str, Any], str]:
    listed = await published_achievement(client, seller)
    body = {"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer.org.id}
    trade = (await client.post("/api/v1/trades", json=body, headers=seller.headers)).json()
    url = f"/api/v1/trades/{trade['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 1_000_000}, headers=seller.headers)
    return trade, url


async def test_either_party_ends_a_negotiation_until_a_price_is_agreed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    outsider = await account(session, client)
    trade, url = await _negotiation(client, seller, buyer)
    _refused(await client.post(f"{url}/end", headers=outsider.headers), 403, "not_your_org")
    ended = await client.post(f"{url}/end", headers=buyer.headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    assert await _achievement_status(client, trade) == "published"
    _refused(
        await client.post(f"{url}/offers", json={"price_fen": 1}, headers=seller.headers),
        409,
        "not_negotiating",
    )

    _, url = await _negotiation(client, seller, buyer)
    assert (await client.post(f"{url}/accept", headers=buyer.headers)).json()["status"] == "notice"
    _refused(await client.post(f"{url}/end", headers=seller.headers), 409, "not_negotiating")
    _refused(await client.post(f"{url}/withdraw", headers=seller.headers), 409, "not_withdrawable")
    await _verify(client)


async def test_an_auction_cannot_be_ended_as_a_negotiation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    ended = await client.post(f"/api/v1/trades/{trade['id']}/end", headers=seller.headers)
    _refused(ended, 409, "not_negotiating")


async def test_the_replay_judges_a_withdrawal_by_the_same_rule(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    await client.post(f"/api/v1/trades/{trade['id']}/withdraw", headers=seller.headers)
    await _verify(client)
    # One rule book: were withdrawals never allowed, the service would refuse them and the
    # auditor's replay would reject the one on the ledger.
    monkeypatch.setattr(withdrawal, "withdrawal_refusal", lambda standing: "never")
    other = await open_auction(client, seller)
    refused = await client.post(f"/api/v1/trades/{other['id']}/withdraw", headers=seller.headers)
    _refused(refused, 409, "not_withdrawable")
    with pytest.raises(VerificationFailed, match="withdrawn"):
        await _verify(client)


async def test_a_withdrawn_trade_between_does_not_lower_the_relisting_floor(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller, reserve_fen=9_000_000)
    clock.advance(timedelta(hours=2))
    await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS)  # no bids: 流拍 at 1,000,000
    await session.commit()
    seller = await account(session, client, org=seller.org)
    later = {
        "registration_deadline": (clock.now() + timedelta(hours=1)).isoformat(),
        "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
    }
    terms = auction_terms(trade["achievement_id"], start_price_fen=800_000, **later)
    relisted = (await client.post("/api/v1/trades", json=terms, headers=seller.headers)).json()
    await client.post(f"/api/v1/trades/{relisted['id']}/withdraw", headers=seller.headers)
    lower = {**terms, "start_price_fen": 700_000}
    _refused(
        await client.post("/api/v1/trades", json=lower, headers=seller.headers),
        422,
        "relist_too_low",
    )
