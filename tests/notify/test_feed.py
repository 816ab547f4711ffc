"""The feed tells each ledger entry once, whoever else is telling at the same time."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts.policy import Principal
from techmarket.clock import FixedClock
from techmarket.models.notification import Notification
from techmarket.notify import feed
from techmarket.trading import bidding
from tests.conftest import START
from tests.trading.helpers import committed_auction

NOW = START + timedelta(minutes=15)


async def _bids(
    committed: async_sessionmaker[AsyncSession], trade_id: int, bids: list[tuple[Principal, int]]
) -> None:
    for who, amount in bids:
        async with committed.begin() as session:
            await bidding.place_bid(
                session, who, trade_id, amount, None, None, NOW, FixedClock(NOW)
            )


async def test_the_outbid_are_told_once_by_two_processes_at_once(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, (a, b) = await committed_auction(committed, 2)
    await _bids(
        committed, trade_id, [(a, 1_000_000), (a, 1_100_000), (b, 1_200_000), (a, 1_300_000)]
    )

    # Two serving processes' feeds at once: one tells, the other finds the feed taken.
    told = await asyncio.gather(
        feed.step(committed, FixedClock(NOW)), feed.step(committed, FixedClock(NOW))
    )
    assert sorted(told) == [0, told[0] + told[1]] and max(told) > 0
    assert await feed.step(committed, FixedClock(NOW)) == 0  # nothing left to tell

    async with committed() as session:
        outbid = select(Notification).where(Notification.kind == "outbid")
        rows = (await session.execute(outbid.order_by(Notification.id))).scalars()
        told_whom = [(n.user_id, n.kind, n.link) for n in rows]
        # a raising its own bid outbids no one; b outbid a, then a outbid b
        assert told_whom == [
            (a.user.id, "outbid", f"/trades/{trade_id}"),
            (b.user.id, "outbid", f"/trades/{trade_id}"),
        ]
        assert await session.scalar(select(func.count()).select_from(outbid.subquery())) == 2
