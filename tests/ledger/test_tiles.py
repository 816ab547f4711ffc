"""The ledger served as C2SP tlog-tiles: tile bytes, entry bundles, cache headers, the
partial → full transition, 404s, and a tile client's proofs and audit."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from techmarket.app import create_app
from techmarket.cli import app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.ledger import merkle
from techmarket.ledger.note import Verifier
from techmarket.ledger.service import Appender
from techmarket.ledger.tile_reader import TileReader, verify_tiles
from techmarket.ledger.tiles import decode_bundle
from techmarket.ledger.verify import VerificationFailed
from tests.ledger.helpers import (
    T0,
    as_superuser_without_triggers,
    export_lines,
    public_key,
    served,
)

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=5"
runner = CliRunner()


async def grow(session: AsyncSession, count: int) -> None:
    """Append ``count`` events in one transaction (a savepoint in tests)."""
    appender = Appender(session)
    for i in range(count):
        appender.add("test.event", f"thing/{i}", {"n": i}, T0 + timedelta(seconds=i))
    await appender.write()
    await session.commit()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, straight from its recursive definition (over leaf hashes)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


async def leaves_and_entries(client: httpx.AsyncClient) -> tuple[list[bytes], list[bytes]]:
    raws = [json.loads(line)["canonical"].encode() for line in (await export_lines(client))[:-1]]
    return [hashlib.sha256(b"\x00" + raw).digest() for raw in raws], raws


async def tile(client: httpx.AsyncClient, path: str) -> httpx.Response:
    return await client.get(f"/api/v1/ledger/tile/{path}")


async def test_tiles_hold_the_trees_hashes_and_the_entries(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await grow(session, 300)
    leaves, raws = await leaves_and_entries(client)

    full = await tile(client, "0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == IMMUTABLE
    assert full.content == b"".join(leaves[:256])
    partial = await tile(client, "0/001.p/44")
    assert partial.headers["cache-control"] == SHORT_LIVED
    assert partial.content == b"".join(leaves[256:300])
    # level 1: the hash of each full level-0 tile; tile 0/001 is not full yet
    assert (await tile(client, "1/000.p/1")).content == mth(leaves[:256])

    bundle = await tile(client, "entries/000")
    assert bundle.headers["cache-control"] == IMMUTABLE
    assert bundle.headers["content-encoding"] == "gzip"  # decoded by the client
    assert decode_bundle(bundle.content) == raws[:256]
    plain = await client.get(
        "/api/v1/ledger/tile/entries/001.p/44", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert plain.content[:2] == len(raws[256]).to_bytes(2, "big")
    assert decode_bundle(plain.content) == raws[256:]
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content

    checkpoint = await client.get("/api/v1/ledger/checkpoint")
    assert checkpoint.headers["cache-control"] == SHORT_LIVED
    assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"


async def test_a_partial_tile_is_followed_by_the_full_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await grow(session, 250)
    partial = await tile(client, "0/000.p/250")
    assert partial.status_code == 200
    missing = await tile(client, "0/000")
    assert missing.status_code == 404
    assert missing.headers["cache-control"] == "no-store"  # a CDN must ask again later

    await grow(session, 6)
    full = await tile(client, "0/000")
    assert full.status_code == 200
    assert full.headers["cache-control"] == IMMUTABLE
    assert full.content[: 250 * 32] == partial.content
    assert (await tile(client, "0/000.p/250")).content == partial.content
    assert (await tile(client, "entries/000")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "0/001",  # beyond the tree
        "0/000.p/11",  # wider than the tree
        "entries/000.p/11",
        "1/000.p/1",  # no full level-0 tile yet
        "0/x000/000",  # not canonical
        "0/0",
        "00/000",
        "64/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/010",
        "level/000",
    ],
)
async def test_tiles_beyond_the_tree_or_misspelled_are_not_found(
    client: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    await grow(session, 10)
    response = await tile(client, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "ledger_tile_not_found"


def fetcher(client: httpx.AsyncClient) -> Callable[[str], bytes | None]:
    """A blocking fetch, as a tile client has, for code run in a thread beside the test's loop."""
    loop = asyncio.get_running_loop()

    def fetch(path: str) -> bytes | None:
        got = asyncio.run_coroutine_threadsafe(client.get(f"/api/v1/ledger/{path}"), loop)
        response = got.result()
        return response.content if response.status_code == 200 else None

    return fetch


async def test_proofs_through_tiles_equal_the_apis(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await grow(session, 520)
    fetch = fetcher(client)
    for size in (520, 300, 256, 7):
        reader = TileReader(fetch, size)
        root = await asyncio.to_thread(reader.root)
        for index in (0, 5, 255, 256, 299, 519):
            if index >= size:
                continue
            proof = await asyncio.to_thread(reader.inclusion_proof, index)
            api = await client.get(
                "/api/v1/ledger/proofs/inclusion", params={"index": index, "tree_size": size}
            )
            assert [h.hex() for h in proof] == api.json()["hashes"]
            leaf = reader.hashes(0, index // 256)[index % 256]
            merkle.verify_inclusion(index, size, leaf, proof, root)
        api = await client.get(
            "/api/v1/ledger/proofs/consistency", params={"first": 3, "second": size}
        )
        consistency = await asyncio.to_thread(reader.consistency_proof, 3)
        assert [h.hex() for h in consistency] == api.json()["hashes"]
    _, size_line, root_line = (await client.get("/api/v1/ledger/checkpoint")).text.split("\n")[:3]
    assert size_line == "520"
    verifier = Verifier.parse(await public_key(client))
    assert (await asyncio.to_thread(verify_tiles, fetch, verifier)).entries == 520
    assert await asyncio.to_thread(TileReader(fetch, 520).root) == base64.b64decode(root_line)


@pytest.mark.parametrize(
    ("tamper", "index", "message"),
    [
        (
            "UPDATE ledger_entries SET canonical = convert_to(replace(convert_from(canonical, "
            "'UTF8'), 'thing/300', 'thing/301'), 'UTF8') WHERE idx = 300",
            300,
            "leaf hash does not match",
        ),
        ("UPDATE ledger_nodes SET hash = sha256(hash) WHERE level = 0 AND idx = 7", 7, "leaf hash"),
        ("UPDATE ledger_nodes SET hash = sha256(hash) WHERE level = 8 AND idx = 1", 256, "root of"),
    ],
    ids=["entry", "level-0 tile", "level-1 tile"],
)
async def test_an_audit_through_tiles_finds_a_tampered_entry_or_tile(
    client: httpx.AsyncClient, session: AsyncSession, tamper: str, index: int, message: str
) -> None:
    await grow(session, 520)
    verifier = Verifier.parse(await public_key(client))
    await as_superuser_without_triggers(session, tamper)
    await session.commit()
    with pytest.raises(VerificationFailed, match=message) as caught:
        await asyncio.to_thread(verify_tiles, fetcher(client), verifier)
    assert caught.value.index == index


async def test_verify_url_reads_tiles_and_falls_back_to_the_export(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """The auditor's commands read a server's tiles: one entry proven from them (its receipt
    verifies offline), and the whole log, which a changed tile hash fails, as it fails
    every proof through it; a server without tiles is read through its export (here: the
    stored entries, unchanged)."""
    await grow(session, 300)
    key = tmp_path / "log.pub"
    key.write_text(await public_key(client))

    def verify(url: str) -> Result:
        return runner.invoke(app, ["ledger", "verify", "--url", url, "--key", str(key)])

    def check(url: str, index: int) -> Result:
        receipt = tmp_path / f"{index}.tlog-proof"
        arguments = ["--url", url, "--key", str(key), "--save-receipt", str(receipt)]
        checked = runner.invoke(app, ["ledger", "check-entry", str(index), *arguments])
        if checked.exit_code == 0:  # the receipt made from tiles verifies offline
            offline = runner.invoke(
                app, ["ledger", "verify-receipt", str(receipt), "--key", str(key)]
            )
            assert offline.exit_code == 0, offline.output
        return checked

    def live() -> FastAPI:  # a new process: no tiles kept from before
        return create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)

    async with served(live()) as url:
        intact = await asyncio.to_thread(check, url, 5)
    assert intact.exit_code == 0, intact.output
    assert "OK entry 5 is in the log signed by" in intact.output

    await as_superuser_without_triggers(
        session, "UPDATE ledger_nodes SET hash = sha256(hash) WHERE level = 0 AND idx = 270"
    )
    await session.commit()
    with_tiles = live()
    async with served(with_tiles) as url:
        tampered = await asyncio.to_thread(verify, url)
        beside = await asyncio.to_thread(check, url, 5)  # 270's hash is in its proof
    assert tampered.exit_code == 1, tampered.output
    assert "FAILED at entry 270: leaf hash does not match" in tampered.output
    assert beside.exit_code == 1
    assert "inclusion proof from the tiles" in beside.output

    async def without_tiles(scope: Scope, receive: Receive, send: Send) -> None:
        """The same server as one that predates tiles would answer."""
        if "/api/v1/ledger/tile/" in scope.get("path", ""):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
        else:
            await with_tiles(scope, receive, send)

    async with served(without_tiles) as url:
        exported = await asyncio.to_thread(verify, url)
    assert exported.exit_code == 0, exported.output
    assert "serves no tiles: reading its export" in exported.output
    assert "OK 300 entries" in exported.output


async def test_proofs_from_kept_tiles_follow_the_growing_log(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The process keeps the tiles it read: a proof for a size the log has not reached is
    refused, and once the log reaches it, given — from the tiles of that size."""

    async def proof(index: int, size: int) -> httpx.Response:
        params = {"index": index, "tree_size": size}
        return await client.get("/api/v1/ledger/proofs/inclusion", params=params)

    async def root() -> bytes:
        return base64.b64decode((await client.get("/api/v1/ledger/checkpoint")).text.split()[2])

    await grow(session, 21)
    at_21 = await root()
    early = await proof(3, 21)
    assert (await proof(3, 40)).json()["code"] == "invalid_tree_size"
    await grow(session, 19)
    at_40 = await root()
    leaves, _ = await leaves_and_entries(client)
    for index in (3, 20, 39):
        hashes = [bytes.fromhex(h) for h in (await proof(index, 40)).json()["hashes"]]
        merkle.verify_inclusion(index, 40, leaves[index], hashes, at_40)
    hashes = [bytes.fromhex(h) for h in (await proof(3, 21)).json()["hashes"]]
    assert hashes == [bytes.fromhex(h) for h in early.json()["hashes"]]
    merkle.verify_inclusion(3, 21, leaves[3], hashes, at_21)


async def test_an_entry_too_long_for_a_bundle_is_never_written(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    appender = Appender(session)
    appender.add("test.event", "thing/0", {"text": "x" * 70_000}, T0)
    with pytest.raises(ValueError, match="would not fit"):
        await appender.write()
    assert (await client.get("/api/v1/ledger/checkpoint")).text.split("\n")[1] == "0"
