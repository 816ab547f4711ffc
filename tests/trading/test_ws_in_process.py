"""The auction websocket in the test process (ASGI, no server, no broadcaster): a request
sent twice is placed once, a resume sends exactly the missed events in order, and a token
may come as the first message."""

from datetime import timedelta
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.clock import FixedClock
from tests.factories import Account, account
from tests.trading.conftest import InProcess
from tests.trading.helpers import bid, open_auction

M = 100_000  # one increment


async def _bidding(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, bidders: int
) -> tuple[dict[str, Any], list[Account]]:
    trade = await open_auction(client, await account(session, client))
    registered = [await account(session, client) for _ in range(bidders)]
    for bidder in registered:
        answer = await client.post(
            f"/api/v1/trades/{trade['id']}/registrations", headers=bidder.headers
        )
        assert answer.status_code == 201, answer.text
    clock.advance(timedelta(minutes=15))
    return trade, registered


async def test_a_request_sent_twice_is_placed_once_and_answered_alike(
    in_process: InProcess, clock: FixedClock, session: AsyncSession
) -> None:
    async with in_process() as client:
        trade, (bidder,) = await _bidding(client, session, clock, 1)
        start = trade["terms"]["start_price_fen"]
        url = f"/ws/trades/{trade['id']}?token={bidder.token}"
        request = {"type": "bid", "request_id": "once", "amount_fen": start}
        async with aconnect_ws(url, client) as ws:
            await ws.receive_json(timeout=5)  # the snapshot
            await ws.send_json(request)
            first = await ws.receive_json(timeout=5)
        async with aconnect_ws(url, client) as ws:  # a reconnecting client retries
            await ws.receive_json(timeout=5)
            await ws.send_json(request)
            again = await ws.receive_json(timeout=5)
        bids = (await client.get(f"/api/v1/trades/{trade['id']}/bids")).json()
    assert first["type"] == "ack"
    assert again == first
    assert [b["amount_fen"] for b in bids["items"]] == [start]


async def test_a_resume_sends_exactly_the_missed_events_in_order_before_later_replies(
    in_process: InProcess, clock: FixedClock, session: AsyncSession
) -> None:
    async with in_process() as client:
        trade, (a, b) = await _bidding(client, session, clock, 2)
        start = trade["terms"]["start_price_fen"]
        assert (await bid(client, a, trade["id"], start, max_amount_fen=start + 5 * M)).is_success
        clock.advance(timedelta(minutes=44))  # within the last extension period from here
        assert (await bid(client, b, trade["id"], start + 2 * M)).is_success  # a answers
        assert (await bid(client, b, trade["id"], start + 6 * M)).is_success
        async with aconnect_ws(f"/ws/trades/{trade['id']}", client) as ws:
            snapshot = await ws.receive_json(timeout=5)
            await ws.send_json({"type": "resume", "after_seq": 1})
            await ws.send_text("{not json")  # its error is answered after the resume
            sent = []
            while (msg := await ws.receive_json(timeout=5))["type"] != "error":
                sent.append(msg)
        placed = (await client.get(f"/api/v1/trades/{trade['id']}/bids")).json()["items"]
    seqs = [m["seq"] for m in sent]
    assert seqs == sorted(set(seqs)) and seqs[-1] == snapshot["seq"]
    assert {m["type"] for m in sent} == {"bid", "extended"}
    assert [(m["amount_fen"], m["bidder_alias"]) for m in sent if m["type"] == "bid"] == [
        (p["amount_fen"], p["alias"]) for p in placed
    ]
    assert placed[-1]["alias"] == snapshot["leader_alias"]


async def test_a_token_may_come_as_the_first_message(
    in_process: InProcess, clock: FixedClock, session: AsyncSession
) -> None:
    async with in_process() as client:
        trade, (bidder,) = await _bidding(client, session, clock, 1)
        start = trade["terms"]["start_price_fen"]
        async with aconnect_ws(f"/ws/trades/{trade['id']}", client) as ws:
            snapshot = await ws.receive_json(timeout=5)
            await ws.send_json({"type": "bid", "request_id": "early", "amount_fen": start})
            early = await ws.receive_json(timeout=5)
            await ws.send_json({"type": "auth", "token": "not a token"})
            wrong = await ws.receive_json(timeout=5)
            await ws.send_json({"type": "auth", "token": bidder.token})
            you = await ws.receive_json(timeout=5)
            await ws.send_json({"type": "bid", "request_id": "now", "amount_fen": start})
            placed = await ws.receive_json(timeout=5)
    assert snapshot["you"] == {"registered": False, "alias": None}
    assert (early["type"], early["code"]) == ("error", "unauthorized")
    assert (wrong["type"], wrong["code"]) == ("error", "unauthorized")
    assert you["type"] == "you" and you["registered"] is True and you["alias"]
    assert (placed["type"], placed["request_id"]) == ("ack", "now")
