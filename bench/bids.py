"""Bidding benchmark: one hot auction, bidders over websockets against two real server
processes (one service), saturated and at half that load; pgbench running the bid
transaction's SQL on the same database in the same run; and fan-out from a bid's commit
to the last of 5,000 watchers, held by bench.watchers processes.

    .venv/bin/python -m bench.bids [--bidders 100] [--seconds 15] [--watchers 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.listings.fixtures import achievement  # a valid achievement payload
from websockets.asyncio.client import connect

from bench.common import bench_database, percentiles, pgbench
from techmarket.accounts.policy import Principal
from techmarket.accounts.service import hash_token
from techmarket.db import make_sessionmaker
from techmarket.listings import achievements
from techmarket.listings.schemas import AchievementCreate
from techmarket.models.org import AccessToken, Organisation, OrgKind, OrgStatus, User
from techmarket.trading import broadcast, lifecycle
from techmarket.trading.schemas import AuctionCreate
from techmarket.trading.throttle import BIDS

STEP = 100
T0 = time.monotonic_ns()  # bid amounts count microseconds from here
PACE = BIDS.count / BIDS.seconds * 0.9  # bids a second per bidder, under the per-user limit
WATCHER_PROCESSES = 2
SETTLE = 0.5  # seconds between the fan-out's bids


async def setup(engine: AsyncEngine, bidders: int) -> tuple[int, list[str]]:
    """A seller, ``bidders`` registered bidders with bearer tokens, one open auction."""
    now = datetime.now(UTC)
    tokens = []
    async with make_sessionmaker(engine).begin() as session:
        principals = []
        for i in range(bidders + 1):
            org = Organisation(
                name=f"基准企业{i}",
                kind=OrgKind.enterprise,
                region_code="330100",
                credit_code=f"B{i:017d}",
                status=OrgStatus.verified,
                created_at=now,
            )
            session.add(org)
            await session.flush()
            user = User(
                org_id=org.id,
                email=f"b{i}@bench.example.com",
                display_name="b",
                password_hash="!",  # noqa: S106 (no login: bearer tokens only)
                roles=["admin"],
                is_active=True,
                created_at=now,
            )
            session.add(user)
            await session.flush()
            token = f"bench-token-{i}"
            session.add(
                AccessToken(
                    user_id=user.id,
                    token_hash=hash_token(token),
                    created_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
            principals.append(Principal(user=user, org=org))
            tokens.append(token)
        seller, buyers = principals[0], principals[1:]
        listed = await achievements.create(session, seller, AchievementCreate(**achievement()), now)
        await achievements.submit(session, seller, listed.id, now)
        trade, _ = await lifecycle.create(
            session,
            seller,
            AuctionCreate(
                achievement_id=listed.id,
                start_price_fen=STEP,
                increment_fen=STEP,
                deposit_fen=0,
                registration_deadline=now + timedelta(days=1),
                starts_at=now,
                ends_at=now + timedelta(days=1),
            ),
            30,  # signing period, days
            now,
        )
        for buyer in buyers:
            await lifecycle.register(session, buyer, trade.id, now)
    return trade.id, tokens[1:]


def start_server(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    from tests.e2e.servers import free_port

    port = free_port()
    env = {
        **os.environ,
        "TECHMARKET_DATABASE_URL": url,
        "TECHMARKET_DATA_DIR": str(workdir),
        "TECHMARKET_LOG_LEVEL": "WARNING",
        "TECHMARKET_WS_SOCKETS_PER_ADDRESS": "100000",  # every watcher is on this machine
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "techmarket.cli", "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / f"server-{port}.log").open("wb"),  # warnings and errors
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextmanager
def serving(url: str, processes: int) -> Iterator[list[str]]:
    """``processes`` real `techmarket serve` processes on ``url`` (one service): their base
    URLs, the processes stopped afterwards."""
    workdir = Path(tempfile.mkdtemp())
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for _ in range(processes):
            servers.append(start_server(url, workdir))
        yield [base for _, base in servers]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(30)


async def bidding(
    bases: list[str], trade_id: int, tokens: list[str], seconds: float, pace: float
) -> tuple[int, int, list[float]]:
    """Every bidder bids at ``pace`` bids a second over its websocket, the bidders spread
    over the service's processes and their bids spread over each second (all connect
    first; no thundering herd). Amounts rise with time (and differ per bidder), so a bid
    mostly stands unless one sent later got in first, as in a lively auction.
    Returns (accepted, refused, ack latencies in ms)."""
    accepted = refused = 0
    latencies: list[float] = []
    everyone_connected = asyncio.Barrier(len(tokens))

    async def bidder(token: str, seed: int) -> None:
        nonlocal accepted, refused
        base = bases[seed % len(bases)].replace("http://", "ws://")
        url = f"{base}/ws/trades/{trade_id}?token={token}"
        async with connect(url, max_queue=None) as ws:
            await ws.recv()  # the snapshot
            await everyone_connected.wait()
            deadline = time.monotonic() + seconds
            await asyncio.sleep(seed / len(tokens) / pace)
            n = 0
            while time.monotonic() < deadline:
                n += 1
                request = f"{seed}-{n}"
                sent = time.perf_counter()
                micros = (time.monotonic_ns() - T0) // 1000
                amount = STEP * (micros * len(tokens) + seed + 1)
                bid = {"type": "bid", "request_id": request, "amount_fen": amount}
                await ws.send(json.dumps(bid))
                answer = f'"request_id":"{request}"'
                async for raw in ws:  # every bid's broadcast comes too: skip those cheaply
                    if answer in raw:
                        msg = json.loads(raw)
                        break
                latencies.append((time.perf_counter() - sent) * 1000)
                if msg["type"] == "ack":
                    accepted += 1
                else:
                    refused += 1
                await asyncio.sleep(max(0.0, 1 / pace - (time.perf_counter() - sent)))

    await asyncio.gather(*(bidder(t, i) for i, t in enumerate(tokens)))
    return accepted, refused, latencies


# One websocket bid placed on its own (a batch of one), on a random trade of :first…:last:
# the trade locked and read with its bidders and the bidder's earlier request, the bid
# and the trade written, then the ledger head locked last and the entry (its leaf and
# node), the head and the notification written, committed: the order bidding.py uses.
BID_TRANSACTION = """\\set amount random(1, 1000000000)
\\set key random(1, 2000000000)
\\set trade random(:first, :last)
BEGIN;
SELECT * FROM trades WHERE id = :trade FOR UPDATE;
SELECT * FROM bid_requests WHERE trade_id = :trade AND (user_id, key) IN ((1, 'k' || :key));
SELECT * FROM trade_registrations WHERE trade_id = :trade ORDER BY id;
UPDATE trades SET price_fen = :amount, leader_alias = 'ZZZZ', seq = seq + 1 WHERE id = :trade;
SELECT * FROM ledger_head WHERE id = 1 FOR UPDATE;
WITH head AS (SELECT size FROM ledger_head WHERE id = 1),
entry AS (INSERT INTO ledger_entries (idx, ts, type, subject, canonical, leaf_hash)
  SELECT size, now(), 'trade.bid_accepted', 'trade/' || :trade,
         convert_to('{"data":{"amount_fen":' || :amount || '}}', 'UTF8'),
         sha256(convert_to(:amount::text, 'UTF8')) FROM head),
nodes AS (INSERT INTO ledger_nodes (level, idx, hash)
  SELECT * FROM unnest(ARRAY[0]::smallint[], ARRAY[(SELECT size FROM head)]::bigint[],
                       ARRAY[sha256(convert_to(:amount::text, 'UTF8'))]::bytea[]))
UPDATE ledger_head SET size = size + 1, last_leaf_hash = sha256(convert_to(:amount::text, 'UTF8')),
  frontier = ARRAY[sha256(convert_to(:amount::text, 'UTF8'))] WHERE id = 1;
INSERT INTO bids (trade_id, registration_id, alias, amount_fen, kind, seq, ledger_index, at)
  SELECT :trade, id, alias, :amount, 'bid', (SELECT seq FROM trades WHERE id = :trade),
         (SELECT size - 1 FROM ledger_head), now()
  FROM trade_registrations WHERE trade_id = :trade LIMIT 1;
INSERT INTO bid_requests (trade_id, user_id, key, org_id, outcome, at)
  SELECT :trade, u.id, 'k' || :key, r.org_id, '{"accepted":[]}', now()
  FROM trade_registrations r JOIN users u ON u.org_id = r.org_id
  WHERE r.trade_id = :trade LIMIT 1
  ON CONFLICT DO NOTHING;
SELECT pg_notify('trade_events', '[{"trade_id":0,"messages":[]}]');
END;
"""


async def fan_out(
    url: str,
    bases: list[str],
    trade_id: int,
    token: str,
    watchers: int,
    bids: int,
    processes: int,
    watched: list[str] | None = None,
) -> list[float]:
    """Per bid: from its commit to the last of ``watchers`` hearing of it, the watchers
    spread over ``watched`` (bench.fanout's floor), or else over ``bases``. The commit is
    timed by this process's own LISTEN on the service's channel (PostgreSQL notifies at
    commit); the watchers run in ``processes`` processes of their own (bench.watchers),
    all on this machine's wall clock."""
    committed_at: dict[int, float] = {}

    def commit_seen(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        for group in json.loads(payload):
            for msg in group["messages"]:
                committed_at.setdefault(msg["seq"], time.time())

    listener = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    await listener.add_listener(broadcast.CHANNEL, commit_seen)
    urls = [b.replace("http://", "ws://") + f"/ws/trades/{trade_id}" for b in watched or bases]
    shares = [watchers // processes + (i < watchers % processes) for i in range(processes)]
    clients = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.watchers", "watch", *urls, "--count", str(share),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for share in shares
    ]  # fmt: skip
    for client in clients:
        assert client.stdout is not None
        assert (await client.stdout.readline()).strip() == b"ready"
    placed = []
    async with httpx.AsyncClient(timeout=30) as http:
        trade = (await http.get(f"{bases[0]}/api/v1/trades/{trade_id}")).json()
        amount = (trade["current_price_fen"] or 0) + STEP
        for _ in range(bids):
            response = await http.post(
                f"{bases[0]}/api/v1/trades/{trade_id}/bids",
                json={"amount_fen": amount},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            placed.append(response.json()["seq"])
            amount += STEP
            await asyncio.sleep(SETTLE)  # each bid's fan-out on its own
    await asyncio.sleep(2)  # the last bid's messages arrive
    await listener.close()
    heard: dict[int, list[tuple[int, float]]] = {}
    for client in clients:
        out, _ = await client.communicate(b"stop\n")
        for seq, (count, at) in json.loads(out).items():
            heard.setdefault(int(seq), []).append((count, at))
    delays = []
    for seq in placed:
        assert sum(n for n, _ in heard[seq]) == watchers, f"bid {seq} missed some watchers"
        delays.append((max(t for _, t in heard[seq]) - committed_at[seq]) * 1000)
    return delays


async def main(bidders: int, seconds: int, watchers: int) -> None:
    async with bench_database("techmarket_bench_bids") as (engine, embedded):
        assert embedded is not None, "pgbench needs the embedded server's binaries"
        url = engine.url.render_as_string(hide_password=False)
        trade_id, tokens = await setup(engine, bidders)
        with serving(url, 2) as bases:
            accepted, refused, latencies = await bidding(bases, trade_id, tokens, seconds, PACE)
            rate = accepted / seconds
            print(
                f"saturated: {bidders} bidders on 2 processes, {rate:.0f} accepted bids/s "
                f"({(accepted + refused) / seconds:.0f} bids/s handled, {refused} refused)"
            )
            print(f"  ack latency {percentiles(latencies)}")
            half_pace = max(0.2, (accepted + refused) / seconds / 2 / bidders)
            accepted2, refused2, latencies2 = await bidding(
                bases, trade_id, tokens, seconds, half_pace
            )
            print(
                f"half load: {(accepted2 + refused2) / seconds:.0f} bids/s offered, "
                f"ack latency {percentiles(latencies2)}  (goal p99 <= 20 ms)"
            )
            delays = await fan_out(
                url, bases, trade_id, tokens[0], watchers, 100, WATCHER_PROCESSES
            )
            print(
                f"fan-out to {watchers} watchers ({WATCHER_PROCESSES} client processes) on "
                f"2 server processes, commit to last receipt: "
                f"{percentiles(delays)}  (goal p99 <= 150 ms)"
            )
            # Last: pgbench writes rows of its own into the trade and the ledger.
            tps = pgbench(
                url,
                embedded.bin_dir,
                BID_TRANSACTION,
                bidders,
                seconds,
                first=trade_id,
                last=trade_id,
            )
            handled = (accepted + refused) / seconds
            print(f"pgbench, the bid transaction's SQL, {bidders} clients: {tps:.0f} tps")
            print(f"ratio  accepted bids/s / pgbench tps: {rate / tps:.2f}  (goal >= 0.7)")
            print(f"ratio  handled bids/s / pgbench tps: {handled / tps:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bidders", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--watchers", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(main(args.bidders, args.seconds, args.watchers))
