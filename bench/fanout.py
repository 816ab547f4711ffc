"""Fan-out benchmark: from a bid's commit to the last of 5,000 watchers hearing of it, the
watchers spread over two real server processes; and in the same run this machine's floor
for it: the same watchers on two floor processes (bench.watchers floor) that write the
same frame bytes to as many sockets with plain socket sends. The ratio service / floor
is what the service's own work costs on top of the machine's; beside the latencies, which
a busy machine stretches, the CPU time one event costs both (the service's from its
``techmarket_broadcast_delivery_cpu_seconds``).

    .venv/bin/python -m bench.fanout [--watchers 5000] [--bids 100]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bench.bids import WATCHER_PROCESSES, fan_out, serving, setup
from bench.common import bench_database, percentiles

SERVER_PROCESSES = 2
DELIVERY = "techmarket_broadcast_delivery_cpu_seconds"


@asynccontextmanager
async def floors(url: str, processes: int, cpu: list[float]) -> AsyncIterator[list[str]]:
    """``processes`` floor processes listening on ``url``'s database: their base URLs;
    once they stop, each one's CPU seconds per notification are added to ``cpu``."""
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.watchers", "floor", url,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]  # fmt: skip
    bases = []
    for process in started:
        assert process.stdout is not None
        port = (await process.stdout.readline()).decode().split()[1]
        bases.append(f"http://127.0.0.1:{port}")
    try:
        yield bases
    finally:
        for process in started:
            out, _ = await process.communicate(b"")
            cpu.append(float(out.decode().split()[-1]))


async def delivery_cpu(bases: list[str]) -> list[float]:
    """Each server's mean CPU seconds handing a notification to its watchers."""
    means = []
    async with httpx.AsyncClient(timeout=30) as http:
        for base in bases:
            scraped = (await http.get(f"{base}/metrics")).text
            found = dict(re.findall(rf"^{DELIVERY}_(sum|count) (\S+)$", scraped, re.M))
            means.append(float(found["sum"]) / float(found["count"]))
    return means


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


async def main(watchers: int, bids: int) -> None:
    async with bench_database("techmarket_bench_fanout") as (engine, _):
        url = engine.url.render_as_string(hide_password=False)
        trade_id, tokens = await setup(engine, 1)
        with serving(url, SERVER_PROCESSES) as bases:
            served = await fan_out(
                url, bases, trade_id, tokens[0], watchers, bids, WATCHER_PROCESSES
            )
            served_cpu = await delivery_cpu(bases)
            floor_cpu: list[float] = []
            async with floors(url, SERVER_PROCESSES, floor_cpu) as floor:
                floored = await fan_out(
                    url, bases, trade_id, tokens[0], watchers, bids, WATCHER_PROCESSES, floor
                )
    print(
        f"fan-out to {watchers} watchers on {SERVER_PROCESSES} server processes, commit to "
        f"last receipt: {percentiles(served)}  (goal p99 <= 150 ms)"
    )
    print(f"floor (raw socket sends of the same frames): {percentiles(floored)}")
    print(f"ratio  p99 service / floor: {p99(served) / p99(floored):.2f}")
    served_ms, floor_ms = sum(served_cpu) * 1000, sum(floor_cpu) * 1000
    print(
        f"CPU per event, all {SERVER_PROCESSES} processes: service {served_ms:.1f} ms, "
        f"floor {floor_ms:.1f} ms; ratio {served_ms / floor_ms:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watchers", type=int, default=5000)
    parser.add_argument("--bids", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.watchers, args.bids))
