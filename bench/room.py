"""The auction room under load: 200 browser-like clients (each loads the room page
`/trades/{id}`, then watches its websocket, as the room's script does; no browser) on one
auction while bids arrive (bench.bids's fan-out bids, one every half second). Measured in
one run against the same service without the room's clients: the room page's server time,
and bench.bids's fan-out from a bid's commit to the last of 5,000 watchers.

    .venv/bin/python -m bench.room [--clients 200] [--watchers 5000] [--bids 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from websockets.asyncio.client import connect

from bench.bids import WATCHER_PROCESSES, fan_out, serving, setup
from bench.common import bench_database, percentiles

BIDDERS = 2  # the fan-out bids as one of them
PAGE_LOADS = 200


async def page_times(base: str, trade_id: int, loads: int) -> list[float]:
    """Server time of the room page (request sent → whole body read), one at a time."""
    times = []
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(loads):
            started = time.perf_counter()
            response = await http.get(f"{base}/trades/{trade_id}")
            response.raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


async def room_client(base: str, trade_id: int, seated: asyncio.Barrier) -> None:
    """One person in the room: the page, then its websocket, read until cancelled."""
    async with httpx.AsyncClient(timeout=30) as http:
        (await http.get(f"{base}/trades/{trade_id}")).raise_for_status()
    url = f"{base.replace('http://', 'ws://')}/ws/trades/{trade_id}"
    async with connect(url, max_queue=None) as ws:
        await ws.recv()  # the snapshot
        await seated.wait()
        async for _ in ws:
            pass


async def measure(
    url: str, bases: list[str], trade_id: int, token: str, watchers: int, bids: int
) -> tuple[list[float], list[float]]:
    """(room page times, fan-out delays): the page loaded over and over while the
    fan-out's bids arrive, one every half second."""
    delays, pages = await asyncio.gather(
        fan_out(url, bases, trade_id, token, watchers, bids, WATCHER_PROCESSES),
        page_times(bases[0], trade_id, PAGE_LOADS),
    )
    return pages, delays


def quantile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


async def main(clients: int, watchers: int, bids: int) -> None:
    async with bench_database("techmarket_bench_room") as (engine, _):
        url = engine.url.render_as_string(hide_password=False)
        trade_id, tokens = await setup(engine, BIDDERS)
        with serving(url, 2) as bases:
            pages0, delays0 = await measure(url, bases, trade_id, tokens[0], watchers, bids)
            print("without the room's clients:")
            print(f"  room page  {percentiles(pages0)}")
            print(f"  fan-out to {watchers} watchers, commit to last: {percentiles(delays0)}")

            seated = asyncio.Barrier(clients + 1)  # the room's clients, and this task
            room = [
                asyncio.create_task(room_client(bases[i % 2], trade_id, seated))
                for i in range(clients)
            ]
            await seated.wait()
            pages1, delays1 = await measure(url, bases, trade_id, tokens[0], watchers, bids)
            for task in room:
                task.cancel()
            await asyncio.gather(*room, return_exceptions=True)
            print(f"with {clients} room clients (page, then websocket) on 2 processes:")
            print(f"  room page  {percentiles(pages1)}")
            print(f"  fan-out to {watchers} watchers, commit to last: {percentiles(delays1)}")
            pages = quantile(pages1, 95) / quantile(pages0, 95)
            fan = quantile(delays1, 99) / quantile(delays0, 99)
            print(f"ratio  room page p95 with / without: {pages:.2f}")
            print(f"ratio  fan-out p99 with / without: {fan:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--watchers", type=int, default=5000)
    parser.add_argument("--bids", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.watchers, args.bids))
