"""The bidding desk: bids arriving together are placed in arrival order, several to a
transaction, each answered on its own once committed."""

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.accounts.policy import Principal
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.db import make_engine, make_sessionmaker
from techmarket.ledger import service as ledger
from techmarket.models.ledger import LedgerEntry
from techmarket.models.trade import Bid, BidRequest, Trade
from techmarket.trading import bidding, broadcast
from techmarket.trading import desk as desk_module
from techmarket.trading.bidding import BidOrder, BidRefused
from techmarket.trading.desk import BidsNotPlaced, Desk
from techmarket.trading.lifecycle import TradeNotFound
from tests.conftest import START
from tests.factories import make_user
from tests.trading.helpers import committed_auction

START_PRICE, STEP = 1_000_000, 100_000


class TickingClock:
    """Each reading a millisecond later than the one before, from 15 minutes in: one
    reading per batch, so the ledger's timestamps tell the batches apart."""

    def __init__(self) -> None:
        self.at = START + timedelta(minutes=15)

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at


async def _ledgered_bids(
    committed: async_sessionmaker[AsyncSession], trade_id: int
) -> list[dict[str, object]]:
    async with committed() as session:
        stmt = (
            select(LedgerEntry)
            .where(
                LedgerEntry.subject == f"trade/{trade_id}", LedgerEntry.type == "trade.bid_accepted"
            )
            .order_by(LedgerEntry.idx)
        )
        return [json.loads(e.canonical) for e in (await session.execute(stmt)).scalars()]


def _slow_first_batch(running: asyncio.Event, go_on: asyncio.Event) -> Any:
    """``bidding.place_batches`` whose first batch runs (``running``) until ``go_on``,
    while the other bids arrive."""
    place_batches = bidding.place_batches

    async def slow_first_batch(
        session: AsyncSession, batch: dict[int, list[BidOrder]], clock: Any, **options: Any
    ) -> dict[int, list[Any]]:
        if not running.is_set():
            running.set()
            await go_on.wait()
        return await place_batches(session, batch, clock, **options)

    return slow_first_batch


async def test_bids_arriving_while_a_batch_runs_are_placed_in_order_together_in_the_next(
    committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_id, bidders = await committed_auction(committed, 60)
    desk = Desk(committed, TickingClock())
    orders = [BidOrder(b, START_PRICE + STEP * i) for i, b in enumerate(bidders)]
    batches: list[int] = []
    first_runs, others_queued = asyncio.Event(), asyncio.Event()
    place_batches = bidding.place_batches

    async def slow_first_batch(
        session: AsyncSession, batch: dict[int, list[BidOrder]], clock: Any, **options: Any
    ) -> dict[int, list[Any]]:
        batches.append(sum(len(orders) for orders in batch.values()))
        if len(batches) == 1:  # the first batch is running while the others arrive
            first_runs.set()
            await others_queued.wait()
        return await place_batches(session, batch, clock, **options)

    monkeypatch.setattr(bidding, "place_batches", slow_first_batch)
    first = asyncio.create_task(desk.place(trade_id, orders[0]))
    await first_runs.wait()
    rest = [asyncio.create_task(desk.place(trade_id, order)) for order in orders[1:]]
    await asyncio.sleep(0)  # they arrive: each task's first step queues its bid
    others_queued.set()
    outcomes = [await first, *[await task for task in rest]]

    # Each rising bid arrived after the one below it, so every one stands.
    assert [o["accepted"][0]["amount_fen"] for o in outcomes] == [o.amount_fen for o in orders]
    assert outcomes[-1]["current_price_fen"] == orders[-1].amount_fen
    entries = await _ledgered_bids(committed, trade_id)
    assert [e["data"]["amount_fen"] for e in entries] == [o.amount_fen for o in orders]
    assert [e["index"] for e in entries] == [o["accepted"][0]["ledger_index"] for o in outcomes]
    assert batches == [1, 59]  # one transaction for all that arrived meanwhile
    assert len({e["ts"] for e in entries}) == 2


async def test_a_refusal_in_a_batch_leaves_the_others_standing(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, (a, b, c) = await committed_auction(committed, 3)
    desk = Desk(committed, TickingClock())
    first, same, higher = await asyncio.gather(
        desk.place(trade_id, BidOrder(a, START_PRICE + STEP)),
        desk.place(trade_id, BidOrder(b, START_PRICE + STEP)),
        desk.place(trade_id, BidOrder(c, START_PRICE + 3 * STEP)),
        return_exceptions=True,
    )
    assert isinstance(same, BidRefused) and same.code == "too_low"
    assert isinstance(first, dict) and isinstance(higher, dict)
    assert higher["current_price_fen"] == START_PRICE + 3 * STEP
    assert len(await _ledgered_bids(committed, trade_id)) == 2


async def test_a_request_sent_twice_is_placed_once_with_one_outcome(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, (a, b) = await committed_auction(committed, 2)
    desk = Desk(committed, TickingClock())
    order = BidOrder(a, START_PRICE + STEP, key="r-1")
    together = await asyncio.gather(
        desk.place(trade_id, order), desk.place(trade_id, order), return_exceptions=True
    )
    later = await desk.place(trade_id, order)  # a retry after the batch committed
    assert together[0] == together[1] == later

    with pytest.raises(BidRefused) as first:
        await desk.place(trade_id, BidOrder(b, START_PRICE + STEP, key="r-2"))
    with pytest.raises(BidRefused) as again:  # the refusal is kept, not reconsidered
        await desk.place(trade_id, BidOrder(b, START_PRICE + 5 * STEP, key="r-2"))
    assert first.value.code == again.value.code == "too_low"

    async with committed() as session:
        bids = (await session.execute(select(Bid).where(Bid.trade_id == trade_id))).scalars()
        requests = (await session.execute(select(BidRequest))).scalars()
        assert len(list(bids)) == 1
        assert sorted(r.key for r in requests) == ["r-1", "r-2"]


async def test_every_bid_of_a_failed_batch_hears_why(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    _, (a, b) = await committed_auction(committed, 2)
    desk = Desk(committed, TickingClock())
    failures = await asyncio.gather(
        desk.place(987_654, BidOrder(a, START_PRICE)),
        desk.place(987_654, BidOrder(b, START_PRICE)),
        return_exceptions=True,
    )
    assert all(isinstance(f, TradeNotFound) for f in failures)
    assert failures[0] is not failures[1]  # each raised on its own


async def test_when_the_database_fails_every_bid_of_the_batch_is_not_placed(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    _, (a, b) = await committed_auction(committed, 2)
    unreachable = make_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none", pool_size=1)
    desk = Desk(make_sessionmaker(unreachable), TickingClock())
    failures = await asyncio.gather(
        desk.place(1, BidOrder(a, START_PRICE)),
        desk.place(1, BidOrder(b, START_PRICE)),
        return_exceptions=True,
    )
    await unreachable.dispose()
    assert all(isinstance(f, BidsNotPlaced) for f in failures)


async def _waiting_for_a_lock(committed: async_sessionmaker[AsyncSession]) -> None:
    """Until some transaction waits for a row lock (the desk's batch, behind another's)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10):
        while True:
            async with committed() as session:
                if (await session.execute(query)).scalar_one():
                    return
            await asyncio.sleep(0.01)


async def test_a_bid_that_arrived_before_the_end_behind_a_slow_batch_is_accepted_and_extends(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, (a, b) = await committed_auction(committed, 2)
    end = START + timedelta(hours=1)
    clock = FixedClock(end - timedelta(milliseconds=10))
    desk = Desk(committed, clock)
    async with committed.begin() as holder:  # another process's batch, slow to commit
        await holder.execute(select(Trade).where(Trade.id == trade_id).with_for_update())
        first = asyncio.create_task(desk.place(trade_id, BidOrder(a, START_PRICE)))
        await _waiting_for_a_lock(committed)
        clock.advance(timedelta(milliseconds=9))  # one millisecond before the end
        behind = asyncio.create_task(desk.place(trade_id, BidOrder(b, START_PRICE + STEP)))
        await asyncio.sleep(0)  # it arrives: the task's first step queues it
        clock.advance(timedelta(seconds=2))  # the batches run after the end
    placed = await first
    late = await behind

    received = end - timedelta(milliseconds=1)
    assert late["current_price_fen"] == START_PRICE + STEP
    assert late["ends_at"] == (received + timedelta(seconds=300)).isoformat()
    entries = await _all_entries(committed)
    assert [e["ts"] for e in entries] == sorted(e["ts"] for e in entries)
    bids = [e for e in entries if e["type"] == "trade.bid_accepted"]
    assert [b["data"]["received_at"] for b in bids] == [
        (end - timedelta(milliseconds=10)).isoformat(),
        received.isoformat(),
    ]
    assert placed["accepted"][0]["ledger_index"] == bids[0]["index"]
    books = rule_books()  # and the ledger's replay agrees they were in time
    for body in entries:
        for book in books:
            if body["type"].startswith(book.families):
                book.feed(body["index"], body)


async def _all_entries(committed: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    async with committed() as session:
        stmt = select(LedgerEntry.canonical).order_by(LedgerEntry.idx)
        return [json.loads(raw) for raw in (await session.execute(stmt)).scalars()]


async def test_two_users_of_one_firm_sending_the_same_request_id_each_get_their_own_outcome(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, (a,) = await committed_auction(committed, 1)
    async with committed.begin() as session:
        colleague = Principal(user=await make_user(session, a.org), org=a.org)
    desk = Desk(committed, TickingClock())
    mine = await desk.place(trade_id, BidOrder(a, START_PRICE, key="1"))
    theirs = await desk.place(trade_id, BidOrder(colleague, START_PRICE + STEP, key="1"))
    assert theirs != mine
    assert theirs["current_price_fen"] == START_PRICE + STEP  # placed, not a replay of mine
    assert await desk.place(trade_id, BidOrder(a, START_PRICE, key="1")) == mine


async def test_bids_beyond_the_desks_queue_are_refused_rate_limited(
    committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_id, bidders = await committed_auction(committed, 4)
    monkeypatch.setattr(desk_module, "MAX_WAITING", 2)
    desk = Desk(committed, TickingClock())
    async with committed.begin() as holder:  # a slow batch ahead holds the trade
        await holder.execute(select(Trade).where(Trade.id == trade_id).with_for_update())
        first = asyncio.create_task(desk.place(trade_id, BidOrder(bidders[0], START_PRICE)))
        await _waiting_for_a_lock(committed)
        waiting = [
            asyncio.create_task(desk.place(trade_id, BidOrder(b, START_PRICE + STEP * (i + 1))))
            for i, b in enumerate(bidders[1:3])
        ]
        await asyncio.sleep(0)  # they arrive: each task's first step queues its bid
        with pytest.raises(BidRefused) as refused:
            async with asyncio.timeout(10):  # were it queued, it would wait on the holder
                await desk.place(trade_id, BidOrder(bidders[3], START_PRICE + 9 * STEP))
    assert refused.value.code == "rate_limited"
    assert (await waiting[-1])["current_price_fen"] == START_PRICE + 2 * STEP
    await first


async def test_on_drain_the_waiting_bids_are_placed_and_answered_and_new_ones_refused(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, bidders = await committed_auction(committed, 4)
    desk = Desk(committed, TickingClock())
    async with committed.begin() as holder:  # a slow batch ahead holds the trade
        await holder.execute(select(Trade).where(Trade.id == trade_id).with_for_update())
        queued = [
            asyncio.create_task(desk.place(trade_id, BidOrder(b, START_PRICE + STEP * i)))
            for i, b in enumerate(bidders[:3])
        ]
        await _waiting_for_a_lock(committed)  # the first batch waits, the others queue
        draining = asyncio.create_task(desk.drain())
        await asyncio.sleep(0)  # the process stops: the desk closes
        with pytest.raises(desk_module.Closed):
            await desk.place(trade_id, BidOrder(bidders[3], START_PRICE + 9 * STEP))
        assert not draining.done()  # it waits for the queued bids
    await draining
    ledgered = await _ledgered_bids(committed, trade_id)  # committed when the drain ends
    answers = await asyncio.gather(*queued)
    assert [a["accepted"][0]["amount_fen"] for a in answers] == [
        START_PRICE + STEP * i for i in range(3)
    ]
    assert [e["index"] for e in ledgered] == [a["accepted"][0]["ledger_index"] for a in answers]


async def test_a_batch_being_judged_holds_no_ledger_lock(
    committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_id, (bidder,) = await committed_auction(committed, 1)
    judging, go_on = asyncio.Event(), asyncio.Event()
    unauthorised = bidding._unauthorised

    async def slow_judging(*args: Any) -> Any:
        judging.set()
        await go_on.wait()
        return await unauthorised(*args)

    monkeypatch.setattr(bidding, "_unauthorised", slow_judging)
    desk = Desk(committed, TickingClock())
    placing = asyncio.create_task(desk.place(trade_id, BidOrder(bidder, START_PRICE)))
    await judging.wait()
    async with asyncio.timeout(10):  # were the ledger's head locked, this would wait for ever
        async with committed.begin() as session:
            other = await ledger.append(session, "test.meanwhile", "test/1", {}, START)
    go_on.set()
    placed = await placing
    assert placed["accepted"][0]["ledger_index"] == other + 1  # numbered at its commit


async def test_bids_waiting_on_several_trades_commit_together_in_one_notification(
    committed: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (first, (a,)), (second, (b,)), (third, (c,)) = [
        await committed_auction(committed, 1) for _ in range(3)
    ]
    heard: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    await listener.add_listener(
        broadcast.CHANNEL, lambda *args: heard.put_nowait(json.loads(args[-1]))
    )
    monkeypatch.setattr(desk_module, "TRANSACTIONS", 1)
    running, go_on = asyncio.Event(), asyncio.Event()
    monkeypatch.setattr(bidding, "place_batches", _slow_first_batch(running, go_on))
    desk = Desk(committed, TickingClock())
    try:
        placing = [asyncio.create_task(desk.place(first, BidOrder(a, START_PRICE)))]
        await running.wait()
        placing += [
            asyncio.create_task(desk.place(trade_id, BidOrder(bidder, START_PRICE)))
            for trade_id, bidder in ((second, b), (third, c))
        ]
        await asyncio.sleep(0)  # they arrive: each task's first step queues its bid
        go_on.set()
        placed = [await p for p in placing]
        notifications = [await asyncio.wait_for(heard.get(), 10) for _ in range(2)]
    finally:
        await listener.close()
    assert [[group["trade_id"] for group in n] for n in notifications] == [
        [first],
        [second, third],  # one commit, one notification
    ]
    indexes = [p["accepted"][0]["ledger_index"] for p in placed]
    assert indexes[2] == indexes[1] + 1


async def test_a_batch_does_not_wait_for_a_trade_another_transaction_holds(
    committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    (held, (a,)), (free, (b,)), (before, (c,)) = [
        await committed_auction(committed, 1) for _ in range(3)
    ]
    running, go_on = asyncio.Event(), asyncio.Event()
    monkeypatch.setattr(bidding, "place_batches", _slow_first_batch(running, go_on))
    monkeypatch.setattr(desk_module, "TRANSACTIONS", 1)
    desk = Desk(committed, TickingClock())
    async with committed.begin() as other:  # another process's batch holds one trade
        await other.execute(select(Trade).where(Trade.id == held).with_for_update())
        first = asyncio.create_task(desk.place(before, BidOrder(c, START_PRICE)))
        await running.wait()
        on_held = asyncio.create_task(desk.place(held, BidOrder(a, START_PRICE)))
        on_free = asyncio.create_task(desk.place(free, BidOrder(b, START_PRICE)))
        await asyncio.sleep(0)  # they arrive while the first batch runs: the next batch
        go_on.set()
        async with asyncio.timeout(10):  # were the batch waiting for the held trade: never
            placed = await on_free
        assert placed["accepted"][0]["amount_fen"] == START_PRICE
        await first
        assert not on_held.done()  # its bid waits for the trade, first in line
    async with asyncio.timeout(10):
        placed = await on_held  # placed once the other transaction ends
    assert placed["accepted"][0]["amount_fen"] == START_PRICE
