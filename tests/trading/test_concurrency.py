"""Racing bids on committed transactions: the row lock serialises them, nothing is lost."""

import asyncio
import json
import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts.policy import Principal
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.models.ledger import LedgerEntry
from techmarket.models.trade import Bid, Trade
from techmarket.trading import bidding
from techmarket.trading.bidding import BidRefused
from techmarket.trading.rules import auction
from tests.conftest import START
from tests.trading.helpers import committed_auction

NOW = START + timedelta(minutes=15)
STEP = 100_000


async def _race(
    committed: async_sessionmaker[AsyncSession], trade_id: int, bids: list[tuple[Principal, int]]
) -> list[dict[str, object] | None]:
    """All the bids at once, as many in flight as the engine's pool has connections (10 +
    20 overflow): they race for the trade's lock, and none waits out the pool's timeout
    however slow the machine."""
    racing = asyncio.Semaphore(30)
    return await asyncio.gather(*(_bid(committed, racing, b, trade_id, a) for b, a in bids))


async def _bid(
    committed: async_sessionmaker[AsyncSession],
    racing: asyncio.Semaphore,
    who: Principal,
    trade_id: int,
    amount: int,
) -> dict[str, object] | None:
    try:
        async with racing, committed.begin() as session:
            return await bidding.place_bid(
                session, who, trade_id, amount, None, None, NOW, FixedClock(NOW)
            )
    except BidRefused as refused:
        assert refused.code == "too_low"
        return None


async def test_200_bids_of_one_amount_one_wins(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, bidders = await committed_auction(committed, 200)
    results = await _race(committed, trade_id, [(b, 1_000_000) for b in bidders])
    accepted = [r for r in results if r is not None]
    assert len(accepted) == 1
    async with committed() as session:
        bids = list((await session.execute(select(Bid).where(Bid.trade_id == trade_id))).scalars())
    assert len(bids) == 1


async def test_2000_racing_bids_equal_the_serial_replay_of_the_ledger(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, bidders = await committed_auction(committed, 50)
    rng = random.Random(5)
    attempts = [
        (bidder, 1_000_000 + STEP * rng.randint(0, 60)) for bidder in bidders for _ in range(40)
    ]
    rng.shuffle(attempts)
    results = await _race(committed, trade_id, attempts)
    acknowledged = {
        bid["bid_id"]
        for r in results
        if r is not None
        for bid in r["accepted"]  # type: ignore[attr-defined]
    }
    assert acknowledged

    async with committed() as session:
        trade = await session.get(Trade, trade_id)
        stored = {
            b.id: b
            for b in (await session.execute(select(Bid).where(Bid.trade_id == trade_id))).scalars()
        }
        entries = (
            await session.execute(
                select(LedgerEntry)
                .where(LedgerEntry.subject == f"trade/{trade_id}")
                .order_by(LedgerEntry.idx)
            )
        ).scalars()
        bodies = [json.loads(e.canonical) for e in entries]
    assert trade is not None
    assert acknowledged <= set(stored)  # no acknowledged bid is missing

    # Replaying the ledger's accepted bids, one after another, gives the stored state.
    terms = bidding.state_of(trade, [])[0]
    state = auction.opening(terms)
    for body in bodies:
        if body["type"] == "trade.bid_accepted":
            amount = body["data"]["amount_fen"]
            outcome = auction.bid(terms, state, body["data"]["alias"], amount, NOW)
            assert outcome.refused is None, body
            state = outcome.state
    assert (state.leader, state.price_fen) == (trade.leader_alias, trade.price_fen)
    seqs = [body["data"]["seq"] for body in bodies]
    assert seqs == list(range(1, len(seqs) + 1))  # one sequence, no gaps
    # … and the full business-rule replay agrees.
    books = rule_books()
    for index, body in enumerate(bodies):
        for book in books:
            if body["type"].startswith(book.families):
                book.feed(index, body)
