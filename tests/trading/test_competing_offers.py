"""Competing offers during public notice: a notice with one converts into an auction among
the buyer (priority right) and the competitors, from the highest offer; without one the
agreement concludes as before; the replay checks the conversion."""

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.ledger.note import Verifier
from techmarket.ledger.replay import RuleViolation
from techmarket.ledger.verify import verify_export
from techmarket.models.org import OrgKind
from techmarket.scheduler import CLOSE_AUCTIONS, CONCLUDE_AGREEMENTS
from techmarket.trading import closing
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key
from tests.trading.helpers import agreement_on_notice, bid

AGREED = 900_000  # agreement_on_notice's price
NOTICE, AUCTION = timedelta(hours=6), timedelta(hours=2)  # all within one login's lifetime


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def _compete(
    client: httpx.AsyncClient, who: Account, trade_id: int, price_fen: int
) -> httpx.Response:
    return await client.post(
        f"/api/v1/trades/{trade_id}/competing-offers",
        json={"price_fen": price_fen},
        headers=who.headers,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=None,
        data_dir=tmp_path,
        notice_period=NOTICE,
        competing_auction_period=AUCTION,
    )


@pytest.fixture
async def parties(client: httpx.AsyncClient, session: AsyncSession) -> tuple[Account, Account]:
    return await account(session, client), await account(session, client)


async def _converted(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    parties: tuple[Account, Account],
) -> tuple[dict[str, Any], Account, Account, dict[str, str]]:
    """A notice on which two competitors offered 1,000,000 and 1,100,000, run to its end
    through the scheduler: the trade, the buyer, the higher competitor, and the aliases."""
    seller, buyer = parties
    trade = await agreement_on_notice(client, seller, buyer)
    announced = trade["terms"]["competition"]
    assert (announced["deposit_fen"], announced["increment_fen"]) == (90_000, 9_000)
    low, high = await account(session, client), await account(session, client)
    made = await _compete(client, low, trade["id"], 1_000_000)
    assert made.status_code == 201, made.text
    assert (made.json()["deposit_fen"], made.json()["deposit_status"]) == (90_000, "held")
    clock.advance(timedelta(hours=1))
    higher = await _compete(client, high, trade["id"], 1_100_000)
    assert higher.status_code == 201, higher.text
    # Nobody else learns the offers while the notice runs: not the buyer, not the board.
    url = f"/api/v1/trades/{trade['id']}"
    seen = (await client.get(f"{url}/competing-offers", headers=buyer.headers)).json()
    assert seen["items"] == []
    mine = (await client.get(f"{url}/competing-offers", headers=low.headers)).json()["items"]
    assert [o["price_fen"] for o in mine] == [1_000_000]
    assert "1100000" not in (await client.get("/api/v1/ledger/export")).text

    clock.advance(NOTICE - timedelta(hours=1, seconds=1))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 0  # still on
    clock.advance(timedelta(seconds=1))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 1
    await session.commit()
    converted = (await client.get(url, headers=buyer.headers)).json()
    aliases = {
        "low": made.json()["alias"],
        "high": higher.json()["alias"],
    }
    return converted, buyer, high, aliases


async def test_competing_offers_turn_the_notice_into_an_auction_the_buyer_wins_by_matching(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    parties: tuple[Account, Account],
) -> None:
    trade, buyer, high, aliases = await _converted(client, session, clock, sessionmaker, parties)
    assert (trade["mode"], trade["status"]) == ("auction", "open")
    assert trade["terms"]["start_price_fen"] == 1_100_000  # the highest competing offer
    assert (trade["current_price_fen"], trade["leader_alias"]) == (1_100_000, aliases["high"])
    assert trade["ends_at"] == (clock.now() + AUCTION).isoformat().replace("+00:00", "Z")
    url = f"/api/v1/trades/{trade['id']}"
    revealed = (await client.get(f"{url}/competing-offers", headers=buyer.headers)).json()
    assert [(o["alias"], o["price_fen"]) for o in revealed["items"]] == [
        (aliases["low"], 1_000_000),
        (aliases["high"], 1_100_000),
    ]
    assert (await client.get("/api/v1/notices")).json()["items"] == []  # off the board
    bids = (await client.get(f"{url}/bids")).json()["items"]
    assert [(b["alias"], b["amount_fen"]) for b in bids] == [(aliases["high"], 1_100_000)]
    seller = parties[0]  # the opening offer binds: the seller cannot take the trade back
    withdrawn = await client.post(f"{url}/withdraw", headers=seller.headers)
    assert (withdrawn.status_code, withdrawn.json()["code"]) == (409, "not_withdrawable")

    # Nobody new may join; the buyer matches the leading offer with its priority right.
    latecomer = await account(session, client)
    late = await client.post(f"{url}/registrations", headers=latecomer.headers)
    assert late.json()["code"] == "registration_closed"
    matched = await bid(client, buyer, trade["id"], 1_100_000)
    assert matched.status_code == 200, matched.text
    assert matched.json()["accepted"][0]["kind"] == "match"
    buyer_alias = matched.json()["leader_alias"]
    assert buyer_alias not in aliases.values()
    outbid = await bid(client, high, trade["id"], 1_100_000)
    assert outbid.json()["code"] == "too_low"  # only the holder may match
    await session.commit()

    clock.advance(AUCTION - timedelta(seconds=1))
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 0
    clock.advance(closing.BID_GRACE + timedelta(seconds=1))
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 1
    await session.commit()
    closed = (await client.get(url)).json()
    assert (closed["status"], closed["current_price_fen"]) == ("sold", 1_100_000)
    assert closed["buyer_org_id"] == buyer.org.id
    await _verify(client)


async def test_a_notice_without_competing_offers_concludes_as_before(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    parties: tuple[Account, Account],
) -> None:
    trade = await agreement_on_notice(client, *parties)
    clock.advance(NOTICE)
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 1
    await session.commit()
    done = (await client.get(f"/api/v1/trades/{trade['id']}")).json()
    assert (done["mode"], done["status"], done["current_price_fen"]) == (
        "agreement",
        "sold",
        AGREED,
    )
    await _verify(client)


async def test_competing_offers_are_refused_to_parties_below_the_price_and_after_the_notice(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    parties: tuple[Account, Account],
) -> None:
    seller, buyer = parties
    trade = await agreement_on_notice(client, seller, buyer)
    outsider = await account(session, client)
    for party in (seller, buyer):
        refused = await _compete(client, party, trade["id"], 2_000_000)
        assert (refused.status_code, refused.json()["code"]) == (403, "party_cannot_compete")
    for price in (AGREED, AGREED - 1):
        low = await _compete(client, outsider, trade["id"], price)
        assert (low.status_code, low.json()["code"]) == (409, "competing_offer_too_low")
    operator = await account(session, client, kind=OrgKind.operator)
    assert (await _compete(client, operator, trade["id"], 2_000_000)).status_code == 403
    assert (await _compete(client, outsider, trade["id"], AGREED + 1)).status_code == 201
    again = await _compete(client, outsider, trade["id"], 3_000_000)
    assert again.json()["code"] == "already_competing"
    clock.advance(NOTICE)
    late = await _compete(client, await account(session, client), trade["id"], 2_000_000)
    assert (late.status_code, late.json()["code"]) == (409, "not_on_notice")


async def test_an_upheld_objection_releases_the_competitors_deposits(
    client: httpx.AsyncClient, session: AsyncSession, parties: tuple[Account, Account]
) -> None:
    trade = await agreement_on_notice(client, *parties)
    competitor, objector = await account(session, client), await account(session, client)
    made = await _compete(client, competitor, trade["id"], 1_000_000)
    url = f"/api/v1/trades/{trade['id']}"
    raised = await client.post(
        f"{url}/objections", json={"reasons": "权属存在争议"}, headers=objector.headers
    )
    operator = await account(session, client, kind=OrgKind.operator)
    upheld = await client.post(
        f"{url}/objections/{raised.json()['objection_id']}/uphold", headers=operator.headers
    )
    assert upheld.json()["status"] == "cancelled"
    mine = (await client.get(f"{url}/competing-offers", headers=competitor.headers)).json()
    assert [(o["id"], o["deposit_status"]) for o in mine["items"]] == [
        (made.json()["id"], "released")
    ]
    await _verify(client)


def _replay(bodies: list[dict[str, Any]]) -> None:
    books = rule_books()
    for index, body in enumerate(bodies):
        for book in books:
            if body["type"].startswith(book.families):
                book.feed(index, body)


async def test_the_replay_reports_a_forged_conversion(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    parties: tuple[Account, Account],
) -> None:
    """Correctly hashed entries the rules would never have written: a conversion letting
    in a bidder who made no competing offer, or opening below the highest offer."""
    await _converted(client, session, clock, sessionmaker, parties)
    records = [json.loads(line) for line in await export_lines(client)]
    bodies = [json.loads(r["canonical"]) for r in records if "canonical" in r]  # no checkpoint
    _replay(bodies)  # as written, it holds
    at = next(i for i, b in enumerate(bodies) if b["type"] == "trade.converted")

    stranger = copy.deepcopy(bodies)
    data = stranger[at]["data"]
    data["aliases"] = sorted([*data["aliases"], "ZZZZ"])
    with pytest.raises(RuleViolation, match="not among the buyer and the competitors"):
        _replay(stranger)

    smuggled = copy.deepcopy(bodies)  # the stranger posing as an offer never committed to
    data = smuggled[at]["data"]
    data["offers"].append({"offer_id": 999, "alias": "ZZZZ", "price_fen": 1_200_000})
    data["aliases"] = sorted([*data["aliases"], "ZZZZ"])
    with pytest.raises(RuleViolation, match="exactly the offers made"):
        _replay(smuggled)

    low_start = copy.deepcopy(bodies)
    data = low_start[at]["data"]
    data["terms"]["start_price_fen"] = 1_000_000
    data["opening"]["price_fen"] = 1_000_000
    with pytest.raises(RuleViolation, match="highest competing offer"):
        _replay(low_start)

    without = [b for b in copy.deepcopy(bodies) if b["type"] != "trade.competing_offer"]
    with pytest.raises(RuleViolation):  # no competing offer left to convert for
        _replay(without)
