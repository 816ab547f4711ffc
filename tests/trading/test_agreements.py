"""Agreement pricing: offers, acceptance, public notice, objections, conclusion, ledger."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.models.org import OrgKind
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from tests.factories import Account, account
from tests.ledger.helpers import T0, export_lines, public_key
from tests.listings.helpers import published_achievement, published_demand


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def _negotiation(
    client: httpx.AsyncClient, seller: Account, buyer: Account
) -> dict[str, Any]:
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={
            "mode": "agreement",
            "achievement_id": listed["id"],
            "buyer_org_id": buyer.org.id,
            "asking_price_fen": 1_000_000,
        },
        headers=seller.headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


@pytest.fixture
async def parties(client: httpx.AsyncClient, session: AsyncSession) -> tuple[Account, Account]:
    return await account(session, client), await account(session, client)


async def test_offers_notice_objection_dismissed_and_conclusion(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    parties: tuple[Account, Account],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, buyer = parties
    trade = await _negotiation(client, seller, buyer)
    assert (trade["status"], trade["buyer_org_id"]) == ("open", buyer.org.id)
    url = f"/api/v1/trades/{trade['id']}"
    outsider = await account(session, client)
    refused = await client.post(f"{url}/offers", json={"price_fen": 1}, headers=outsider.headers)
    assert refused.json()["code"] == "not_your_org"

    nothing = await client.post(f"{url}/accept", headers=buyer.headers)
    assert nothing.json()["code"] == "no_offer_to_accept"
    await client.post(f"{url}/offers", json={"price_fen": 1_000_000}, headers=seller.headers)
    counter = await client.post(
        f"{url}/offers", json={"price_fen": 800_000, "note": "还价"}, headers=buyer.headers
    )
    assert counter.status_code == 201
    own = await client.post(f"{url}/accept", headers=buyer.headers)
    assert (own.status_code, own.json()["code"]) == (409, "own_offer")
    accepted = (await client.post(f"{url}/accept", headers=seller.headers)).json()
    assert accepted["status"] == "notice"
    assert accepted["current_price_fen"] == 800_000
    assert accepted["notice_ends_at"] == (clock.now() + timedelta(days=15)).isoformat().replace(
        "+00:00", "Z"
    )

    board = (await client.get("/api/v1/notices")).json()["items"]
    assert [(n["trade_id"], n["price_fen"], n["seller"], n["buyer"]) for n in board] == [
        (trade["id"], 800_000, seller.org.name, buyer.org.name)
    ]
    objection = await client.post(
        f"{url}/objections", json={"reasons": "权属存在争议"}, headers=outsider.headers
    )
    assert objection.status_code == 201
    oid = objection.json()["objection_id"]
    not_operator = await client.post(f"{url}/objections/{oid}/dismiss", headers=seller.headers)
    assert not_operator.status_code == 403

    clock.advance(timedelta(days=15))
    assert (
        await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 0
    )  # an objection is open
    operator = await account(session, client, kind=OrgKind.operator)
    dismissed = await client.post(f"{url}/objections/{oid}/dismiss", headers=operator.headers)
    assert dismissed.json()["status"] == "notice"
    again = await client.post(f"{url}/objections/{oid}/uphold", headers=operator.headers)
    assert (again.status_code, again.json()["code"]) == (409, "objection_ruled")
    latecomer = await account(session, client)  # logs in after the notice ended
    late = await client.post(
        f"{url}/objections", json={"reasons": "迟到的异议"}, headers=latecomer.headers
    )
    assert late.json()["code"] == "not_on_notice"
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 1
    await session.commit()
    done = (await client.get(url)).json()
    assert done["status"] == "sold"
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "in_trade"  # transferred once the contract is recorded
    await _verify(client)


async def test_an_upheld_objection_cancels_the_trade(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    parties: tuple[Account, Account],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, buyer = parties
    trade = await _negotiation(client, seller, buyer)
    url = f"/api/v1/trades/{trade['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 900_000}, headers=buyer.headers)
    await client.post(f"{url}/accept", headers=seller.headers)
    objector = await account(session, client)
    oid = (
        await client.post(
            f"{url}/objections", json={"reasons": "价格明显偏低"}, headers=objector.headers
        )
    ).json()["objection_id"]
    operator = await account(session, client, kind=OrgKind.operator)
    upheld = await client.post(f"{url}/objections/{oid}/uphold", headers=operator.headers)
    assert upheld.json()["status"] == "cancelled"
    clock.advance(timedelta(days=16))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 0
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "published"
    await _verify(client)


async def test_a_trade_from_an_accepted_response(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    enterprise = await account(session, client, kind=OrgKind.enterprise)
    institute = await account(session, client, kind=OrgKind.institute, roles=("admin", "tto"))
    listed = await published_achievement(client, institute, approver=institute)
    demand = await published_demand(client, enterprise)
    url = f"/api/v1/demands/{demand['id']}/responses"
    response = (
        await client.post(
            url,
            json={"text": "方案", "quoted_price_fen": 700_000, "achievement_ids": [listed["id"]]},
            headers=institute.headers,
        )
    ).json()
    early = await client.post(f"{url}/{response['id']}/trade", headers=institute.headers)
    assert (early.status_code, early.json()["code"]) == (409, "response_not_accepted")
    await client.post(f"{url}/{response['id']}/accept", headers=enterprise.headers)
    opened = await client.post(f"{url}/{response['id']}/trade", headers=institute.headers)
    assert opened.status_code == 201, opened.text
    trade = opened.json()
    assert trade["status"] == "pending_approval"  # an institute: its TTO approves first
    assert (trade["buyer_org_id"], trade["terms"]["asking_price_fen"]) == (
        enterprise.org.id,
        700_000,
    )
    assert (
        await client.post(f"/api/v1/trades/{trade['id']}/approve", headers=institute.headers)
    ).json()["status"] == "open"


async def test_the_tto_may_decline_a_trade(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    university = await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))
    buyer = await account(session, client)
    listed = await published_achievement(client, university, approver=university)
    created = (
        await client.post(
            "/api/v1/trades",
            json={
                "mode": "agreement",
                "achievement_id": listed["id"],
                "buyer_org_id": buyer.org.id,
            },
            headers=university.headers,
        )
    ).json()
    assert created["status"] == "pending_approval"
    assert (await client.get(f"/api/v1/trades/{created['id']}")).status_code == 404
    rejected = await client.post(
        f"/api/v1/trades/{created['id']}/reject",
        json={"reason": "价格低于评估值"},
        headers=university.headers,
    )
    assert rejected.json()["status"] == "rejected"
    index = rejected.json()["ledger_index"]
    assert index is not None  # the TTO's decision is on the ledger
    again = (await client.get(f"/api/v1/achievements/{listed['id']}")).json()
    assert again["status"] == "published"
    # Why, and by whom, is in the achievement's history; the public ledger keeps it out.
    history = await client.get(
        f"/api/v1/achievements/{listed['id']}/history", headers=university.headers
    )
    last = history.json()[-1]
    assert (last["by_user_id"], last["reason"]) == (
        university.user.id,
        "trade declined: 价格低于评估值",
    )
    entry = (await client.get(f"/api/v1/ledger/entries/{index}")).json()
    assert "价格低于评估值" not in entry["canonical"]
    await _verify(client)


async def test_the_verifier_catches_a_notice_cut_short(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Correctly hashed entries that conclude a deal before its notice ran in full."""
    subject = "trade/99"
    events: list[tuple[str, dict[str, Any], timedelta]] = [
        (
            "trade.opened",
            {
                "mode": "agreement",
                "seller_org_id": 1,
                "buyer_org_id": 2,
                "achievement_id": 1,
                "terms": {},
                "reserve_commitment": "",
            },
            timedelta(0),
        ),
        ("trade.offer", {"offer_id": 1, "org_id": 2, "price_fen": 500}, timedelta(0)),
        ("trade.accepted", {"offer_id": 1, "by_org_id": 1, "price_fen": 500}, timedelta(0)),
        (
            "trade.notice_opened",
            {
                "price_fen": 500,
                "notice_days": 15,
                "notice_ends_at": (T0 + timedelta(days=15)).isoformat(),
            },
            timedelta(0),
        ),
        ("trade.concluded", {"price_fen": 500}, timedelta(days=3)),
    ]
    for seq, (kind, data, after) in enumerate(events, start=1):
        await ledger.append(
            session, kind, subject, {"trade_id": 99, "seq": seq, **data}, T0 + after
        )
    await session.commit()
    with pytest.raises(VerificationFailed, match="before the notice ran in full") as caught:
        await _verify(client)
    assert caught.value.index == 4


async def test_a_deal_gets_its_contract_and_registration_and_counts(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    parties: tuple[Account, Account],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seller, buyer = parties
    trade = await _negotiation(client, seller, buyer)
    url = f"/api/v1/trades/{trade['id']}"
    contract = {
        "contract_number": "ZJ-2026-0001",
        "signed_on": "2026-12-10",
        "payment_terms": "free_then_royalty",
    }
    early = await client.post(f"{url}/contract", json=contract, headers=seller.headers)
    assert early.json()["code"] == "not_a_deal"
    await client.post(f"{url}/offers", json={"price_fen": 3_000_000}, headers=seller.headers)
    await client.post(f"{url}/accept", headers=buyer.headers)
    clock.advance(timedelta(days=15))
    await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS)
    await session.commit()
    seller_again = await account(session, client, org=seller.org)  # tokens expired meanwhile
    outsider = await account(session, client)
    refused = await client.post(f"{url}/contract", json=contract, headers=outsider.headers)
    assert refused.status_code == 403
    recorded = await client.post(f"{url}/contract", json=contract, headers=seller_again.headers)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["payment_terms"] == "free_then_royalty"
    registered = await client.post(
        f"{url}/contract/registration",
        json={"registration_number": "3301012026000123", "registered_on": "2026-12-20"},
        headers=seller_again.headers,
    )
    assert registered.json()["registration_number"] == "3301012026000123"
    twice = await client.post(f"{url}/contract", json=contract, headers=seller_again.headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "contract_recorded")

    deals = (await client.get("/api/v1/deals")).json()["items"]
    assert [(d["trade_id"], d["mode"], d["price_fen"]) for d in deals] == [
        (trade["id"], "agreement", 3_000_000)
    ]
    stats = (await client.get("/api/v1/stats")).json()["deals"]
    assert stats["by_mode"] == {"agreement": {"count": 1, "volume_fen": 3_000_000}}
    assert stats["count"] == 1
    assert stats["by_industry"]["new_materials"]["volume_fen"] == 3_000_000
    await _verify(client)
