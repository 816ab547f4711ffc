"""A thousand auctions at once: bidders over websockets, spread over many open auctions
and over two real server processes (one service), saturated and at half that load;
pgbench running one bid's transaction (with its ledger append) spread over the same
auctions in the same run. Checks that every acknowledged bid is in the ledger exactly once.

    .venv/bin/python -m bench.auctions [--auctions 1000] [--bidders 2000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.listings.fixtures import achievement  # a valid achievement payload
from websockets.asyncio.client import connect

from bench.bids import BID_TRANSACTION, PACE, STEP, T0, serving
from bench.common import bench_database, percentiles, pgbench
from techmarket.accounts.policy import Principal
from techmarket.accounts.service import hash_token
from techmarket.db import make_sessionmaker
from techmarket.listings import achievements
from techmarket.listings.schemas import AchievementCreate
from techmarket.models.org import AccessToken, Organisation, OrgKind, OrgStatus, User
from techmarket.trading import lifecycle
from techmarket.trading.schemas import AuctionCreate

PER_TRANSACTION = 50  # auctions set up in one transaction


@dataclass
class Market:
    """The auctions (trade ids) and, per bidder, its token and the auction it bids in."""

    trades: list[int] = field(default_factory=list)
    bidders: list[tuple[str, int]] = field(default_factory=list)


async def many_auctions(
    engine: AsyncEngine,
    auctions: int,
    bidders: int,
    ends_at: datetime,
    extension_seconds: int = 300,
) -> Market:
    """A seller, ``bidders`` verified bidders with bearer tokens, and ``auctions`` open
    auctions ending at ``ends_at``; bidder i registered in auction i mod ``auctions``."""
    now = datetime.now(UTC)
    sessionmaker = make_sessionmaker(engine)
    market = Market()
    async with sessionmaker.begin() as session:
        orgs = [
            Organisation(
                name=f"基准企业{i}",
                kind=OrgKind.enterprise,
                region_code="330100",
                credit_code=f"A{i:017d}",
                status=OrgStatus.verified,
                created_at=now,
            )
            for i in range(bidders + 1)
        ]
        session.add_all(orgs)
        await session.flush()
        users = [
            User(
                org_id=org.id,
                email=f"a{i}@bench.example.com",
                display_name="a",
                password_hash="!",  # noqa: S106 (no login: bearer tokens only)
                roles=["admin"],
                is_active=True,
                created_at=now,
            )
            for i, org in enumerate(orgs)
        ]
        session.add_all(users)
        await session.flush()
        tokens = [f"bench-auctions-{i}" for i in range(bidders + 1)]
        session.add_all(
            AccessToken(
                user_id=user.id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
            for user, token in zip(users, tokens, strict=True)
        )
    principals = [
        (Principal(user=user, org=org), token)
        for user, org, token in zip(users, orgs, tokens, strict=True)
    ]
    (seller, _), buyers = principals[0], principals[1:]
    for first in range(0, auctions, PER_TRANSACTION):
        async with sessionmaker.begin() as session:
            for a in range(first, min(auctions, first + PER_TRANSACTION)):
                body = AchievementCreate(**achievement(title=f"基准拍卖成果第{a}号"))
                listed = await achievements.create(session, seller, body, now)
                await achievements.submit(session, seller, listed.id, now)
                terms = AuctionCreate(
                    achievement_id=listed.id,
                    start_price_fen=STEP,
                    increment_fen=STEP,
                    deposit_fen=0,
                    extension_seconds=extension_seconds,
                    registration_deadline=ends_at,
                    starts_at=now,
                    ends_at=ends_at,
                )
                trade, _ = await lifecycle.create(session, seller, terms, 30, now)
                market.trades.append(trade.id)
                for buyer, token in buyers[a::auctions]:
                    await lifecycle.register(session, buyer, trade.id, now)
                    market.bidders.append((token, trade.id))
    return market


@dataclass
class Bidding:
    accepted: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)
    acks: list[tuple[int, int, int]] = field(default_factory=list)  # trade, seq, ledger index


async def bidding(bases: list[str], market: Market, seconds: float, pace: float) -> Bidding:
    """Every bidder bids at ``pace`` bids a second in its auction over its websocket, the
    bidders spread over the service's processes and their bids over each second (all
    connect first). Amounts rise with time and differ per bidder."""
    out = Bidding()
    everyone = len(market.bidders)
    everyone_connected = asyncio.Barrier(everyone)

    async def bidder(token: str, trade_id: int, seed: int) -> None:
        base = bases[seed % len(bases)].replace("http://", "ws://")
        async with connect(f"{base}/ws/trades/{trade_id}?token={token}", max_queue=None) as ws:
            await ws.recv()  # the snapshot
            await everyone_connected.wait()
            deadline = time.monotonic() + seconds
            await asyncio.sleep(seed / everyone / pace)
            n = 0
            while time.monotonic() < deadline:
                n += 1
                request = f"{seed}-{n}"
                sent = time.perf_counter()
                micros = (time.monotonic_ns() - T0) // 1000
                amount = STEP * (micros * everyone + seed + 1)
                await ws.send(
                    json.dumps({"type": "bid", "request_id": request, "amount_fen": amount})
                )
                answer = f'"request_id":"{request}"'
                async for raw in ws:  # the auction's broadcasts come too: skip them cheaply
                    if answer in raw:
                        msg = json.loads(raw)
                        break
                out.latencies.append((time.perf_counter() - sent) * 1000)
                if msg["type"] == "ack":
                    out.accepted += 1
                    out.acks.append((trade_id, msg["seq"], msg["ledger_index"]))
                else:
                    out.refused += 1
                await asyncio.sleep(max(0.0, 1 / pace - (time.perf_counter() - sent)))

    await asyncio.gather(*(bidder(t, a, i) for i, (t, a) in enumerate(market.bidders)))
    return out


async def check_exactly_once(engine: AsyncEngine, acks: list[tuple[int, int, int]]) -> None:
    """Every acknowledged bid is one ledger entry of its trade, at the index its ack gave,
    and no trade's bid is in the ledger twice; the ledger has no gap."""
    async with engine.connect() as conn:
        size, count, top = (
            await conn.execute(
                text(
                    "SELECT h.size, count(e.idx), max(e.idx)"
                    " FROM ledger_head h, ledger_entries e GROUP BY h.size"
                )
            )
        ).one()
        assert count == size and top == size - 1, f"ledger of {size} has {count} entries"
        rows = await conn.execute(
            text(
                "SELECT idx, subject,"
                " (convert_from(canonical, 'UTF8')::jsonb #>> '{data,seq}')::bigint"
                " FROM ledger_entries WHERE type = 'trade.bid_accepted'"
            )
        )
        where: dict[tuple[str, int], list[int]] = {}
        for idx, subject, seq in rows:
            where.setdefault((subject, seq), []).append(idx)
    twice = {k: v for k, v in where.items() if len(v) > 1}
    assert not twice, f"bids in the ledger more than once: {list(twice.items())[:5]}"
    for trade_id, seq, index in acks:
        found = where.get((f"trade/{trade_id}", seq))
        assert found == [index], f"acked bid {trade_id}/{seq} at {index}, ledger has {found}"


async def main(auctions: int, bidders: int, seconds: int, clients: int) -> None:
    async with bench_database("techmarket_bench_auctions") as (engine, embedded):
        assert embedded is not None, "pgbench needs the embedded server's binaries"
        url = engine.url.render_as_string(hide_password=False)
        started = time.perf_counter()
        market = await many_auctions(
            engine, auctions, bidders, datetime.now(UTC) + timedelta(days=1)
        )
        print(
            f"set up {auctions} auctions, {bidders} bidders "
            f"in {time.perf_counter() - started:.0f} s"
        )
        with serving(url, 2) as bases:
            full = await bidding(bases, market, seconds, PACE)
            rate = full.accepted / seconds
            handled = (full.accepted + full.refused) / seconds
            print(
                f"saturated: {bidders} bidders in {auctions} auctions on 2 processes, "
                f"{rate:.0f} accepted bids/s ({handled:.0f} handled, {full.refused} refused)"
            )
            print(f"  ack latency {percentiles(full.latencies)}")
            half_pace = handled / 2 / bidders
            half = await bidding(bases, market, seconds, half_pace)
            print(
                f"half load: {(half.accepted + half.refused) / seconds:.0f} bids/s offered, "
                f"ack latency {percentiles(half.latencies)}  (goal p99 <= 50 ms)"
            )
        await check_exactly_once(engine, full.acks + half.acks)
        print(
            f"checked: each of {len(full.acks) + len(half.acks)} acked bids "
            "in the ledger exactly once"
        )
        # Last: pgbench writes rows of its own into the trades and the ledger.
        tps = pgbench(
            url,
            embedded.bin_dir,
            BID_TRANSACTION,
            clients,
            seconds,
            first=min(market.trades),
            last=max(market.trades),
        )
        print(
            f"pgbench, one bid's transaction over {auctions} auctions, "
            f"{clients} clients: {tps:.0f} tps"
        )
        print(f"ratio  accepted bids/s / pgbench tps: {rate / tps:.2f}  (goal >= 2)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--auctions", type=int, default=1000)
    parser.add_argument("--bidders", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--pgbench-clients", type=int, default=64)
    args = parser.parse_args()
    asyncio.run(main(args.auctions, args.bidders, args.seconds, args.pgbench_clients))
