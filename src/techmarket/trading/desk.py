"""The bidding desk of one process: bids arriving for a trade queue in arrival order and
are placed in batches, one transaction each (group commit). A batch holds the trade's row
lock once, whatever its size, so a hot auction is not limited to one commit per bid; every
bid is still acknowledged only after its own rows and ledger entries have committed.

Across processes the row lock keeps bids on one trade one batch at a time. HTTP bids are
placed in their request's own transaction, through the same bidding."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import logs, metrics
from techmarket.clock import Clock
from techmarket.db import unit_of_work
from techmarket.errors import DomainError
from techmarket.trading import bidding

MAX_BATCH = 200  # bids in one transaction
MAX_WAITING = 1000  # bids waiting on one trade; beyond, a bid is refused rate_limited

log = logging.getLogger("techmarket.desk")


class Closed(Exception):
    """The process stops: the bid was not taken (its bidder sends it to another)."""


class BidsNotPlaced(Exception):
    """The transaction of the bid's batch failed (logged once): nothing of it was placed."""


_Waiting = tuple[bidding.BidOrder, asyncio.Future[dict[str, Any]]]


class Desk:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker, self.clock = sessionmaker, clock
        self._waiting: dict[int, list[_Waiting]] = defaultdict(list)
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._closed = False
        metrics.watch_desk(self)

    async def place(self, trade_id: int, order: bidding.BidOrder) -> dict[str, Any]:
        """The bid's outcome once committed; raises BidRefused (or what the batch raised).
        It is judged at its receipt time (now, unless the door gave it), not its batch's."""
        if self._closed:
            raise Closed()
        if order.received_at is None:
            order = dataclasses.replace(order, received_at=self.clock.now())
        if len(self._waiting[trade_id]) >= MAX_WAITING:
            raise bidding.BidRefused("rate_limited", "too many bids waiting: retry shortly")
        placed: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[trade_id].append((order, placed))
        if trade_id not in self._workers:  # it works for every bidder: its logs are the trade's
            worker = self._work(trade_id)
            context = logs.task_context(trade_id=trade_id)
            self._workers[trade_id] = asyncio.create_task(worker, context=context)
        outcome = await placed  # a bidder who goes away cancels it: the bid is not placed
        metrics.bid_acked(order.received_at, self.clock.now())
        return outcome

    def waiting(self) -> int:
        """Bids waiting for a batch, on every trade."""
        return sum(len(waiting) for waiting in self._waiting.values())

    async def drain(self) -> None:
        """Take no more bids, and place those waiting: returns once each is answered."""
        self._closed = True
        if self._workers:
            await asyncio.wait(list(self._workers.values()))

    async def stop(self) -> None:
        for worker in list(self._workers.values()):
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _work(self, trade_id: int) -> None:
        """Place the trade's waiting bids, a batch at a time, until none wait."""
        waiting = self._waiting[trade_id]
        batch: list[_Waiting] = []
        try:
            while waiting:
                batch = [w for w in waiting[:MAX_BATCH] if not w[1].done()]
                del waiting[:MAX_BATCH]
                if batch:
                    await self._place(trade_id, batch)
        finally:
            for _, placed in batch + waiting:  # only when stopped mid-batch
                placed.cancel()
            del self._workers[trade_id], self._waiting[trade_id]

    async def _place(self, trade_id: int, batch: list[_Waiting]) -> None:
        metrics.DESK_BATCH.observe(len(batch))
        try:
            async with unit_of_work(self.sessionmaker) as session:
                orders = [order for order, _ in batch]
                outcomes = await bidding.place_bids(session, trade_id, orders, self.clock)
        except Exception as exc:  # every bidder of the batch hears of it, each on its own
            if not isinstance(exc, DomainError):
                log.exception("placing %d bids on trade %s failed", len(batch), trade_id)
            for _, placed in batch:
                if not placed.done():
                    own = copy.copy(exc) if isinstance(exc, DomainError) else BidsNotPlaced()
                    placed.set_exception(own)
            return
        for (_, placed), outcome in zip(batch, outcomes, strict=True):
            if placed.done():
                continue
            if isinstance(outcome, bidding.BidRefused):
                placed.set_exception(outcome)
            else:
                placed.set_result(outcome)
