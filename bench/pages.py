"""Page speed: the server time of the home page, a search results page and an
achievement page, measured through httpx (request sent → whole body read) against a real
`techmarket serve` on the 1,400,000-achievement database of bench.search (loaded there if
it is missing; kept for reruns), p50/p95 over N requests each. Goal: p95 <= 100 ms.

    .venv/bin/python -m bench.pages [--rows N] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from urllib.parse import urlencode

import httpx
from sqlalchemy import text

from bench import search as search_bench
from bench.bids import serving
from bench.common import bench_database, percentiles
from techmarket.demo_listings import REGIONS

WARM_UP = 20


def page_paths(rng: random.Random, ids: tuple[int, int]) -> dict[str, list[str]]:
    """The pages measured, each with the varied addresses a person would open."""
    searches = []
    for _ in range(50):
        industry, _, keywords = rng.choice(search_bench.ALL_TOPICS)
        query = {"q": rng.choice(keywords), "industry": industry.value}
        region = rng.choice(REGIONS)
        query |= rng.choice(
            [
                {"province": region[:2] + "0000"},
                {"province": region[:2] + "0000", "city": region[:4] + "00"},
                {},
            ]
        )
        searches.append("/achievements?" + urlencode(query))
    return {
        "home /": ["/"],
        "search /achievements?q=…": searches,
        "achievement /achievements/{id}": [f"/achievements/{rng.randint(*ids)}" for _ in range(50)],
    }


async def measure(base: str, paths: dict[str, list[str]], requests: int) -> None:
    rng = random.Random(5)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for name, addresses in paths.items():
            for _ in range(WARM_UP):
                (await client.get(rng.choice(addresses))).raise_for_status()
            timings = []
            for _ in range(requests):
                path = rng.choice(addresses)
                started = time.perf_counter()
                response = await client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            print(f"{name:34s} {percentiles(timings)}  ({len(response.content):,} bytes)")


async def main(rows: int, requests: int) -> None:
    async with bench_database("techmarket_bench_search", keep=True) as (engine, _):
        async with engine.connect() as conn:
            loaded = await conn.scalar(text("SELECT count(*) FROM achievements"))
        if loaded != rows:
            await search_bench.load(engine, rows)
        await search_bench.warm(engine)
        async with engine.connect() as conn:
            first, last = (
                await conn.execute(text("SELECT min(id), max(id) FROM achievements"))
            ).one()
        url = engine.url.render_as_string(hide_password=False)
        with serving(url, 1) as (base,):
            print(f"{rows:,} achievements; {requests} requests per page, one at a time")
            await measure(base, page_paths(random.Random(4), (first, last)), requests)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_400_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.requests))
