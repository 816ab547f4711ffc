"""Fan-out through PostgreSQL: messages reach every listening process at commit, in
order, however many one transaction sends."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.trading import broadcast
from tests.conftest import START


def _bid(seq: int) -> dict[str, object]:
    data = {"seq": seq, "amount_fen": 100 * seq, "alias": "K7QX", "ends_at": START.isoformat()}
    msg = broadcast.message("trade.bid_accepted", data, START + timedelta(seconds=seq))
    assert msg is not None
    return msg


async def _events(inbox: broadcast.Inbox) -> list[broadcast.Event]:
    missed, items = await inbox.take()
    assert not missed
    return [item for item in items if isinstance(item, broadcast.Event)]


@pytest.fixture
async def broadcaster(engine: AsyncEngine) -> AsyncIterator[broadcast.Broadcaster]:
    """A process's listener on the test database."""
    listening = broadcast.Broadcaster(engine.url.render_as_string(hide_password=False))
    await listening.start()
    yield listening
    await listening.stop()


async def test_a_large_batch_arrives_whole_and_in_order(
    broadcaster: broadcast.Broadcaster, committed: async_sessionmaker[AsyncSession]
) -> None:
    watching, elsewhere = broadcaster.subscribe(7), broadcaster.subscribe(8)
    sent = [_bid(seq) for seq in range(1, 301)]  # far beyond one notification's 8000 bytes
    async with committed.begin() as session:
        await broadcast.notify(session, 7, sent)
        nothing_yet = asyncio.create_task(_events(watching))
        await asyncio.sleep(0.2)
        assert not nothing_yet.done()  # nothing before the commit
    got = await asyncio.wait_for(nothing_yet, 10)
    while len(got) < len(sent):
        got += await asyncio.wait_for(_events(watching), 10)
    assert [e.seq for e in got] == list(range(1, 301))
    assert [e.text for e in got] == [broadcast.encode(m) for m in sent]
    elsewhere_got = asyncio.create_task(_events(elsewhere))
    await asyncio.sleep(0.2)
    assert not elsewhere_got.done()
    elsewhere_got.cancel()


async def test_a_rolled_back_transaction_sends_nothing(
    broadcaster: broadcast.Broadcaster, committed: async_sessionmaker[AsyncSession]
) -> None:
    watching = broadcaster.subscribe(7)
    async with committed() as session:
        await broadcast.notify(session, 7, [_bid(1)])
        await session.rollback()
    async with committed.begin() as session:
        await broadcast.notify(session, 7, [_bid(2)])
    assert [e.seq for e in await asyncio.wait_for(_events(watching), 10)] == [2]


async def test_replies_a_client_does_not_read_are_bounded_and_events_do_not_crowd_them_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broadcast, "QUEUE_SIZE", 3)
    inbox = broadcast.Inbox()
    for seq in range(1, 6):  # more events than fit: dropped, and said to be missed
        inbox.put(broadcast.Event.of(_bid(seq)))
    assert [inbox.reply(f"reply {i}") for i in range(4)] == [True, True, True, False]
    missed, items = await inbox.take()
    assert missed
    assert items[-3:] == ["reply 0", "reply 1", "reply 2"]
    assert inbox.reply("after a take") is True
