"""Closing storm: a thousand auctions ending within the same second, two real server
processes running the scheduler; how long after the last end every auction is closed,
and, from the ledger, that each closed exactly once.

    .venv/bin/python -m bench.closing [--auctions 1000] [--bidders 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.auctions import many_auctions
from bench.bids import STEP, serving
from bench.common import bench_database
from techmarket.accounts.policy import Principal
from techmarket.clock import FixedClock
from techmarket.db import make_sessionmaker
from techmarket.models.org import Organisation, User
from techmarket.trading import bidding, closing

SETUP_PER_AUCTION = 0.1  # seconds, generously: the auctions must end after they are set up
EXTENSION = 30  # seconds: the shortest; a bid closer to the end than this would extend it


async def bid_in_every_other(engine: AsyncEngine, trades: list[int], bidders: list[int]) -> None:
    """One bid in every other auction (by its first bidder, a user id): those are sold."""
    sessionmaker = make_sessionmaker(engine)
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        for trade_id, user_id in list(zip(trades, bidders, strict=False))[::2]:
            user = await session.get(User, user_id)
            assert user is not None
            org = await session.get(Organisation, user.org_id)
            assert org is not None
            await bidding.place_bid(
                session,
                Principal(user=user, org=org),
                trade_id,
                STEP,
                None,
                None,
                now,
                FixedClock(now),
            )


async def closed(engine: AsyncEngine, trades: list[int]) -> tuple[int, datetime | None]:
    """How many of ``trades`` are closed, and when the last of them was."""
    async with engine.connect() as conn:
        count, last = (
            await conn.execute(
                text(
                    "SELECT count(*), max(closed_at) FROM trades"
                    " WHERE id = ANY(:ids) AND status IN ('sold', 'unsold')"
                ),
                {"ids": trades},
            )
        ).one()
    return int(count), last


async def check_exactly_once(engine: AsyncEngine, trades: list[int]) -> None:
    """Each auction has exactly one trade.closed entry in the ledger, and it says what the
    trade's row says."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT subject, count(*) FROM ledger_entries"
                " WHERE type = 'trade.closed' AND subject = ANY(:subjects) GROUP BY subject"
            ),
            {"subjects": [f"trade/{t}" for t in trades]},
        )
        counts = {subject: n for subject, n in rows}
    wrong = {t: counts.get(f"trade/{t}", 0) for t in trades if counts.get(f"trade/{t}") != 1}
    assert not wrong, f"auctions not closed exactly once (trade: closes): {list(wrong.items())[:5]}"


async def main(auctions: int, bidders: int) -> None:
    async with bench_database("techmarket_bench_closing") as (engine, _):
        url = engine.url.render_as_string(hide_password=False)
        with serving(url, 2) as _bases:
            lead = 10 + EXTENSION + auctions * SETUP_PER_AUCTION
            first_end = datetime.now(UTC) + timedelta(seconds=lead)
            market = await many_auctions(engine, auctions, bidders, first_end, EXTENSION)
            first_bidders = await _first_bidder_users(engine, market.trades)
            await bid_in_every_other(engine, market.trades, first_bidders)
            assert datetime.now(UTC) < first_end - timedelta(seconds=EXTENSION), (
                "set up too late (a bid extended its auction): raise SETUP_PER_AUCTION"
            )
            last_end = first_end  # every auction ends at this instant
            await asyncio.sleep((last_end - datetime.now(UTC)).total_seconds())
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                count, last_close = await closed(engine, market.trades)
                if count == auctions:
                    break
                await asyncio.sleep(0.1)
            assert count == auctions, f"only {count} of {auctions} closed within a minute"
            assert last_close is not None
        took = (last_close - last_end).total_seconds()
        await check_exactly_once(engine, market.trades)
        print(
            f"closing storm: {auctions} auctions ending at one instant, half of them sold, "
            f"2 processes: the last closed {took:.2f} s after the end "
            f"(the bids' grace of {closing.BID_GRACE.total_seconds():.0f} s included; "
            "goal <= 5 s)"
        )
        print(f"checked: each of {auctions} auctions closed exactly once in the ledger")


async def _first_bidder_users(engine: AsyncEngine, trades: list[int]) -> list[int]:
    """Per auction, the user of its first registered bidder."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT DISTINCT ON (r.trade_id) r.trade_id, u.id"
                " FROM trade_registrations r JOIN users u ON u.org_id = r.org_id"
                " WHERE r.trade_id = ANY(:ids) ORDER BY r.trade_id, r.id"
            ),
            {"ids": trades},
        )
        first = {t: u for t, u in rows}
    return [first[t] for t in trades]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--auctions", type=int, default=1000)
    parser.add_argument("--bidders", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.auctions, args.bidders))
