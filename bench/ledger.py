"""Ledger benchmark: append throughput, proof latency and offline verification at
1,000,000 entries, against pymerkle (a Python Merkle log; benchmark-only, GPL, never
imported by src/) on the same leaves, in the same run.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m bench.ledger [--entries N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import bench_database, percentiles
from techmarket.db import make_sessionmaker
from techmarket.ledger import merkle
from techmarket.ledger import repository as repo
from techmarket.ledger import service as ledger
from techmarket.ledger.canonical import GENESIS_PREV, encode_entry
from techmarket.ledger.note import Signer, Verifier
from techmarket.ledger.schemas import EntryRead
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


async def proof_latency(
    engine: AsyncEngine, size: int, samples: int
) -> tuple[list[float], list[float]]:
    sessionmaker = make_sessionmaker(engine)
    inclusion, consistency = [], []
    rng = random.Random(7)
    async with sessionmaker() as session:
        for _ in range(samples):
            index = rng.randrange(size)
            started = time.perf_counter()
            await ledger.inclusion_proof(session, index, size)
            inclusion.append((time.perf_counter() - started) * 1000)
            first = rng.randrange(1, size)
            started = time.perf_counter()
            await ledger.consistency_proof(session, first, size)
            consistency.append((time.perf_counter() - started) * 1000)
    return inclusion, consistency


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

        inclusion, consistency = await proof_latency(engine, total, samples)
        print(f"inclusion proof at {total:,}:   {percentiles(inclusion)}")
        print(f"consistency proof at {total:,}: {percentiles(consistency)}")

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
        p50 = sorted(inclusion)[len(inclusion) // 2]
        print()
        print(f"ratio  full verification / pymerkle build:   {verify_s / build_s:.2f}  (goal < 1)")
        print(f"ratio  our tree build / pymerkle build:      {ours_build_s / build_s:.2f}")
        print(
            f"ratio  our proof p50 (PostgreSQL) / pymerkle proof (memory): {p50 / pm_proof_ms:.2f}"
        )


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
