"""The feed: every serving process reads the ledger in order and tells each entry to
whom it concerns. The ledger is the outbox: each state change's entry is written in the
transaction that made the change, so nothing told is ever rolled back and nothing done
goes untold, across restarts. One process at a time holds the feed's row; the
notifications and the feed's new position commit together, so each entry is told once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import metrics
from techmarket.clock import Clock
from techmarket.ledger import repository as ledger
from techmarket.ledger.canonical import decode_entry
from techmarket.notify import agreements, approvals, inbox, mandates, poc, trades
from techmarket.notify import repository as repo
from techmarket.notify.inbox import Draft
from techmarket.subscriptions import push

log = logging.getLogger("techmarket.notify")

BATCH = 200  # entries told in one transaction
POLL_INTERVAL = 0.25  # seconds between looks at the ledger when there was nothing new

# Who is told of an entry: given the entry's index and body, the drafts to deliver.
Teller = Callable[[AsyncSession, int, dict[str, Any]], Awaitable[Sequence[Draft]]]

TELLERS: Mapping[str, Teller] = {
    "trade.extended": trades.extended,
    "trade.closed": trades.closed,
    "trade.registered": trades.registered,
    "trade.deposit": trades.deposit,
    "trade.offer": agreements.offer,
    "trade.notice_opened": agreements.notice_opened,
    "trade.objection_raised": agreements.objection_raised,
    "trade.objection_resolved": agreements.objection_resolved,
    "trade.submitted": approvals.trade_submitted,
    "achievement.submitted": approvals.achievement_submitted,
    "org.registered": approvals.org_registered,
    "mandate.offered": mandates.offered,
    "mandate.accepted": mandates.accepted,
    "mandate.revoked": mandates.revoked,
    "poc.applied": poc.applied,
    "poc.screened": poc.screened,
    "poc.planned": poc.planned,
    "poc.milestone_judged": poc.judged,
    "poc.closed": poc.closed,
    "achievement.published": push.achievement_published,
    "demand.published": push.demand_published,
    "trade.opened": push.trade_opened,
}

# Who is told of many entries of a kind at once (the kinds that come by the thousand).
Batched = Callable[[AsyncSession, Sequence[tuple[int, dict[str, Any]]]], Awaitable[list[Draft]]]

BATCHED: Mapping[str, Batched] = {"trade.bid_accepted": trades.outbid}

# Tellers that count what the inbox holds already (the day's push cap): the drafts before
# them are delivered first.
COUNTING = frozenset({"achievement.published", "demand.published", "trade.opened"})


async def step(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Tell the next entries not yet told; returns how many (0 if none, or if another
    process is telling them now)."""
    async with sessionmaker.begin() as session:
        position = await repo.take_feed(session)
        if position is None:
            return 0
        entries = await ledger.entries(session, position, BATCH)
        drafts: list[Draft] = []  # delivered together: four statements for many entries
        batched: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for entry in entries:
            if entry.type in BATCHED:
                data = decode_entry(entry.canonical)["data"]
                batched.setdefault(entry.type, []).append((entry.idx, data))
            elif (teller := TELLERS.get(entry.type)) is not None:
                if entry.type in COUNTING and drafts:
                    await inbox.deliver(session, drafts, clock.now())
                    drafts = []
                drafts += await teller(session, entry.idx, decode_entry(entry.canonical)["data"])
        for kind, told in batched.items():
            drafts += await BATCHED[kind](session, told)
        drafts.sort(key=lambda d: d.ledger_index or 0)  # each inbox in ledger order
        await inbox.deliver(session, drafts, clock.now())
        if entries:
            await repo.move_feed(session, entries[-1].idx + 1)
        return len(entries)


async def catch_up(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Tell everything not yet told (the demo, once loaded, has its first notifications)."""
    while await step(sessionmaker, clock):
        pass


async def run_forever(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Tell entries as they come until cancelled: at once while there are more, else
    every POLL_INTERVAL. A failing step is logged and retried; nothing is skipped."""
    while True:
        try:
            with metrics.job_run("notify"):
                told = await step(sessionmaker, clock)
        except Exception:
            log.exception("telling the ledger failed")
            told = 0
        if told < BATCH:
            await asyncio.sleep(POLL_INTERVAL)
