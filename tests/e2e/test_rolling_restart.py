"""A rolling restart during bidding loses nothing: two processes on one database, clients
bidding and watching over websockets; SIGTERM one, start it again, SIGTERM the other.
Every bid a client sent is answered exactly once, every acknowledged bid is on the ledger
once, every watcher sees every event once and in order, and each stopped process exits 0
within its grace period."""

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from techmarket.demo import DEMAND_POSTERS
from tests.e2e.servers import Server
from tests.e2e.test_live_auction import demo_auction, receive, token

GRACE = 10  # TECHMARKET_SHUTDOWN_GRACE_SECONDS of every process here
ACKS_PER_PHASE = 12  # acknowledged bids between one step of the restart and the next
EVENTS = ("bid", "extended")  # what watchers get of this auction


@dataclass
class Directory:
    """What a load balancer knows: the processes taking connections."""

    urls: list[str]

    def pick(self, avoid: str | None) -> str:
        others = [u for u in self.urls if u != avoid]
        return (others or self.urls)[0]


@dataclass
class Progress:
    acks: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def acked(self) -> None:
        self.acks += 1
        self.changed.set()

    async def reach(self, acks: int) -> None:
        async with asyncio.timeout(60):
            while self.acks < acks:
                self.changed.clear()
                await self.changed.wait()


@dataclass
class Bidder:
    """Bids continuously, each with its own request_id; on a close, reconnects to another
    process and sends the unanswered bids again with the same request_id and amount."""

    name: str
    bearer: str
    sent: dict[str, int] = field(default_factory=dict)  # request_id: amount
    unanswered: dict[str, int] = field(default_factory=dict)
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    closes: list[int] = field(default_factory=list)
    resent: int = 0


@dataclass
class Watched:
    """What a watcher saw: each connection's snapshot seq and the event seqs it got."""

    connections: list[tuple[int, list[tuple[int, int]]]] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    highest: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def seen(self) -> list[tuple[int, int]]:
        """Every (seq, ledger index) received, over all connections."""
        return [event for _, events in self.connections for event in events]


async def _connect(
    directory: Directory, path: str, prefer: str | None, avoid: str | None
) -> tuple[ClientConnection, str]:
    """A socket to ``prefer``, or else to a process other than ``avoid``, retrying while
    none takes it; and the process's URL."""
    async with asyncio.timeout(60):
        while True:
            url = prefer if prefer in directory.urls else directory.pick(avoid)
            prefer = None
            try:
                return await connect(url.replace("http://", "ws://") + path), url
            except OSError:  # it stopped listening: the next one
                avoid = url
                await asyncio.sleep(0.1)


async def bid_continuously(
    bidder: Bidder,
    directory: Directory,
    first: str,
    trade_id: int,
    step: int,
    progress: Progress,
    stop: asyncio.Event,
) -> None:
    prefer: str | None = first
    avoid: str | None = None
    number = 0
    while True:
        path = f"/ws/trades/{trade_id}?token={bidder.bearer}"
        ws, url = await _connect(directory, path, prefer, avoid)
        prefer = None
        try:
            snapshot = await receive(ws, lambda m: m["type"] == "snapshot")
            price = snapshot["current_price_fen"] or snapshot["trade"]["terms"]["start_price_fen"]
            for request_id, amount in bidder.unanswered.items():
                bidder.resent += 1
                await ws.send(_bid(request_id, amount))
            while True:
                if len(bidder.unanswered) < 2 and not stop.is_set():
                    number += 1
                    request_id = f"{bidder.name}-{number}"
                    amount = max(price, *bidder.sent.values(), 0) + step
                    bidder.sent[request_id] = bidder.unanswered[request_id] = amount
                    await ws.send(_bid(request_id, amount))
                    await asyncio.sleep(0.15)  # under the per-user bid limit
                elif stop.is_set() and not bidder.unanswered:
                    await ws.close()
                    return
                try:
                    async with asyncio.timeout(0.05):
                        msg = json.loads(await ws.recv())
                except TimeoutError:
                    continue
                if msg["type"] == "bid":
                    price = max(price, msg["amount_fen"])
                elif msg["type"] in ("ack", "error") and msg.get("request_id") in bidder.sent:
                    bidder.answers[msg["request_id"]].append(msg)
                    bidder.unanswered.pop(msg["request_id"], None)
                    if msg["type"] == "ack":
                        progress.acked()
        except ConnectionClosed:
            assert ws.close_code is not None
            bidder.closes.append(ws.close_code)
            avoid = url


def _bid(request_id: str, amount: int) -> str:
    return json.dumps({"type": "bid", "request_id": request_id, "amount_fen": amount})


async def watch(watched: Watched, directory: Directory, first: str, trade_id: int) -> None:
    """Watch; on a close, reconnect to another process and resume from the last seq."""
    prefer: str | None = first
    avoid: str | None = None
    last: int | None = None
    while True:
        ws, url = await _connect(directory, f"/ws/trades/{trade_id}", prefer, avoid)
        prefer = None
        try:
            snapshot = await receive(ws, lambda m: m["type"] == "snapshot")
            events: list[tuple[int, int]] = []
            watched.connections.append((snapshot["seq"], events))
            if last is None:
                last = watched.highest = snapshot["seq"]
            elif last < snapshot["seq"]:
                await ws.send(json.dumps({"type": "resume", "after_seq": last}))
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] in EVENTS:
                    events.append((msg["seq"], msg["ledger_index"]))
                    last = watched.highest = max(watched.highest, msg["seq"])
                    watched.changed.set()
        except ConnectionClosed:
            assert ws.close_code is not None
            watched.closes.append(ws.close_code)
            avoid = url


async def _reach(watched: Watched, seq: int) -> None:
    async with asyncio.timeout(30):
        while watched.highest < seq:
            watched.changed.clear()
            await watched.changed.wait()


async def _terminate(server: Server, directory: Directory) -> float:
    """SIGTERM, as a service manager does after taking it out of the load balancer;
    the seconds it took to exit (0)."""
    directory.urls.remove(server.url)
    started = time.monotonic()
    server.process.terminate()
    code = await asyncio.to_thread(server.process.wait, GRACE + 30)
    took = time.monotonic() - started
    log = server.log.read_text()
    assert code == 0, log[-3000:]
    assert "drained:" in log and "not drained" not in log, log[-3000:]
    return took


async def test_a_rolling_restart_during_bidding_loses_no_ack_and_no_event(tmp_path: Path) -> None:
    env = {"TECHMARKET_SHUTDOWN_GRACE_SECONDS": str(GRACE)}
    a = Server(tmp_path, "--demo", env=env)
    await asyncio.to_thread(a.wait_ready)
    b = Server(tmp_path, env=env)
    await asyncio.to_thread(b.wait_ready)
    servers = [a, b]
    directory = Directory([a.url, b.url])
    stop = asyncio.Event()
    progress = Progress()
    tasks: list[asyncio.Task[None]] = []
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            trade = await demo_auction(http, a.url)
            assert trade["current_price_fen"] is None  # no bids yet
            step = trade["terms"]["increment_fen"]
            bidders = [
                Bidder(email.split("@")[1].split(".")[0], await token(http, a.url, email))
                for email in DEMAND_POSTERS[:3]  # the demo auction's registered bidders
            ]
            watchers = [Watched(), Watched()]
            for i, bidder in enumerate(bidders):  # spread over both processes
                bidding = bid_continuously(
                    bidder, directory, servers[i % 2].url, trade["id"], step, progress, stop
                )
                tasks.append(asyncio.create_task(bidding))
            for i, watched in enumerate(watchers):
                watching = watch(watched, directory, servers[i % 2].url, trade["id"])
                tasks.append(asyncio.create_task(watching))

            await progress.reach(ACKS_PER_PHASE)
            took = [await _terminate(a, directory)]
            a_again = Server(tmp_path, env=env)
            servers.append(a_again)
            await asyncio.to_thread(a_again.wait_ready)
            directory.urls.append(a_again.url)
            await progress.reach(progress.acks + ACKS_PER_PHASE)
            took.append(await _terminate(b, directory))
            await progress.reach(progress.acks + ACKS_PER_PHASE)

            stop.set()  # the bidders stop once every bid they sent is answered
            async with asyncio.timeout(30):
                await asyncio.gather(*tasks[: len(bidders)])
            final = (await http.get(f"{a_again.url}/api/v1/trades/{trade['id']}")).json()
            for watched in watchers:
                await _reach(watched, final["seq"])
            lines = (await http.get(f"{a_again.url}/api/v1/ledger/export")).text.splitlines()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            await asyncio.to_thread(server.stop)

    assert all(t < GRACE for t in took), took
    bodies = [json.loads(json.loads(line)["canonical"]) for line in lines[:-1]]
    mine = [b for b in bodies if b["subject"] == f"trade/{trade['id']}"]
    ledgered_bids = {b["index"]: b for b in mine if b["type"] == "trade.bid_accepted"}

    # Every bid sent got exactly one answer; every ack's bid is on the ledger once.
    acks = []
    for bidder in bidders:
        assert {r: len(a) for r, a in bidder.answers.items()} == dict.fromkeys(bidder.sent, 1)
        assert set(bidder.closes) == {1001}, bidder.closes
        for request_id, [answer] in bidder.answers.items():
            if answer["type"] == "ack":
                acks.append(answer["ledger_index"])
                entry = ledgered_bids[answer["ledger_index"]]
                assert entry["data"]["amount_fen"] == bidder.sent[request_id]
            else:
                assert answer["code"] in ("too_low", "rate_limited"), answer
    assert sorted(acks) == sorted(ledgered_bids)  # once each, and nothing unacknowledged
    assert len(acks) >= 3 * ACKS_PER_PHASE

    # Every watcher saw every event once, each connection's live and resumed ones in order.
    events = sorted(
        (b["data"]["seq"], b["index"])
        for b in mine
        if b["type"] in ("trade.bid_accepted", "trade.extended")
    )
    for watched in watchers:
        assert watched.closes and set(watched.closes) == {1001}, watched.closes
        first_snapshot = watched.connections[0][0]
        assert sorted(watched.seen()) == [e for e in events if e[0] > first_snapshot]
        for snapshot_seq, got in watched.connections:
            resumed = [seq for seq, _ in got if seq <= snapshot_seq]
            live = [seq for seq, _ in got if seq > snapshot_seq]
            assert resumed == sorted(resumed) and live == sorted(live)
