"""The periodic jobs: each due trade in its own transaction, a failing one left for later."""

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.db import make_engine, make_sessionmaker
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_export
from techmarket.models.ledger import LedgerEntry
from techmarket.models.trade import Trade, TradeStatus
from techmarket.trading import bidding, closing
from techmarket.trading import repository as trades
from techmarket.trading.lifecycle import Journal
from tests.conftest import START
from tests.factories import account
from tests.ledger.helpers import export_lines, public_key
from tests.trading.helpers import agreement_on_notice, committed_auction, open_auction

BIDDING = START + timedelta(minutes=15)
ENDED = START + timedelta(hours=1) + closing.BID_GRACE  # the end, and the close's grace


async def test_a_trade_that_fails_to_close_does_not_hold_up_the_others(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seller = await account(session, client)
    broken = await open_auction(client, seller)
    later = (START + timedelta(hours=1, minutes=5)).isoformat()
    sound = await open_auction(client, seller, ends_at=later)
    # The injected failure: terms the close cannot read (it ends first, so it comes first).
    await session.execute(
        text("UPDATE trades SET terms = terms - 'increment_fen' WHERE id = :id"),
        {"id": broken["id"]},
    )
    await session.commit()
    clock.advance(timedelta(hours=2))

    with caplog.at_level(logging.ERROR, logger="techmarket.scheduler"):
        await scheduler.run_due(sessionmaker, clock)
    status = {
        t["id"]: (await client.get(f"/api/v1/trades/{t['id']}")).json()["status"]
        for t in (broken, sound)
    }
    assert status == {broken["id"]: "open", sound["id"]: "unsold"}
    assert [r.trade_id for r in caplog.records] == [broken["id"]]  # type: ignore[attr-defined]

    # Repaired, it closes on the next run: a failing trade is retried, not abandoned.
    await session.execute(
        text("UPDATE trades SET terms = terms || '{\"increment_fen\": 100000}' WHERE id = :id"),
        {"id": broken["id"]},
    )
    await session.commit()
    await scheduler.run_due(sessionmaker, clock)
    assert (await client.get(f"/api/v1/trades/{broken['id']}")).json()["status"] == "unsold"
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def _two_unsigned_deals(committed: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """Two won auctions without a contract; the first closed ten days before the second."""
    deals = []
    for _ in range(2):
        trade_id, (winner,) = await committed_auction(committed, 1)
        async with committed.begin() as session:
            await bidding.place_bid(
                session, winner, trade_id, 1_000_000, None, None, BIDDING, FixedClock(BIDDING)
            )
        deals.append(trade_id)
    assert await scheduler.run(committed, FixedClock(ENDED), scheduler.CLOSE_AUCTIONS) == 2
    async with committed.begin() as session:
        await session.execute(
            update(Trade).where(Trade.id == deals[1]).values(closed_at=ENDED + timedelta(days=10))
        )
    return deals[0], deals[1]


async def test_forfeiting_locks_only_the_deals_that_are_due(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    due, not_due = await _two_unsigned_deals(committed)
    now = ENDED + timedelta(days=30, seconds=1)  # the first one's signing period is over
    async with committed.begin() as forfeiting:
        found = await trades.next_signing_lapsed(forfeiting, now, ())
        assert found is not None and found.id == due
        async with committed.begin() as signing:  # the other deal's parties sign meanwhile
            locked = select(Trade.id).where(Trade.id == not_due).with_for_update(nowait=True)
            assert (await signing.execute(locked)).scalar_one() == not_due
            # … and another process's scheduler finds nothing: the due one is taken.
            assert await trades.next_signing_lapsed(signing, now, ()) is None
        journal = Journal(forfeiting)
        await closing.forfeit(forfeiting, found, now, journal)
        await journal.write()
    async with committed() as session:
        statuses = dict(iter((await session.execute(select(Trade.id, Trade.status))).all()))
    assert statuses == {due: TradeStatus.defaulted, not_due: TradeStatus.sold}


async def test_one_run_does_every_job_that_is_due(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    auction = await open_auction(client, seller)
    agreement = await agreement_on_notice(client, seller, buyer)
    clock.advance(timedelta(days=16))  # past the auction's end and the 15-day notice

    await scheduler.run_due(sessionmaker, clock)

    status = {
        t["id"]: (await client.get(f"/api/v1/trades/{t['id']}")).json()["status"]
        for t in (auction, agreement)
    }
    assert status == {auction["id"]: "unsold", agreement["id"]: "sold"}


async def test_a_job_or_chore_that_fails_stops_none_of_the_others(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    async def cannot_look(session: AsyncSession, now: object, skip: object) -> Trade | None:
        raise RuntimeError("the query failed")

    async def nothing_due(session: AsyncSession, now: object, skip: object) -> Trade | None:
        done.append("job")
        return None

    async def broken_chore(session: AsyncSession, now: object) -> None:
        raise RuntimeError("the chore failed")

    async def chore(session: AsyncSession, now: object) -> None:
        done.append("chore")

    async def act(session: AsyncSession, trade: Trade, now: object) -> None:
        raise AssertionError("nothing was due")

    jobs = (
        scheduler.TradeJob("broken", cannot_look, act),
        scheduler.TradeJob("ok", nothing_due, act),
    )
    monkeypatch.setattr(scheduler, "TRADE_JOBS", jobs)
    monkeypatch.setattr(scheduler, "CHORES", (broken_chore, chore))
    with caplog.at_level(logging.ERROR, logger="techmarket.scheduler"):
        await scheduler.run_due(sessionmaker, clock)
    assert done == ["job", "chore"]
    assert [r.getMessage() for r in caplog.records] == [
        "scheduled job broken failed",
        "scheduled job broken_chore failed",
    ]


async def test_two_processes_closing_the_same_due_auctions_close_each_exactly_once(
    committed: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    auctions = [await committed_auction(committed, 1) for _ in range(6)]
    for trade_id, (bidder,) in auctions[::2]:  # half of them sold
        async with committed.begin() as session:
            await bidding.place_bid(
                session, bidder, trade_id, 1_000_000, None, None, BIDDING, FixedClock(BIDDING)
            )
    other_process = make_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    clock = FixedClock(ENDED)
    try:
        done = await asyncio.gather(
            scheduler.run(committed, clock, scheduler.CLOSE_AUCTIONS),
            scheduler.run(make_sessionmaker(other_process), clock, scheduler.CLOSE_AUCTIONS),
        )
    finally:
        await other_process.dispose()
    assert sum(done) == len(auctions)
    async with committed() as session:
        closes = await session.execute(
            select(LedgerEntry.subject, func.count())
            .where(LedgerEntry.type == "trade.closed")
            .group_by(LedgerEntry.subject)
        )
        assert {subject: n for subject, n in closes} == {f"trade/{t}": 1 for t, _ in auctions}
        statuses = await session.execute(select(Trade.status).order_by(Trade.id))
        assert list(statuses.scalars()) == [TradeStatus.sold, TradeStatus.unsold] * 3


class _RunningClock:
    """Real time, shifted to start at ``at``."""

    def __init__(self, at: datetime) -> None:
        self._shift = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift


async def test_an_auction_closes_at_its_end_not_a_whole_interval_later(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    trade_id, _ = await committed_auction(committed, 1)
    clock = _RunningClock(ENDED - timedelta(seconds=0.5))  # due in half a second
    running = asyncio.create_task(scheduler.run_forever(committed, clock, interval=3600))
    try:
        async with asyncio.timeout(10):
            while True:  # the first run finds nothing due; the next comes at the end
                async with committed() as session:
                    trade = await session.get(Trade, trade_id)
                    assert trade is not None
                    if trade.status == TradeStatus.unsold:
                        break
                await asyncio.sleep(0.05)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert trade.closed_at is not None and trade.closed_at >= ENDED


async def test_a_batch_of_closes_leaves_the_ledger_free_until_its_write(
    committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bids wait on the ledger's head only for a batch's write and commit, not its closes."""
    auctions = [await committed_auction(committed, 1) for _ in range(2)]
    trade_id, (bidder,) = auctions[0]
    async with committed.begin() as session:  # one sold, one unsold
        await bidding.place_bid(
            session, bidder, trade_id, 1_000_000, None, None, BIDDING, FixedClock(BIDDING)
        )
    free_after: list[bool] = []
    close = scheduler.CLOSE_AUCTIONS.act

    async def close_then_try_the_head(*args: Any) -> None:
        await close(*args)
        async with committed.begin() as other:
            head = text("SELECT size FROM ledger_head FOR UPDATE NOWAIT")
            try:
                await other.execute(head)
                free_after.append(True)
            except DBAPIError:
                free_after.append(False)

    job = replace(scheduler.CLOSE_AUCTIONS, act=close_then_try_the_head)
    assert await scheduler.run(committed, FixedClock(ENDED), job) == 2
    assert free_after == [True, True]
