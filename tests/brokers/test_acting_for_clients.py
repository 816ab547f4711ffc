"""A broker acts for a client within a mandate, through the same doors as the client
(HTTP and the websocket), and is refused outside it or once it is revoked; the deal
records the broker's contribution, from which its score is computed."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.brokers import rules
from techmarket.clock import FixedClock
from techmarket.ledger import commitment
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_export
from techmarket.models.org import Organisation, OrgKind, OrgStatus
from techmarket.models.trade import Bid, Registration
from techmarket.scheduler import CLOSE_AUCTIONS
from tests.brokers.helpers import Agency, acting, agency, mandate
from tests.conftest import START
from tests.factories import Account, account
from tests.ledger.helpers import body, export_lines, public_key
from tests.listings.fixtures import achievement
from tests.trading.conftest import InProcess
from tests.trading.helpers import bid, open_auction

STEP = 100_000


async def _auction_with_mandate(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[dict[str, Any], Account, Agency, dict[str, Any]]:
    """An open auction, a client (an enterprise) and an agency whose broker holds the
    client's accepted mandate to register and bid on it."""
    trade = await open_auction(client, await account(session, client))
    buyer = await account(session, client)
    broker = await agency(session, client)
    given = await mandate(client, buyer, broker, "trade", trade["id"], ["register_and_bid"])
    assert given["in_force"] is True
    return trade, buyer, broker, given


async def _bid_ws(ws: Any, request_id: str, amount: int) -> dict[str, Any]:
    await ws.send_json({"type": "bid", "request_id": request_id, "amount_fen": amount})
    return dict(await ws.receive_json(timeout=5))


async def test_a_broker_bids_for_its_client_and_the_deal_records_and_scores_it(
    in_process: InProcess,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    async with in_process() as client:
        trade, buyer, broker, given = await _auction_with_mandate(client, session)
        url = f"/api/v1/trades/{trade['id']}"
        as_client = acting(broker.broker, given["id"])
        registered = await client.post(f"{url}/registrations", headers=as_client)
        assert registered.status_code == 201, registered.text
        rival = await account(session, client)
        assert (await client.post(f"{url}/registrations", headers=rival.headers)).status_code == 201
        clock.advance(timedelta(minutes=15))

        start = trade["terms"]["start_price_fen"]
        placed = await bid(client, broker.broker, trade["id"], start, **{})
        assert placed.json()["code"] == "not_registered"  # for itself, the agency is not
        placed = await client.post(f"{url}/bids", json={"amount_fen": start}, headers=as_client)
        assert placed.status_code == 200, placed.text
        assert (await bid(client, rival, trade["id"], start + STEP)).status_code == 200
        ws_url = f"/ws/trades/{trade['id']}?token={broker.broker.token}&mandate={given['id']}"
        async with aconnect_ws(ws_url, client) as ws:
            snapshot = await ws.receive_json(timeout=5)
            assert snapshot["you"]["alias"] == registered.json()["alias"]  # the client's
            answer = await _bid_ws(ws, "b2", start + 2 * STEP)
            assert answer["type"] == "ack", answer

        # Both the client (whose registration and bids they are) and the broker are on record.
        rows = (await session.execute(select(Registration).where(
            Registration.trade_id == trade["id"], Registration.org_id == buyer.org.id
        ))).scalars().all()  # fmt: skip
        assert [(r.broker_user_id, r.mandate_id) for r in rows] == [
            (broker.broker.user.id, given["id"])
        ]
        bids = (await session.execute(select(Bid).where(Bid.trade_id == trade["id"]))).scalars()
        assert [(b.amount_fen, b.broker_user_id) for b in bids] == [
            (start, broker.broker.user.id),
            (start + STEP, None),
            (start + 2 * STEP, broker.broker.user.id),
        ]

        clock.advance(timedelta(hours=1))
        assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 1
        await session.commit()
        assert (await client.get(url)).json()["buyer_org_id"] == buyer.org.id

        record = (await client.get(f"/api/v1/brokers/{broker.broker.user.id}/record")).json()
        final_yuan = (start + 2 * STEP) / 100
        # The README's formula: share × (10 + log10(yuan)) × role weight × feedback factor.
        assert record["deals"] == 1
        assert record["volume_fen"] == start + 2 * STEP
        assert record["roles"] == {"register_and_bid": 1}
        assert record["score"] == round(1.0 * (10 + math.log10(final_yuan)) * 1.0, 2)
        listed = await client.get(f"/api/v1/brokers/{broker.broker.user.id}/contributions")
        [contribution] = listed.json()["items"]
        assert contribution["share_pct"] == 100

        rated = await client.post(
            f"/api/v1/contributions/{contribution['id']}/rating",
            json={"rating": 5},
            headers=buyer.headers,
        )
        assert rated.status_code == 200, rated.text
        again = (await client.get(f"/api/v1/brokers/{broker.broker.user.id}/record")).json()
        assert again["score"] == round((10 + math.log10(final_yuan)) * 1.2, 2)
        assert again["average_rating"] == 5
        agency_record = (await client.get(f"/api/v1/agencies/{broker.admin.org.id}/record")).json()
        assert agency_record["score"] == again["score"]
        # The deal's page names who served it; the agency's page shows its record.
        deal_page = (await client.get(f"/deals/{trade['id']}")).text
        assert f'href="/brokers/{broker.broker.user.id}"' in deal_page
        assert f'href="/agencies/{broker.admin.org.id}"' in deal_page
        agency_page = (await client.get(f"/agencies/{broker.admin.org.id}")).text
        assert f"{again['score']:.2f}" in agency_page

        operator = await account(session, client, kind=OrgKind.operator)
        exported = await client.get("/api/v1/contributions.csv", headers=operator.headers)
        assert exported.headers["content-type"].startswith("text/csv")
        rows = {r["broker_user_id"]: r for r in csv.DictReader(io.StringIO(exported.text))}
        mine = rows[str(broker.broker.user.id)]
        assert (mine["deals"], mine["score"]) == ("1", f"{again['score']:.2f}")
        refused = await client.get("/api/v1/contributions.csv", headers=buyer.headers)
        assert refused.json()["code"] == "operator_only"

        lines = await export_lines(client)
        entries = [body(line) for line in lines if '"canonical"' in line]
        by_broker = [
            b for b in entries
            if isinstance(b["data"], dict) and b["data"].get("broker_user_id")
        ]  # fmt: skip
        assert [b["type"] for b in by_broker] == [
            "trade.registered",
            "trade.bid_accepted",
            "trade.bid_accepted",
        ]
        mandate_entry = next(b for b in entries if b["type"] == "mandate.offered")
        # The client and the fee are committed to, not named.
        assert isinstance(mandate_entry["data"], dict)
        assert buyer.org.id not in mandate_entry["data"].values()
        assert "2%" not in str(mandate_entry["data"])
        # ... which the parties may open, with the salts their mandate shows them.
        assert mandate_entry["data"]["client_commitment"] == commitment.commit(
            buyer.org.id, given["salt"]
        )
        assert mandate_entry["data"]["fee_commitment"] == rules.fee_commitment(
            "成交价的 2%", given["fee_salt"]
        )
        verify_export(lines, Verifier.parse(await public_key(client)), rule_books=rule_books())


async def test_a_broker_is_refused_outside_its_mandate(
    in_process: InProcess, session: AsyncSession, clock: FixedClock
) -> None:
    async with in_process() as client:
        trade, buyer, broker, given = await _auction_with_mandate(client, session)
        other = await open_auction(client, await account(session, client))
        as_client = acting(broker.broker, given["id"])

        wrong_trade = await client.post(
            f"/api/v1/trades/{other['id']}/registrations", headers=as_client
        )
        assert (wrong_trade.status_code, wrong_trade.json()["code"]) == (
            403,
            "outside_mandate_object",
        )
        # An agency's admin is no broker; another agency's broker holds no mandate of it.
        stranger = await agency(session, client)
        url = f"/api/v1/trades/{trade['id']}/registrations"
        for who in (broker.admin, stranger.broker, stranger.admin):
            refused = await client.post(url, headers=acting(who, given["id"]))
            assert (refused.status_code, refused.json()["code"]) == (403, "no_mandate")

        offered = await mandate(
            client, buyer, broker, "trade", other["id"], ["register_and_bid"], accept=False
        )
        not_yet = await client.post(
            f"/api/v1/trades/{other['id']}/registrations",
            headers=acting(broker.broker, offered["id"]),
        )
        assert not_yet.json()["code"] == "mandate_not_accepted"

        responding = await mandate(client, buyer, broker, "trade", trade["id"], ["respond"])
        wrong_scope = await client.post(url, headers=acting(broker.broker, responding["id"]))
        assert wrong_scope.json()["code"] == "outside_mandate_scope"

        brief = await mandate(
            client, buyer, broker, "trade", trade["id"], ["register_and_bid"],
            valid_until=(START + timedelta(hours=2)).isoformat(),
        )  # fmt: skip
        clock.advance(timedelta(hours=2))
        expired = await client.post(url, headers=acting(broker.broker, brief["id"]))
        assert expired.json()["code"] == "mandate_expired"
        shown = await client.get(f"/api/v1/mandates/{brief['id']}", headers=buyer.headers)
        assert shown.json()["in_force"] is False


async def test_a_revoked_mandate_stops_the_next_bid_on_an_open_socket_and_over_http(
    in_process: InProcess, session: AsyncSession, clock: FixedClock
) -> None:
    async with in_process() as client:
        trade, buyer, broker, given = await _auction_with_mandate(client, session)
        url = f"/api/v1/trades/{trade['id']}"
        as_client = acting(broker.broker, given["id"])
        assert (await client.post(f"{url}/registrations", headers=as_client)).status_code == 201
        clock.advance(timedelta(minutes=15))
        start = trade["terms"]["start_price_fen"]
        ws_url = f"/ws/trades/{trade['id']}?token={broker.broker.token}&mandate={given['id']}"
        async with aconnect_ws(ws_url, client) as ws:
            await ws.receive_json(timeout=5)
            assert (await _bid_ws(ws, "first", start))["type"] == "ack"

            revoked = await client.post(
                f"/api/v1/mandates/{given['id']}/revoke", headers=buyer.headers
            )
            assert revoked.status_code == 200, revoked.text

            answer = await _bid_ws(ws, "after", start + STEP)
            assert (answer["type"], answer["code"]) == ("error", "mandate_revoked")
        over_http = await client.post(
            f"{url}/bids", json={"amount_fen": start + STEP}, headers=as_client
        )
        assert (over_http.status_code, over_http.json()["code"]) == (403, "mandate_revoked")
        assert (await client.get(url)).json()["current_price_fen"] == start
        # The client itself still bids.
        assert (await bid(client, buyer, trade["id"], start + STEP)).status_code == 200


async def test_a_broker_sees_nothing_of_its_client_beyond_the_mandate(
    in_process: InProcess, session: AsyncSession
) -> None:
    async with in_process() as client:
        trade, buyer, broker, given = await _auction_with_mandate(client, session)
        draft = await client.post("/api/v1/achievements", json=achievement(), headers=buyer.headers)
        assert draft.status_code == 201, draft.text
        as_client = acting(broker.broker, given["id"])
        users = await client.get(f"/api/v1/orgs/{buyer.org.id}/users", headers=as_client)
        assert (users.status_code, users.json()["code"]) == (403, "outside_mandate_scope")
        mandates = await client.get("/api/v1/mandates", headers=as_client)
        assert mandates.json()["code"] == "outside_mandate_scope"
        url = f"/api/v1/achievements/{draft.json()['id']}"
        assert (await client.get(url, headers=buyer.headers)).status_code == 200  # the client's
        assert (await client.get(url, headers=as_client)).status_code == 404
        # Within the mandate: the trade, as anyone sees it.
        assert (await client.get(f"/api/v1/trades/{trade['id']}", headers=as_client)).is_success


async def test_the_brokers_of_an_agency_no_longer_verified_act_for_nobody(
    in_process: InProcess, session: AsyncSession
) -> None:
    async with in_process() as client:
        trade, _, broker, given = await _auction_with_mandate(client, session)
        await session.execute(
            update(Organisation)
            .where(Organisation.id == broker.admin.org.id)
            .values(status=OrgStatus.suspended)
        )
        await session.commit()
        refused = await client.post(
            f"/api/v1/trades/{trade['id']}/registrations",
            headers=acting(broker.broker, given["id"]),
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "org_not_verified")
