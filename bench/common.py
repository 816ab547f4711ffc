"""Shared by the benchmarks: a fresh, migrated database on the embedded server (or on
TECHMARKET_DATABASE_URL's server), and latency statistics."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import platformdirs
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from techmarket import migrate
from techmarket.config import Settings
from techmarket.db import EmbeddedPostgres, create_database, make_engine


@asynccontextmanager
async def bench_database(
    name: str, *, keep: bool = False
) -> AsyncIterator[tuple[AsyncEngine, EmbeddedPostgres | None]]:
    """A freshly created, migrated database ``name``, dropped afterwards. With ``keep``
    it lives on (embedded: in the user cache directory) and a rerun reuses it as it is."""
    external = os.environ.get("TECHMARKET_DATABASE_URL")
    embedded = None
    if external:
        server = make_url(Settings(database_url=external).database_url or "")
        admin_url = server.set(database="postgres").render_as_string(hide_password=False)
    else:
        kept = Path(platformdirs.user_cache_dir("techmarket")) / "bench"
        where = kept if keep else Path(tempfile.mkdtemp(prefix="techmarket-bench-"))
        embedded = EmbeddedPostgres(where)
        admin_url = await embedded.start("postgres")
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
    if not keep:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await create_database(admin_url, name)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=20)
    await migrate.upgrade(engine)
    try:
        yield engine, embedded
    finally:
        await engine.dispose()
        if not keep:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        if embedded:
            embedded.stop()


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return f"p50 {q[49]:.3f} ms  p95 {q[94]:.3f} ms  p99 {q[98]:.3f} ms"


def pgbench(
    url: str, bin_dir: Path, script: str, clients: int, seconds: int, **defines: int
) -> float:
    """Transactions a second of ``script`` run by PostgreSQL's own pgbench (the embedded
    server's), with ``defines`` as its variables."""
    parsed = make_url(url)
    path = Path(tempfile.mkdtemp()) / "bench.sql"
    path.write_text(script)
    variables = [arg for name, value in defines.items() for arg in ("-D", f"{name}={value}")]
    result = subprocess.run(
        [
            str(bin_dir / "pgbench"), "-n", "-h", parsed.query["host"], "-U", "postgres",
            "-c", str(clients), "-j", "2", "-T", str(seconds), *variables, "-f", str(path),
            parsed.database or "",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))
