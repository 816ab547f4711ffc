"""An outbid bidder hears of it within a second, on the serving path: the feed running as
in a serving process, the NOTIFY of its delivery, and the process's listener waking the
bidder's open page."""

import asyncio
import contextlib
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.models.notification import Notification
from techmarket.notify import feed, live
from techmarket.trading import bidding
from tests.conftest import START
from tests.trading.helpers import committed_auction

NOW = START + timedelta(minutes=15)


async def test_an_outbid_bidder_is_told_within_a_second(
    engine: AsyncEngine, committed: async_sessionmaker[AsyncSession]
) -> None:
    trade_id, (a, b) = await committed_auction(committed, 2)
    clock = FixedClock(NOW)
    async with committed.begin() as session:
        await bidding.place_bid(session, a, trade_id, 1_000_000, None, None, NOW, clock)
    while await feed.step(committed, clock):  # the registrations and the first bid, told
        pass
    listener = live.Listener(engine.url.render_as_string(hide_password=False))
    await listener.start()
    telling = asyncio.create_task(feed.run_forever(committed, clock))
    woken = listener.watch(a.user.id)
    try:
        async with committed.begin() as session:
            await bidding.place_bid(session, b, trade_id, 1_100_000, None, None, NOW, clock)
        outbid_at = time.monotonic()
        await asyncio.wait_for(woken.wait(), timeout=10)
        assert time.monotonic() - outbid_at < 1.0
    finally:
        telling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await telling
        listener.unwatch(a.user.id, woken)
        await listener.stop()
    async with committed() as session:
        newest = await session.scalar(
            select(Notification)
            .where(Notification.user_id == a.user.id)
            .order_by(Notification.id.desc())
            .limit(1)
        )
        assert newest is not None and (newest.kind, newest.title) == ("outbid", "您的出价已被超过")
