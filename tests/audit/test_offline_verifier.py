"""The auditor's verifier runs offline: it replays a real ledger with the rule books it is
handed, without loading any database code, and judges encodings by the reference RFC 8785
implementation, not by the writer's fast path."""

import asyncio
import re
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger import canonical
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.models.org import OrgKind
from techmarket.trading import closing
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key, seed
from tests.trading.helpers import agreement_on_notice, bid, open_auction

M = 100_000

# The auditor's command itself, as `techmarket ledger verify --export FILE --key KEY` runs it.
REPLAY = """
import sys

from techmarket.cli import app

try:
    app(["ledger", "verify", "--export", sys.argv[1], "--key", sys.argv[2]])
except SystemExit as done:
    print("exit:", done.code)
import techmarket.ledger.tile_reader  # what `verify --url` and `check-entry` read tiles with
print("loaded:", *sorted(m for m in ("sqlalchemy", "asyncpg") if m in sys.modules))
"""


async def _closed_auction(
    client: httpx.AsyncClient,
    seller: Account,
    clock: FixedClock,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    trade = await open_auction(client, seller, seller)
    a, b = await account(session, client), await account(session, client)
    for bidder in (a, b):
        await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=bidder.headers)
    clock.advance(timedelta(minutes=15))
    assert (await bid(client, a, trade["id"], 10 * M, max_amount_fen=13 * M)).status_code == 200
    assert (await bid(client, b, trade["id"], 12 * M)).status_code == 200
    clock.advance(timedelta(hours=1) + closing.BID_GRACE)
    assert await scheduler.run(sessionmaker, clock, scheduler.CLOSE_AUCTIONS) == 1


async def test_the_verifier_replays_a_ledger_without_database_code(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    seller = await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))
    await _closed_auction(client, seller, clock, session, sessionmaker)
    await agreement_on_notice(client, await account(session, client), seller)
    export = tmp_path / "ledger.jsonl"
    lines = await export_lines(client)
    export.write_text("\n".join(lines))

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        REPLAY,
        str(export),
        await public_key(client),
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    printed = stdout.decode()

    verified = re.search(r"OK (\d+) entries", printed)
    assert verified is not None, printed
    assert int(verified[1]) == len(lines) - 1  # every entry; the last line is the checkpoint
    types = set(re.findall(r"^  ([a-z_.]+): \d+$", printed, re.MULTILINE))
    assert {"trade.bid_accepted", "trade.closed", "trade.accepted"} <= types
    assert printed.splitlines()[-2:] == ["exit: 0", "loaded:"]


async def test_an_encoding_the_fast_path_wrongly_calls_canonical_fails(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer whose fast path goes wrong (here: keys unsorted) and a decoder sharing that
    path would agree with each other; the verifier asks the reference library."""
    monkeypatch.setattr(canonical, "canonical", lambda value: orjson.dumps(value))
    monkeypatch.setattr(canonical, "parse_canonical", lambda raw: (orjson.loads(raw), True))
    await seed(session, 3)
    lines, verifier = await export_lines(client), Verifier.parse(await public_key(client))
    with pytest.raises(VerificationFailed) as caught:
        verify_export(lines, verifier, rule_books=rule_books())
    assert caught.value.index == 0
    assert "RFC 8785" in caught.value.message
