"""Auctions over HTTP: approval, registration, bidding, proxies, priority, close, ledger."""

import hashlib
import json
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.accounts.policy import Principal
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.models.org import OrgKind
from techmarket.scheduler import CLOSE_AUCTIONS, FORFEIT_DEPOSITS
from techmarket.trading import bidding, closing
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key, rewind_ledger
from tests.trading.helpers import auction_terms, bid, open_auction

M = 100_000  # one increment


@pytest.fixture
async def university(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def test_a_full_auction(
    client: httpx.AsyncClient,
    session: AsyncSession,
    university: Account,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    trade = await open_auction(client, university, university, reserve_fen=1_500_000)
    assert trade["status"] == "open"
    assert trade["reserve_fen"] is None  # secret until close
    url = f"/api/v1/trades/{trade['id']}"
    a = await account(session, client)
    b = await account(session, client)
    outsider = await account(session, client)

    own = await client.post(f"{url}/registrations", headers=university.headers)
    assert own.json()["code"] == "own_trade"
    ra = (await client.post(f"{url}/registrations", headers=a.headers)).json()
    rb = (await client.post(f"{url}/registrations", headers=b.headers)).json()
    assert ra["alias"] != rb["alias"]
    assert ra["deposit_status"] == "held"

    early = await bid(client, a, trade["id"], 1_000_000)
    assert early.json()["code"] == "not_open"  # before the start
    clock.advance(timedelta(minutes=15))

    assert (await bid(client, outsider, trade["id"], 1_000_000)).json()["code"] == "not_registered"
    assert (await bid(client, university, trade["id"], 1_000_000)).json()["code"] == "own_trade"
    assert (await bid(client, a, trade["id"], 1_050_000)).json()["code"] == "invalid"
    first = await bid(client, a, trade["id"], 1_000_000, max_amount_fen=1_600_000)
    assert first.status_code == 200, first.text
    # b bids 1,200,000: a's maximum answers with the minimum needed.
    second = (await bid(client, b, trade["id"], 1_200_000)).json()
    assert [(x["alias"], x["amount_fen"], x["kind"]) for x in second["accepted"]] == [
        (rb["alias"], 1_200_000, "bid"),
        (ra["alias"], 1_300_000, "proxy"),
    ]
    assert second["leader_alias"] == ra["alias"]
    assert (await bid(client, b, trade["id"], 1_300_000)).json()["code"] == "too_low"
    third = (await bid(client, b, trade["id"], 1_700_000)).json()
    assert (third["leader_alias"], third["current_price_fen"]) == (rb["alias"], 1_700_000)

    public = (await client.get(url)).json()
    assert public["current_price_fen"] == 1_700_000
    assert public["leader_alias"] == rb["alias"]
    bids = (await client.get(f"{url}/bids")).json()["items"]
    # a's maximum (1,600,000) could not beat 1,700,000, so nothing was bid for it.
    assert [x["amount_fen"] for x in bids] == [1_000_000, 1_200_000, 1_300_000, 1_700_000]
    assert "org" not in json.dumps(bids)  # aliases only
    first = (await client.get(f"{url}/bids", params={"limit": 3})).json()
    rest = (await client.get(f"{url}/bids", params={"cursor": first["next_cursor"]})).json()
    assert [x["seq"] for x in first["items"] + rest["items"]] == [x["seq"] for x in bids]
    assert (len(first["items"]), rest["next_cursor"]) == (3, None)

    # Nothing closes before the end; after it, exactly once.
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 0
    clock.advance(timedelta(hours=1))
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 1
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 0
    await session.commit()
    closed = (await client.get(url)).json()
    assert closed["status"] == "sold"
    assert closed["buyer_org_id"] == b.org.id  # the deal's parties are known now
    assert closed["reserve_fen"] == 1_500_000
    commitment = hashlib.sha256(f"1500000:{closed['reserve_salt']}".encode()).hexdigest()
    assert commitment == closed["reserve_commitment"] == trade["reserve_commitment"]
    late = await bid(client, a, trade["id"], 1_800_000)
    assert late.json()["code"] == "closed"
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "in_trade"  # until the contract is recorded
    signed = await client.post(
        f"{url}/contract",
        json={"contract_number": "HT-1", "signed_on": "2026-12-01", "payment_terms": "lump_sum"},
        headers=university.headers,
    )
    assert signed.status_code == 201, signed.text
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "transferred"
    await _verify(client)


async def test_a_winner_who_does_not_sign_forfeits_the_deposit(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    url = f"/api/v1/trades/{trade['id']}"
    winner = await account(session, client)
    await client.post(f"{url}/registrations", headers=winner.headers)
    clock.advance(timedelta(minutes=15))
    await bid(client, winner, trade["id"], 1_000_000)
    clock.advance(timedelta(hours=1))
    await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS)
    clock.advance(timedelta(days=29))
    assert await scheduler.run(sessionmaker, clock, FORFEIT_DEPOSITS) == 0  # still within 30 days
    clock.advance(timedelta(days=1))
    assert await scheduler.run(sessionmaker, clock, FORFEIT_DEPOSITS) == 1
    assert await scheduler.run(sessionmaker, clock, FORFEIT_DEPOSITS) == 0
    await session.commit()
    defaulted = (await client.get(url)).json()
    assert defaulted["status"] == "defaulted"
    assert defaulted["reserve_salt"] is not None  # the close revealed it; it stays public
    seller = await account(session, client, org=seller.org)
    late = await client.post(
        f"{url}/contract",
        json={"contract_number": "HT-2", "signed_on": "2027-01-01", "payment_terms": "royalty"},
        headers=seller.headers,
    )
    assert late.json()["code"] == "not_a_deal"
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "published"  # on offer again
    await _verify(client)


async def test_unsold_below_the_reserve(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller, reserve_fen=5_000_000)
    buyer = await account(session, client)
    await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=buyer.headers)
    clock.advance(timedelta(minutes=15))
    assert (await bid(client, buyer, trade["id"], 1_000_000)).status_code == 200
    clock.advance(timedelta(hours=1))
    await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS)
    await session.commit()
    closed = (await client.get(f"/api/v1/trades/{trade['id']}")).json()
    assert closed["status"] == "unsold"
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "published"  # on offer again
    await _verify(client)


async def test_late_bids_extend_the_end(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    a, b = await account(session, client), await account(session, client)
    for who in (a, b):
        await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=who.headers)
    clock.advance(timedelta(minutes=58))  # two minutes before the end
    extended = (await bid(client, a, trade["id"], 1_000_000)).json()
    assert extended["ends_at"] == (clock.now() + timedelta(minutes=5)).isoformat().replace(
        "+00:00", "Z"
    )
    clock.advance(timedelta(minutes=3))  # past the original end, before the new one
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 0
    assert (await bid(client, b, trade["id"], 1_100_000)).status_code == 200
    clock.advance(timedelta(minutes=5))
    assert (await bid(client, a, trade["id"], 1_200_000)).json()["code"] == "closed"
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 0  # bids may wait
    clock.advance(closing.BID_GRACE)
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 1
    await session.commit()
    await _verify(client)


async def test_a_bid_received_before_the_end_and_placed_after_it_is_not_closed_out(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    a = await account(session, client)
    await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=a.headers)
    end = datetime.fromisoformat(trade["ends_at"])
    clock.advance(end - clock.now() + timedelta(seconds=1))  # the scheduler runs at end + 1 s
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 0
    received = end - timedelta(milliseconds=1)  # the bid that was waiting for the lock
    principal = Principal(user=a.user, org=a.org)
    placed = await bidding.place_bid(
        session, principal, trade["id"], 1_000_000, None, None, received, clock
    )
    assert placed["ends_at"] == (received + timedelta(minutes=5)).isoformat()
    await session.commit()
    await _verify(client)


async def test_priority_right_holder_matches(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    seller = await account(session, client)
    holder = await account(session, client)
    other = await account(session, client)
    trade = await open_auction(client, seller, priority_holder_org_ids=[holder.org.id])
    url = f"/api/v1/trades/{trade['id']}"
    reg = (await client.post(f"{url}/registrations", headers=holder.headers)).json()
    assert reg["priority_right"] is True
    await client.post(f"{url}/registrations", headers=other.headers)
    clock.advance(timedelta(minutes=15))
    await bid(client, other, trade["id"], 1_500_000)
    matched = (await bid(client, holder, trade["id"], 1_500_000)).json()
    assert matched["accepted"][0]["kind"] == "match"
    assert matched["leader_alias"] == reg["alias"]
    await _verify(client)


async def test_idempotent_retries(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    buyer = await account(session, client)
    await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=buyer.headers)
    clock.advance(timedelta(minutes=15))
    first = await bid(client, buyer, trade["id"], 1_000_000, key="req-1")
    again = await bid(client, buyer, trade["id"], 1_000_000, key="req-1")
    assert first.json() == again.json()
    bids = (await client.get(f"/api/v1/trades/{trade['id']}/bids")).json()["items"]
    assert len(bids) == 1
    refused = await bid(client, buyer, trade["id"], 900_000, key="req-2")
    assert refused.json()["code"] == "invalid"
    await bid(client, buyer, trade["id"], 2_000_000)  # the state moves on …
    retried = await bid(client, buyer, trade["id"], 900_000, key="req-2")
    assert retried.json()["code"] == "invalid"  # … a retry still gets its first answer


async def test_the_verifier_catches_a_forged_winner(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    a, b = await account(session, client), await account(session, client)
    url = f"/api/v1/trades/{trade['id']}"
    ra = (await client.post(f"{url}/registrations", headers=a.headers)).json()
    rb = (await client.post(f"{url}/registrations", headers=b.headers)).json()
    clock.advance(timedelta(minutes=15))
    await bid(client, a, trade["id"], 1_000_000)
    await bid(client, b, trade["id"], 1_100_000)
    clock.advance(timedelta(hours=1))
    await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS)
    await session.commit()
    await _verify(client)

    # Rewrite the close so that the lower bidder wins, re-hashing everything after it
    # (a consistent, correctly hashed forgery): the business-rule replay must object.
    lines = await export_lines(client)
    closed_at = next(i for i, line in enumerate(lines) if "trade.closed" in line)
    body = json.loads(json.loads(lines[closed_at])["canonical"])
    assert body["data"]["winner_alias"] == rb["alias"]
    await rewind_ledger(session, closed_at)
    forged = {**body["data"], "winner_alias": ra["alias"], "final_price_fen": 1_000_000}
    await ledger.append(
        session,
        "trade.closed",
        body["subject"],
        forged,
        datetime.fromisoformat(body["ts"].replace("Z", "+00:00")),
    )
    await session.commit()
    with pytest.raises(VerificationFailed, match="close recorded") as caught:
        await _verify(client)
    assert caught.value.index == closed_at


async def test_relisting_after_no_sale_starts_at_most_20_percent_lower(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller, reserve_fen=9_000_000)
    clock.advance(timedelta(hours=2))
    await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS)  # no bids: 流拍
    await session.commit()
    seller = await account(session, client, org=seller.org)
    later = {
        "registration_deadline": (clock.now() + timedelta(hours=1)).isoformat(),
        "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
    }
    too_low = await client.post(
        "/api/v1/trades",
        json=auction_terms(trade["achievement_id"], start_price_fen=799_900, **later),
        headers=seller.headers,
    )
    assert too_low.json()["code"] == "relist_too_low"
    relisted = await client.post(
        "/api/v1/trades",
        json=auction_terms(trade["achievement_id"], start_price_fen=800_000, **later),
        headers=seller.headers,
    )
    assert relisted.status_code == 201, relisted.text


async def test_a_declined_trade_between_does_not_lower_the_relisting_floor(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller = await account(session, client, kind=OrgKind.university, roles=("member",))
    tto = await account(session, client, roles=("tto",), org=seller.org)
    trade = await open_auction(client, seller, tto, reserve_fen=9_000_000)
    clock.advance(timedelta(hours=2))
    await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS)  # no bids: 流拍 at 1,000,000
    await session.commit()
    seller = await account(session, client, kind=OrgKind.university, org=seller.org)
    tto = await account(session, client, roles=("tto",), org=seller.org)
    later = {
        "registration_deadline": (clock.now() + timedelta(hours=1)).isoformat(),
        "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
    }
    achievement_id = trade["achievement_id"]
    declined = await client.post(
        "/api/v1/trades",
        json=auction_terms(achievement_id, start_price_fen=800_000, **later),
        headers=seller.headers,
    )
    url = f"/api/v1/trades/{declined.json()['id']}"
    assert (await client.post(f"{url}/reject", headers=tto.headers)).status_code == 200
    again = await client.post(f"{url}/approve", headers=tto.headers)
    assert (again.status_code, again.json()["code"]) == (409, "not_pending_approval")
    too_low = await client.post(
        "/api/v1/trades",
        json=auction_terms(achievement_id, start_price_fen=700_000, **later),
        headers=seller.headers,
    )
    assert (too_low.status_code, too_low.json()["code"]) == (422, "relist_too_low")
