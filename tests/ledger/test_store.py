"""The ledger stored in PostgreSQL, through its public API."""

import base64

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.clock import FixedClock
from techmarket.ledger import merkle
from techmarket.ledger import service as ledger
from techmarket.ledger.checkpoint import Checkpoint
from techmarket.ledger.note import Verifier, open_note
from techmarket.models.ledger import LedgerEntry
from techmarket.models.org import OrgKind, OrgStatus
from tests.factories import account, make_org, make_user
from tests.ledger.helpers import T0, public_key, seed


async def _checkpoint(client: httpx.AsyncClient) -> Checkpoint:
    note = (await client.get("/api/v1/ledger/checkpoint")).text
    return Checkpoint.parse(open_note(note, Verifier.parse(await public_key(client))))


async def test_entries_form_a_hash_chain(client: httpx.AsyncClient, session: AsyncSession) -> None:
    assert await seed(session, 5) == [0, 1, 2, 3, 4]
    entries = (await client.get("/api/v1/ledger/entries", params={"limit": 10})).json()["entries"]
    assert [e["index"] for e in entries] == [0, 1, 2, 3, 4]
    prev = "0" * 64
    for e in entries:
        raw = e["canonical"].encode()
        assert e["leaf_hash"] == merkle.leaf_hash(raw).hex()
        assert body_of(e)["prev"] == prev
        assert set(body_of(e)) == {"v", "index", "ts", "type", "subject", "data", "prev"}
        prev = e["leaf_hash"]
    assert body_of(entries[0])["ts"] == "2026-11-23T08:00:00.000000Z"
    assert body_of(entries[0])["data"] == {"n": 0, "名称": "测试"}

    page = (await client.get("/api/v1/ledger/entries", params={"start": 3, "limit": 1})).json()
    assert [e["index"] for e in page["entries"]] == [3]
    one = await client.get("/api/v1/ledger/entries/4")
    assert one.json() == entries[4]
    missing = await client.get("/api/v1/ledger/entries/5")
    assert missing.status_code == 404
    assert missing.json()["code"] == "ledger_entry_not_found"


def body_of(entry: dict[str, str]) -> dict[str, object]:
    import json

    return dict(json.loads(entry["canonical"]))


async def test_every_proof_verifies_against_signed_checkpoints(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 21)
    first = await _checkpoint(client)
    await seed(session, 16, start=21)
    second = await _checkpoint(client)
    assert (first.size, second.size) == (21, 37)

    entries = (await client.get("/api/v1/ledger/entries", params={"limit": 100})).json()
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in entries["entries"]]
    for index in range(second.size):
        proof = (
            await client.get(
                "/api/v1/ledger/proofs/inclusion", params={"index": index, "tree_size": 37}
            )
        ).json()
        assert proof["index"] == index
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        merkle.verify_inclusion(index, 37, leaves[index], hashes, second.root)

    consistency = (
        await client.get("/api/v1/ledger/proofs/consistency", params={"first": 21, "second": 37})
    ).json()
    assert (consistency["first"], consistency["second"]) == (21, 37)
    hashes = [bytes.fromhex(h) for h in consistency["hashes"]]
    merkle.verify_consistency(21, 37, first.root, second.root, hashes)


async def test_proof_requests_out_of_range_are_clear_errors(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 4)
    too_big = await client.get(
        "/api/v1/ledger/proofs/inclusion", params={"index": 0, "tree_size": 5}
    )
    assert too_big.status_code == 422
    assert too_big.json()["code"] == "invalid_tree_size"
    outside = await client.get(
        "/api/v1/ledger/proofs/inclusion", params={"index": 4, "tree_size": 4}
    )
    assert (outside.status_code, outside.json()["code"]) == (422, "invalid_proof_range")
    from_zero = await client.get(
        "/api/v1/ledger/proofs/consistency", params={"first": 0, "second": 4}
    )
    assert from_zero.status_code == 422
    backwards = await client.get(
        "/api/v1/ledger/proofs/consistency", params={"first": 4, "second": 3}
    )
    assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid_proof_range")


async def test_one_checkpoint_per_size(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    await seed(session, 3)
    first = (await client.get("/api/v1/ledger/checkpoint")).text
    from datetime import timedelta

    clock.advance(timedelta(hours=1))
    assert (await client.get("/api/v1/ledger/checkpoint")).text == first
    lines = first.split("\n")
    assert lines[0] == "techmarket.example/ledger"
    assert lines[1] == "3"
    assert lines[3] == ""
    assert lines[4].startswith("\u2014 techmarket.example/ledger ")
    assert base64.b64decode(lines[2]) == merkle.root_from_leaves(
        [e.leaf_hash for e in (await session.execute(select(LedgerEntry))).scalars()]
    )


async def test_empty_ledger_has_a_checkpoint(client: httpx.AsyncClient) -> None:
    checkpoint = await _checkpoint(client)
    assert checkpoint.size == 0
    assert checkpoint.root == merkle.EMPTY_ROOT


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET type = 'forged' WHERE idx = 0",
        "DELETE FROM ledger_entries WHERE idx = 0",
        "TRUNCATE ledger_entries",
        "UPDATE ledger_nodes SET hash = hash WHERE level = 0",
        "DELETE FROM ledger_checkpoints",
    ],
)
async def test_the_database_refuses_changes_to_the_ledger(
    session: AsyncSession, client: httpx.AsyncClient, statement: str
) -> None:
    await seed(session, 2)
    await client.get("/api/v1/ledger/checkpoint")
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement))


async def _operator_and_pending(session: AsyncSession) -> tuple[Principal, int]:
    operator_org = await make_org(session, OrgKind.operator)
    operator = await make_user(session, operator_org)
    pending = await make_org(session, status=OrgStatus.pending)
    await session.commit()
    return Principal(user=operator, org=operator_org), pending.id


async def test_ledger_entry_and_change_commit_together(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed.begin() as session:
        principal, org_id = await _operator_and_pending(session)
    async with committed.begin() as session:
        _, index = await accounts.review(session, principal, org_id, OrgStatus.verified, None, T0)
    async with committed() as session:
        org = await accounts.load_org(session, org_id)
        entry = await ledger.get_entry(session, index)
    assert org.status == OrgStatus.verified
    assert entry.type == "org.verified"
    assert entry.subject == f"org/{org_id}"


async def test_ledger_entry_and_change_roll_back_together(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed.begin() as session:
        principal, org_id = await _operator_and_pending(session)
    with pytest.raises(RuntimeError):
        async with committed.begin() as session:
            await accounts.review(session, principal, org_id, OrgStatus.verified, None, T0)
            raise RuntimeError("the request failed after the review")
    async with committed() as session:
        org = await accounts.load_org(session, org_id)
        count = await session.scalar(text("SELECT count(*) FROM ledger_entries"))
        size = await session.scalar(text("SELECT size FROM ledger_head"))
    assert org.status == OrgStatus.pending
    assert (count, size) == (0, 0)


async def test_org_review_response_carries_its_ledger_entry(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    operator = await account(session, client, kind=OrgKind.operator)
    pending = await account(session, client, status=OrgStatus.pending)
    reviewed = await client.post(f"/api/v1/orgs/{pending.org.id}/verify", headers=operator.headers)
    index = reviewed.json()["ledger_index"]
    entry = (await client.get(f"/api/v1/ledger/entries/{index}")).json()
    import json

    recorded = json.loads(entry["canonical"])
    assert recorded["type"] == "org.verified"
    assert recorded["subject"] == f"org/{pending.org.id}"
    assert recorded["data"]["from"] == "pending"
    assert recorded["data"]["credit_code"] == pending.org.credit_code
    assert recorded["data"]["by_user_id"] == operator.user.id


async def test_no_proof_for_a_tree_larger_than_the_log(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 4)
    for params in ({"index": 4, "tree_size": 5}, {"index": 0, "tree_size": 5}):
        response = await client.get("/api/v1/ledger/proofs/inclusion", params=params)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_tree_size"
    equal = await client.get("/api/v1/ledger/proofs/consistency", params={"first": 5, "second": 5})
    assert equal.json()["code"] == "invalid_tree_size"
    ok = await client.get("/api/v1/ledger/proofs/consistency", params={"first": 4, "second": 4})
    assert ok.json()["hashes"] == []
