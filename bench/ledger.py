"""Ledger benchmark: append throughput, proof and tile latency and offline verification at
1,000,000 entries, against pymerkle (a Python Merkle log; benchmark-only, GPL, never
imported by src/) on the same leaves, and proofs against their former one-query path
(the same-run baseline), in the same run.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m bench.ledger [--entries N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.common import bench_database, percentiles
from techmarket.app import create_app
from techmarket.config import Settings
from techmarket.db import make_sessionmaker
from techmarket.ledger import merkle
from techmarket.ledger import repository as repo
from techmarket.ledger import service as ledger
from techmarket.ledger.canonical import GENESIS_PREV, encode_entry
from techmarket.ledger.note import Signer, Verifier
from techmarket.ledger.schemas import EntryRead
from techmarket.ledger.tile_cache import TileCache
from techmarket.ledger.tiles import TILE_WIDTH, Tile
from techmarket.ledger.verify import verify_export

T0 = datetime(2026, 11, 23, tzinfo=UTC)
ORIGIN = "bench.techmarket.example/ledger"


def event(i: int) -> tuple[str, str, dict[str, object]]:
    """A realistic mix: mostly accepted bids, some other trade events."""
    if i % 10:
        return (
            "trade.bid_accepted",
            f"trade/{i % 997}",
            {
                "amount_fen": 50_000_000 + i * 10_000,
                "bidder_alias": f"A{i % 512:04d}",
                "seq": i,
                "ends_at": "2026-11-30T08:00:00.000000Z",
            },
        )
    return "trade.extended", f"trade/{i % 997}", {"ends_at": "2026-11-30T08:05:00.000000Z"}


async def append_throughput(engine: AsyncEngine, count: int, workers: int) -> float:
    """Appends per second, each in its own committed transaction."""
    sessionmaker = make_sessionmaker(engine)
    per_worker = count // workers

    async def worker(w: int) -> None:
        for i in range(per_worker):
            async with sessionmaker.begin() as session:
                kind, subject, data = event(i)
                await ledger.append(session, kind, subject, data, T0 + timedelta(seconds=i))

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return per_worker * workers / (time.perf_counter() - started)


async def bulk_load(engine: AsyncEngine, total: int) -> list[bytes]:
    """Extend the log to ``total`` entries with the same encoding and tree code as append,
    written with COPY (loading a million entries one transaction at a time is not the point
    of this benchmark). Returns every leaf hash."""
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        existing = await repo.entries(session, 0, 10**9)
        size, frontier_hashes = await repo.read_head(session)
    leaves = [e.leaf_hash for e in existing]
    frontier = merkle.Frontier(size, frontier_hashes)
    prev = leaves[-1].hex() if leaves else GENESIS_PREV
    entries, nodes = [], []
    for i in range(size, total):
        kind, subject, data = event(i)
        at = T0 + timedelta(milliseconds=i)
        raw = encode_entry(i, at, kind, subject, data, prev)
        leaf = merkle.leaf_hash(raw)
        entries.append((i, at, kind, subject, raw, leaf))
        nodes.extend(frontier.append(leaf))
        leaves.append(leaf)
        prev = leaf.hex()
    async with engine.begin() as conn:
        raw_conn = (await conn.get_raw_connection()).driver_connection
        await raw_conn.copy_records_to_table("ledger_entries", records=entries)
        await raw_conn.copy_records_to_table("ledger_nodes", records=nodes)
        await raw_conn.execute(
            "UPDATE ledger_head SET size = $1, last_leaf_hash = $2, frontier = $3 WHERE id = 1",
            total,
            leaves[-1],
            frontier.hashes,
        )
        await raw_conn.execute("ANALYZE ledger_nodes; ANALYZE ledger_entries")
    return leaves


# Proofs as served before the tile cache, for the same-run baseline: the proof's stored
# nodes looked up in one query, one round trip to PostgreSQL per proof.
_NODES = text(
    "SELECT n.level, n.idx, n.hash FROM ledger_nodes n "
    "JOIN unnest(CAST(:levels AS smallint[]), CAST(:indexes AS bigint[])) AS b(level, idx) "
    "ON n.level = b.level AND n.idx = b.idx"
)


async def baseline_inclusion_proof(session: AsyncSession, index: int, size: int) -> list[bytes]:
    ranges = merkle.inclusion_ranges(index, size)
    levels, indexes = zip(*sorted({b for a, z in ranges for b in merkle.blocks(a, z)}), strict=True)
    rows = await session.execute(_NODES, {"levels": list(levels), "indexes": list(indexes)})
    found: dict[merkle.Block, bytes] = {(r.level, r.idx): r.hash for r in rows}
    return merkle.range_hashes(ranges, found.__getitem__)


async def _timed(call: Awaitable[object], into: list[float]) -> None:
    started = time.perf_counter()
    await call
    into.append((time.perf_counter() - started) * 1000)


async def proof_latency(engine: AsyncEngine, size: int, samples: int) -> dict[str, list[float]]:
    """Inclusion proofs at random indexes, the baseline interleaved with the tile cache so
    that both see the same load: first with the cache empty (every tile a proof needs is
    read from PostgreSQL the first time), then the same indexes again (tiles in memory,
    PostgreSQL's buffers warm for the baseline too)."""
    sessionmaker = make_sessionmaker(engine)
    cache = TileCache()
    rng = random.Random(7)
    indexes = [rng.randrange(size) for _ in range(samples)]
    kinds = ("baseline, cold", "tiles, cold", "baseline", "tiles", "SELECT 1", "consistency")
    out: dict[str, list[float]] = {k: [] for k in kinds}
    async with sessionmaker() as session:
        for first_pass in (True, False):
            for index in indexes:
                old = baseline_inclusion_proof(session, index, size)
                new = ledger.inclusion_proof(session, cache, index, size)
                await _timed(old, out["baseline, cold" if first_pass else "baseline"])
                await _timed(new, out["tiles, cold" if first_pass else "tiles"])
                if not first_pass:  # the floor of any query: one round trip
                    await _timed(session.execute(text("SELECT 1")), out["SELECT 1"])
        for index in indexes:
            first = index + 1
            await _timed(ledger.consistency_proof(session, cache, first, size), out["consistency"])
        for index in indexes[:50]:  # the cache gives the proofs the stored nodes give
            expected = await baseline_inclusion_proof(session, index, size)
            assert await ledger.inclusion_proof(session, TileCache(), index, size) == expected
    return out


async def tile_latency(engine: AsyncEngine, size: int, samples: int) -> dict[str, list[float]]:
    """GET of random full hash tiles and entry bundles through the whole HTTP stack (in
    process), the hash tiles first with the tile cache empty, then again."""
    settings = Settings(signing_key_path=Path(tempfile.mkdtemp()) / "ledger.key")
    app = create_app(settings, engine=engine)
    rng = random.Random(11)
    full = size // TILE_WIDTH
    picked = [rng.randrange(full) for _ in range(samples)]
    out: dict[str, list[float]] = {"hash tile, cold": [], "hash tile": [], "entry bundle": []}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for label in ("hash tile, cold", "hash tile"):
            for n in picked:
                await _timed(_get(client, Tile(0, n).path()), out[label])
        for n in picked:
            await _timed(_get(client, Tile(None, n).path()), out["entry bundle"])
    return out


async def _get(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/api/v1/ledger/{path}")
    assert response.status_code == 200, response.text


async def export_to(engine: AsyncEngine, signer: Signer, path: Path) -> None:
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        signed = await ledger.checkpoint(session, signer, ORIGIN, T0)
    with path.open("w", encoding="utf-8") as out:
        async with sessionmaker() as session:
            async for entry in repo.stream_entries(session, signed.tree_size):
                out.write(EntryRead.of(entry).model_dump_json() + "\n")
        out.write(json.dumps({"checkpoint": signed.signed_note}) + "\n")


def pymerkle_figures(leaf_data: list[bytes], samples: int) -> tuple[float, float, bytes]:
    from pymerkle import InmemoryTree

    tree = InmemoryTree(algorithm="sha256")
    started = time.perf_counter()
    for data in leaf_data:
        tree.append_entry(data)
    build = time.perf_counter() - started
    rng = random.Random(7)
    size = len(leaf_data)
    started = time.perf_counter()
    for _ in range(samples):
        tree.prove_inclusion(rng.randrange(size) + 1, size)  # pymerkle counts from 1
    per_proof_ms = (time.perf_counter() - started) / samples * 1000
    return build, per_proof_ms, tree.get_root(size)


async def main(total: int, appends: int, samples: int) -> None:
    async with bench_database("techmarket_bench_ledger") as (engine, _):
        one = await append_throughput(engine, appends, workers=1)
        eight = await append_throughput(engine, appends, workers=8)
        print(f"append, 1 writer:   {one:8.0f} entries/s (each its own transaction)")
        print(f"append, 8 writers:  {eight:8.0f} entries/s (serialised by the head lock)")

        started = time.perf_counter()
        leaves = await bulk_load(engine, total)
        print(f"bulk load to {total:,} entries: {time.perf_counter() - started:.1f} s")

        print(f"load average before the proofs: {_load()}")
        proofs = await proof_latency(engine, total, samples)
        for label, figures in proofs.items():
            kind = label if label == "consistency" else f"inclusion ({label})"
            kind = "SELECT 1, one round trip," if label == "SELECT 1" else f"{kind} proof"
            print(f"{kind + ' at':37} {total:,}: {percentiles(figures)}")
        tiles = await tile_latency(engine, total, samples)
        for label, figures in tiles.items():
            print(f"GET {label + ' at':33} {total:,}: {percentiles(figures)}")
        print(f"load average after the tiles: {_load()}")

        signer = Signer.generate(ORIGIN)
        export = Path(tempfile.mkdtemp()) / "ledger.jsonl"
        await export_to(engine, signer, export)
        started = time.perf_counter()
        with export.open(encoding="utf-8") as lines:
            summary = verify_export(lines, Verifier.parse(signer.vkey))
        verify_s = time.perf_counter() - started
        print(
            f"offline verification of {summary.entries:,} entries: {verify_s:.1f} s "
            f"({export.stat().st_size / 2**20:.0f} MiB export)"
        )

        async with make_sessionmaker(engine)() as session:
            leaf_data = [e.canonical async for e in repo.stream_entries(session, total)]
        build_s, pm_proof_ms, pm_root = pymerkle_figures(leaf_data, samples)
        assert pm_root == summary.root, "pymerkle and techmarket disagree on the root"
        ours_build_s = _our_build(leaves)
        print(f"pymerkle: build {build_s:.1f} s, inclusion proof {pm_proof_ms:.3f} ms (same root)")
        print(f"tree build from leaves, ours in memory: {ours_build_s:.1f} s")
        p50 = _quantile(proofs["tiles"], 50)
        print()
        print(f"ratio  full verification / pymerkle build:   {verify_s / build_s:.2f}  (goal < 1)")
        print(f"ratio  our tree build / pymerkle build:      {ours_build_s / build_s:.2f}")
        print(f"ratio  our proof p50 (tiles) / pymerkle proof (memory): {p50 / pm_proof_ms:.2f}")
        for q in (50, 95, 99):
            for cold in ("", ", cold"):
                ratio = _quantile(proofs[f"tiles{cold}"], q) / _quantile(
                    proofs[f"baseline{cold}"], q
                )
                print(f"ratio  inclusion p{q}{cold or ' (warm)'}, tiles / baseline: {ratio:.2f}")


def _quantile(samples_ms: list[float], q: int) -> float:
    return statistics.quantiles(sorted(samples_ms), n=100, method="inclusive")[q - 1]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _our_build(leaves: list[bytes]) -> float:
    started = time.perf_counter()
    frontier = merkle.Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    frontier.root()
    return time.perf_counter() - started


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=4000)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.entries, args.appends, args.samples))
