"""Resuming reads only the trade's events after the given seq, found by the seq itself."""

import json
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.trading import repository as repo
from techmarket.trading.bidding import BidOrder, place_bids
from tests.conftest import START
from tests.trading.helpers import committed_auction

START_PRICE, STEP = 1_000_000, 100_000
LATE = START + timedelta(minutes=58)  # within the extension period: bids extend


async def test_the_events_after_any_seq_are_exactly_those_and_no_more(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, bidders = await committed_auction(committed, 4)
    for i, bidder in enumerate(bidders):
        async with committed.begin() as session:
            order = BidOrder(bidder, START_PRICE + STEP * i, received_at=LATE)
            await place_bids(session, trade_id, [order], FixedClock(LATE))
    async with committed() as session:
        everything = await repo.trade_entries_after(session, trade_id, 0, 100)
        seqs = [json.loads(raw)["data"]["seq"] for raw in everything]
        assert seqs == list(range(1, len(seqs) + 1))
        kinds = [json.loads(raw)["type"] for raw in everything]
        assert "trade.extended" in kinds and "trade.registered" in kinds
        for after in range(len(seqs) + 1):  # after a bid, an extension, a registration
            for limit in (1, 2, 100):
                got = await repo.trade_entries_after(session, trade_id, after, limit)
                assert [json.loads(raw)["data"]["seq"] for raw in got] == seqs[after:][:limit]
