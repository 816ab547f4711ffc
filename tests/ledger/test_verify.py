"""The offline verifier against real exports: intact, tampered, rewritten, forged."""

import asyncio
import base64
import copy
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from techmarket.app import create_app
from techmarket.audit import rule_books
from techmarket.cli import app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.ledger import service as ledger
from techmarket.ledger.canonical import canonical
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export, verify_receipt
from tests.factories import account
from tests.ledger.helpers import (
    T0,
    as_superuser_without_triggers,
    export_lines,
    public_key,
    seed,
    served,
)
from tests.listings.helpers import published_achievement

runner = CliRunner()


async def _verify(client: httpx.AsyncClient, earlier: str | None = None) -> int:
    verifier = Verifier.parse(await public_key(client))
    lines = await export_lines(client)
    summary = verify_export(lines, verifier, earlier_note=earlier, rule_books=rule_books())
    return summary.entries


async def test_an_intact_export_verifies(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await seed(session, 40)
    assert await _verify(client) == 40


async def _failure(client: httpx.AsyncClient, earlier: str | None = None) -> VerificationFailed:
    with pytest.raises(VerificationFailed) as caught:
        await _verify(client, earlier)
    return caught.value


async def test_one_changed_byte_is_found_at_its_entry(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 12)
    # "n":7 becomes "n":8 inside entry 7: one byte.
    await as_superuser_without_triggers(
        session,
        "UPDATE ledger_entries SET canonical = "
        "convert_to(replace(convert_from(canonical, 'UTF8'), '\"n\"\\:7', '\"n\"\\:8'), 'UTF8') "
        "WHERE idx = 7",
    )
    failure = await _failure(client)
    assert failure.index == 7
    assert "leaf hash" in failure.message


async def test_a_deleted_entry_is_found(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await seed(session, 12)
    await as_superuser_without_triggers(session, "DELETE FROM ledger_entries WHERE idx = 5")
    failure = await _failure(client)
    assert failure.index == 5
    assert "found entry 6" in failure.message


async def test_swapped_entries_are_found(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await seed(session, 12)
    await as_superuser_without_triggers(
        session,
        "UPDATE ledger_entries SET idx = -1 WHERE idx = 3",
        "UPDATE ledger_entries SET idx = 3 WHERE idx = 9",
        "UPDATE ledger_entries SET idx = 9 WHERE idx = -1",
    )
    failure = await _failure(client)
    assert failure.index == 3


async def test_an_inserted_entry_is_found(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await seed(session, 12)
    # Make room at 4 and put a copy of entry 3 there.
    await as_superuser_without_triggers(
        session,
        "UPDATE ledger_entries SET idx = idx + 1000 WHERE idx >= 4",
        "UPDATE ledger_entries SET idx = idx - 999 WHERE idx >= 1000",
        "INSERT INTO ledger_entries (idx, ts, type, subject, canonical, leaf_hash) "
        "SELECT 4, ts, type, subject, canonical, leaf_hash FROM ledger_entries WHERE idx = 3",
    )
    failure = await _failure(client)
    assert failure.index == 4


async def test_a_consistent_rewrite_is_caught_by_an_earlier_checkpoint(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 10)
    saved = (await client.get("/api/v1/ledger/checkpoint")).text
    await seed(session, 5, start=10)
    assert await _verify(client, earlier=saved) == 15

    # An administrator rebuilds the whole ledger with entry 2 changed, every hash redone.
    await as_superuser_without_triggers(
        session,
        "TRUNCATE ledger_entries, ledger_nodes, ledger_checkpoints",
        "UPDATE ledger_head SET size = 0, last_leaf_hash = NULL, frontier = '{}'",
    )
    await seed(session, 2)
    await ledger.append(session, "test.event", "thing/2", {"n": 2, "名称": "篡改"}, T0)
    await seed(session, 12, start=3)
    assert await _verify(client) == 15  # self-consistent…
    failure = await _failure(client, earlier=saved)  # …but not with what the auditor saved
    assert failure.index == 9
    assert "history was rewritten" in failure.message


async def test_a_forged_business_event_is_reported(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Correctly hashed, but the platform's rules would never have allowed it."""
    event = {
        "org_id": 77,
        "name": "x",
        "kind": "enterprise",
        "region_code": "330100",
        "credit_code": "x",
        "reason": None,
        "by_user_id": 1,
    }
    await ledger.append(
        session, "org.rejected", "org/77", {**event, "from": "pending", "to": "rejected"}, T0
    )
    await ledger.append(
        session, "org.verified", "org/77", {**event, "from": "rejected", "to": "verified"}, T0
    )
    await session.commit()
    failure = await _failure(client)
    assert failure.index == 1
    assert "business rule" in failure.message
    assert "cannot go from rejected to verified" in failure.message


async def test_receipts_verify_offline(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await seed(session, 9)
    verifier = Verifier.parse(await public_key(client))
    for index in (0, 4, 8):
        text = (await client.get(f"/api/v1/ledger/receipts/{index}")).text
        assert text.startswith("c2sp.org/tlog-proof@v1\nextra ")
        verified = verify_receipt(text, verifier)
        assert verified.index == index
        assert verified.entry["data"]["n"] == index
        assert verified.checkpoint.size == 9

    text = (await client.get("/api/v1/ledger/receipts/4")).text
    lines = text.split("\n")
    forged = copy.deepcopy(verify_receipt(text, verifier).entry)
    forged["data"]["n"] = 5
    lines[1] = "extra " + base64.b64encode(canonical(forged)).decode()
    with pytest.raises(VerificationFailed, match="inclusion proof"):
        verify_receipt("\n".join(lines), verifier)
    missing = await client.get("/api/v1/ledger/receipts/9")
    assert missing.status_code == 404


async def test_cli_verifies_exports_and_receipts(
    client: httpx.AsyncClient, session: AsyncSession, tmp_path: Path
) -> None:
    await seed(session, 25)
    key = tmp_path / "log.pub"
    key.write_text(await public_key(client))
    export = tmp_path / "ledger.jsonl"
    export.write_text("\n".join(await export_lines(client)) + "\n")
    saved = tmp_path / "checkpoint.txt"

    ok = runner.invoke(
        app,
        [
            "ledger",
            "verify",
            "--export",
            str(export),
            "--key",
            str(key),
            "--save-checkpoint",
            str(saved),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "OK 25 entries" in ok.output
    assert saved.read_text().startswith("techmarket.example/ledger\n25\n")

    again = runner.invoke(
        app,
        [
            "ledger",
            "verify",
            "--export",
            str(export),
            "--key",
            key.read_text(),
            "--since-checkpoint",
            str(saved),
        ],
    )
    assert again.exit_code == 0, again.output
    assert "consistent with the checkpoint saved at size 25" in again.output

    lines = export.read_text().splitlines()
    lines[11] = lines[11].replace('\\"n\\":11', '\\"n\\":12')
    export.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(app, ["ledger", "verify", "--export", str(export), "--key", str(key)])
    assert bad.exit_code == 1
    assert "FAILED at entry 11" in bad.output

    receipt = tmp_path / "entry.tlog-proof"
    receipt.write_text((await client.get("/api/v1/ledger/receipts/3")).text)
    checked = runner.invoke(app, ["ledger", "verify-receipt", str(receipt), "--key", str(key)])
    assert checked.exit_code == 0, checked.output
    assert "entry 3 is in techmarket.example/ledger" in checked.output
    wrong_key = runner.invoke(
        app,
        [
            "ledger",
            "verify-receipt",
            str(receipt),
            "--key",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ],
    )
    assert wrong_key.exit_code == 1
    assert "not signed by" in wrong_key.output


async def test_truncated_export_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 5)
    lines = await export_lines(client)
    verifier = Verifier.parse(await public_key(client))
    with pytest.raises(VerificationFailed, match="no checkpoint"):
        verify_export(lines[:-1], verifier)
    with pytest.raises(VerificationFailed, match="holds 4 entries but its checkpoint says 5"):
        verify_export(lines[:4] + lines[-1:], verifier)


async def test_verify_url_with_line_separators_in_a_title(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """JSON leaves U+2028 and U+2029 unescaped: the export's lines end only at ``\\n``, and
    an auditor's download over HTTP must not be cut anywhere else. (U+0085, a control
    character, is refused at the edge.)"""
    seller = await account(session, client)
    await published_achievement(client, seller, title="锂电池\u2028正极材料\u2029及其制备方法")
    export = tmp_path / "ledger.jsonl"
    export.write_bytes((await client.get("/api/v1/ledger/export")).content)
    assert all(c in export.read_text() for c in ("\u2028", "\u2029"))
    key = tmp_path / "log.pub"
    key.write_text(await public_key(client))
    from_file = runner.invoke(app, ["ledger", "verify", "--export", str(export), "--key", str(key)])
    assert from_file.exit_code == 0, from_file.output

    live = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
    async with served(live) as url:
        verified = await asyncio.to_thread(
            runner.invoke, app, ["ledger", "verify", "--url", url, "--key", str(key)]
        )
    assert verified.exit_code == 0, verified.output
    assert "achievement.published: 1" in verified.output
    assert "read through the tiles of" in verified.output
