"""Periodic jobs that every serving process runs. Due trades are handled a few to a short
transaction, each locked with SKIP LOCKED, so several processes may run the jobs at once
and one trade that fails (logged, retried at the next run) holds up no other."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import logs, metrics
from techmarket.accounts.repository import forget_old_failures
from techmarket.clock import Clock
from techmarket.listings.repository import expire_demands
from techmarket.models.trade import Trade, TradeStatus
from techmarket.notify.signing import remind_signing
from techmarket.subscriptions.digest import send_digests
from techmarket.trading import closing, competing
from techmarket.trading import repository as trades
from techmarket.trading.lifecycle import Journal

log = logging.getLogger("techmarket.scheduler")


@dataclass(frozen=True)
class TradeJob:
    """Something due on trades: how to find the next one (locked, not in ``skip``) and
    what to do to it, its ledger entries staged in the transaction's journal."""

    name: str
    next_due: Callable[[AsyncSession, datetime, Collection[int]], Awaitable[Trade | None]]
    act: Callable[[AsyncSession, Trade, datetime, Journal], Awaitable[None]]


END_LISTINGS = TradeJob(
    "end listing", partial(trades.next_ended, status=TradeStatus.listed), closing.end_listing
)
CLOSE_AUCTIONS = TradeJob(
    "close auction",
    partial(trades.next_ended, status=TradeStatus.open, grace=closing.BID_GRACE),
    closing.close_trade,
)
# A notice's end: the agreement concludes, or competing offers turn it into an auction.
CONCLUDE_AGREEMENTS = TradeJob("conclude agreement", trades.next_notice_ended, competing.end_notice)
FORFEIT_DEPOSITS = TradeJob("forfeit deposit", trades.next_signing_lapsed, closing.forfeit)

# Due trades done in one transaction (one commit for them all; their ledger entries are
# written together at the end, so the ledger's head is locked only for that write and the
# commit; a failing one sends the batch back one by one, so not too many).
BATCH = 20
TRADE_JOBS = (END_LISTINGS, CLOSE_AUCTIONS, CONCLUDE_AGREEMENTS, FORFEIT_DEPOSITS)
# Set-wise chores, each in one transaction of its own.
CHORES = (expire_demands, forget_old_failures, remind_signing, send_digests)


async def run(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, job: TradeJob) -> int:
    """Do ``job`` to every trade due now, up to BATCH to a transaction; returns how many
    were done. Once a batch fails, the run goes on one trade a transaction: a trade that
    fails is rolled back alone, logged and left for the next run."""
    tried: set[int] = set()  # this run takes each trade once, done or failed
    done = 0
    batch = BATCH
    while True:
        taken: list[int] = []
        try:
            async with sessionmaker.begin() as session:
                now = clock.now()
                journal = Journal(session)
                while len(taken) < batch:
                    trade = await job.next_due(session, now, tried.union(taken))
                    if trade is None:
                        break
                    taken.append(trade.id)
                    await job.act(session, trade, now, journal)
                await journal.write()
            if not taken:
                return done
            tried.update(taken)
            done += len(taken)
        except Exception:
            if not taken:
                raise  # finding due trades failed: nothing to skip, the run stops
            if len(taken) > 1:  # one of them failed: each again, on its own
                batch = 1
                continue
            (trade_id,) = taken
            tried.add(trade_id)
            log.exception("could not %s %s", job.name, trade_id, extra={"trade_id": trade_id})
            metrics.job_failed(job.name)


async def run_due(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Every job once."""
    for job in TRADE_JOBS:
        try:
            with logs.context(job=job.name), metrics.job_run(job.name):
                await run(sessionmaker, clock, job)
        except Exception:  # one failing job must not stop the others or the loop
            log.exception("scheduled job %s failed", job.name)
    for chore in CHORES:
        try:
            with logs.context(job=chore.__name__), metrics.job_run(chore.__name__):
                async with sessionmaker.begin() as session:
                    await chore(session, clock.now())
        except Exception:
            log.exception("scheduled job %s failed", chore.__name__)


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, interval: float
) -> None:
    """Catch up at start, then run every ``interval`` seconds until cancelled, and
    sooner when an auction or a listing ends before then (its bids' grace past), so a
    storm of auctions ending at once closes within seconds of its end, not an interval."""
    while True:
        started = clock.now()
        await run_due(sessionmaker, clock)
        await asyncio.sleep(await _until_next(sessionmaker, clock, interval, started))


async def _until_next(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, interval: float, started: datetime
) -> float:
    """Seconds until the next run: ``interval``, or until the next end, its grace past."""
    try:
        async with sessionmaker() as session:
            # Ends since this run started are due now; earlier ones it took (or left).
            end = await trades.next_end(session, started - closing.BID_GRACE)
    except Exception:  # the database went away: the next run will say so
        log.exception("could not find the next end")
        return interval
    if end is None:
        return interval
    due = end + closing.BID_GRACE - clock.now()
    return min(interval, max(due.total_seconds(), 0.0))
