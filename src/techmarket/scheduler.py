"""Periodic jobs that every serving process runs. Each job is idempotent and runs in its
own short transaction, so several processes may run them at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts.repository import forget_old_failures
from techmarket.clock import Clock
from techmarket.listings.repository import expire_demands
from techmarket.trading.agreements import conclude_due
from techmarket.trading.engine import close_due, end_listings, forfeit_due

log = logging.getLogger("techmarket.scheduler")

Job = Callable[[AsyncSession, datetime], Awaitable[Any]]

JOBS: list[Job] = [
    end_listings,
    close_due,
    conclude_due,
    forfeit_due,
    expire_demands,
    forget_old_failures,
]


async def run_due(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    for job in JOBS:
        try:
            async with sessionmaker.begin() as session:
                await job(session, clock.now())
        except Exception:  # one failing job must not stop the others or the loop
            log.exception("scheduled job %s failed", job.__name__)


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, interval: float
) -> None:
    """Catch up at start, then run every ``interval`` seconds until cancelled."""
    while True:
        await run_due(sessionmaker, clock)
        await asyncio.sleep(interval)
