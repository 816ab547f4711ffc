"""The bidding desk of one process: bids arriving for a trade queue in arrival order and
are placed in batches (group commit), several trades to one transaction, a few
transactions at once. A trade is in one running transaction at a time, its bids in
arrival order; a transaction locks its trades' rows once, whatever the number of bids,
and takes the ledger's head lock only at its end, so a thousand auctions are not limited
to one commit per bid; every bid is still acknowledged only after its own rows and
ledger entries have committed.

Across processes the row locks keep bids on one trade one batch at a time. A batch does
not wait for a trade another process's transaction holds: it leaves it out, and the
trade's bids, first in line again, go into a transaction of such trades only, which waits
for their locks (taken in id order, so two such transactions never wait on each other in
a cycle, and one waits only for those trades). So one contended trade does not hold up
the bids of a hundred others. HTTP bids are placed in their request's own transaction,
through the same bidding."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import logs, metrics
from techmarket.clock import Clock
from techmarket.db import unit_of_work
from techmarket.errors import DomainError
from techmarket.trading import bidding

MAX_BATCH = 200  # bids in one transaction
MAX_WAITING = 1000  # bids waiting on one trade; beyond, a bid is refused rate_limited
TRANSACTIONS = 2  # running at once: the next batches are judged while one commits

log = logging.getLogger("techmarket.desk")


class Closed(Exception):
    """The process stops: the bid was not taken (its bidder sends it to another)."""


class BidsNotPlaced(Exception):
    """The transaction of the bid's batch failed (logged once): nothing of it was placed."""


_Waiting = tuple[bidding.BidOrder, asyncio.Future[dict[str, Any]]]


class Desk:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker, self.clock = sessionmaker, clock
        self._waiting: dict[int, list[_Waiting]] = {}  # by trade, oldest trade first
        self._busy: set[int] = set()  # trades in a running transaction
        self._contended: set[int] = set()  # trades left out of a batch: their own next
        self._running: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        metrics.watch_desk(self)

    async def place(self, trade_id: int, order: bidding.BidOrder) -> dict[str, Any]:
        """The bid's outcome once committed; raises BidRefused (or what the batch raised).
        It is judged at its receipt time (now, unless the door gave it), not its batch's."""
        if self._closed:
            raise Closed()
        if order.received_at is None:
            order = dataclasses.replace(order, received_at=self.clock.now())
        waiting = self._waiting.setdefault(trade_id, [])
        if len(waiting) >= MAX_WAITING:
            raise bidding.BidRefused("rate_limited", "too many bids waiting: retry shortly")
        placed: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        waiting.append((order, placed))
        self._idle.clear()
        self._start()
        outcome = await placed  # a bidder who goes away cancels it: the bid is not placed
        metrics.bid_acked(order.received_at, self.clock.now())
        return outcome

    def waiting(self) -> int:
        """Bids waiting for a batch, on every trade."""
        return sum(len(waiting) for waiting in self._waiting.values())

    async def drain(self) -> None:
        """Take no more bids, and place those waiting: returns once each is answered."""
        self._closed = True
        await self._idle.wait()

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for waiting in self._waiting.values():
            for _, placed in waiting:
                placed.cancel()
        self._waiting.clear()

    def _start(self) -> None:
        """Start transactions while fewer than TRANSACTIONS run and bids wait on trades
        not in one already."""
        while len(self._running) < TRANSACTIONS:
            batch, wait = self._next_batch()
            if not batch:
                break
            self._busy.update(batch)
            # It works for every bidder of the batch: no one's logging context.
            task = asyncio.create_task(self._place(batch, wait), context=logs.task_context())
            self._running.add(task)
            task.add_done_callback(functools.partial(self._finished, trades=list(batch)))
        if not self._running:
            self._idle.set()

    def _next_batch(self) -> tuple[dict[int, list[_Waiting]], bool]:
        """Up to MAX_BATCH waiting bids, oldest trades first, of trades not in a batch:
        of contended trades (to wait for their locks) while there are some, else of the
        others (not to wait)."""
        self._contended &= self._waiting.keys()
        contended = self._contended - self._busy
        self._contended -= contended
        batch: dict[int, list[_Waiting]] = {}
        room = MAX_BATCH
        for trade_id, waiting in list(self._waiting.items()):
            if trade_id in self._busy or (contended and trade_id not in contended):
                continue
            taken = [w for w in waiting[:room] if not w[1].done()]
            del waiting[:room]
            if not waiting:
                del self._waiting[trade_id]
            if taken:
                batch[trade_id] = taken
                room -= len(taken)
            if not room:
                break
        self._contended |= contended - batch.keys()  # beyond MAX_BATCH: the next batch
        return batch, bool(contended)

    def _finished(self, task: asyncio.Task[None], trades: list[int]) -> None:
        self._running.discard(task)
        self._busy.difference_update(trades)
        self._start()

    async def _place(self, batch: dict[int, list[_Waiting]], wait: bool) -> None:
        """One transaction for the batch; if it fails, each trade's bids again in one of
        their own, so one trade's failure is only its bidders' to hear."""
        try:
            if (len(batch) > 1 or not wait) and await self._try(batch, wait=wait):
                return
            for trade_id, waiting in batch.items():
                with logs.context(trade_id=trade_id):
                    await self._try({trade_id: waiting}, alone=True)
        except asyncio.CancelledError:  # the process stops mid-batch
            for waiting in batch.values():
                for _, placed in waiting:
                    placed.cancel()
            raise

    async def _try(
        self, batch: dict[int, list[_Waiting]], *, wait: bool = True, alone: bool = False
    ) -> bool:
        """Place the batch in one transaction and answer its bidders; False if it failed
        (answered with the failure only when ``alone``). Without ``wait``, the trades
        another transaction holds are put back, first in line, as contended."""
        metrics.DESK_BATCH.observe(sum(len(w) for w in batch.values()))
        try:
            async with unit_of_work(self.sessionmaker) as session:
                orders = {t: [order for order, _ in waiting] for t, waiting in batch.items()}
                outcomes = await bidding.place_batches(
                    session, orders, self.clock, skip_locked=not wait
                )
        except Exception as exc:  # every bidder of the batch hears of it, each on its own
            if not alone:
                return False
            if not isinstance(exc, DomainError):
                log.exception("placing %d bids failed", len(next(iter(batch.values()))))
            for _, placed in next(iter(batch.values())):
                if not placed.done():
                    own = copy.copy(exc) if isinstance(exc, DomainError) else BidsNotPlaced()
                    placed.set_exception(own)
            return True
        for trade_id, waiting in batch.items():
            if trade_id not in outcomes:
                self._waiting[trade_id] = waiting + self._waiting.get(trade_id, [])
                self._contended.add(trade_id)
                continue
            for (_, placed), outcome in zip(waiting, outcomes[trade_id], strict=True):
                if placed.done():
                    continue
                if isinstance(outcome, bidding.BidRefused):
                    placed.set_exception(outcome)
                else:
                    placed.set_result(outcome)
        return True
