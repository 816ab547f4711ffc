"""A broker answers a demand and negotiates the price for an institute (the seller's
side), within a mandate for each; the concluded deal credits it for both roles."""

from __future__ import annotations

import math
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.clock import FixedClock
from techmarket.models.listing import DemandResponse
from techmarket.models.org import OrgKind
from techmarket.models.trade import Offer
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from tests.brokers.helpers import acting, agency, mandate
from tests.factories import account
from tests.listings.helpers import published_achievement, published_demand

PRICE = 4_500_000


async def test_a_broker_responds_and_negotiates_for_an_institute_and_is_credited(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    enterprise = await account(session, client)
    institute = await account(session, client, kind=OrgKind.institute, roles=("admin", "tto"))
    wanted = await published_demand(client, enterprise)
    offered = await published_achievement(client, institute, approver=institute)
    broker = await agency(session, client)
    answering = await mandate(client, institute, broker, "demand", wanted["id"], ["respond"])
    pricing = await mandate(client, institute, broker, "achievement", offered["id"], ["negotiate"])

    demand_url = f"/api/v1/demands/{wanted['id']}/responses"
    response = {"text": "我方成果可满足需求", "quoted_price_fen": PRICE,
                "achievement_ids": [offered["id"]]}  # fmt: skip
    refused = await client.post(
        demand_url, json=response, headers=acting(broker.broker, pricing["id"])
    )
    assert refused.json()["code"] == "outside_mandate_scope"
    answered = await client.post(
        demand_url, json=response, headers=acting(broker.broker, answering["id"])
    )
    assert answered.status_code == 201, answered.text
    row = await session.get(DemandResponse, answered.json()["id"])
    assert row is not None
    assert (row.org_id, row.broker_user_id) == (institute.org.id, broker.broker.user.id)

    # What the broker sees of the demand's responses: its client's, under the mandate that
    # covers the demand; under the other, nothing.
    seen = await client.get(demand_url, headers=acting(broker.broker, answering["id"]))
    assert seen.status_code == 200, seen.text
    assert [r["id"] for r in seen.json()["items"]] == [answered.json()["id"]]
    other = await client.get(demand_url, headers=acting(broker.broker, pricing["id"]))
    assert other.json()["code"] == "outside_mandate_scope"

    accepted = await client.post(
        f"{demand_url}/{answered.json()['id']}/accept", headers=enterprise.headers
    )
    assert accepted.status_code == 200, accepted.text
    opened = await client.post(
        f"{demand_url}/{answered.json()['id']}/trade", headers=institute.headers
    )
    assert opened.status_code == 201, opened.text
    trade_url = f"/api/v1/trades/{opened.json()['id']}"
    approved = await client.post(f"{trade_url}/approve", headers=institute.headers)
    assert approved.json()["status"] == "open", approved.text

    # The broker may not open or approve anything for the institute: only negotiate.
    as_pricing = acting(broker.broker, pricing["id"])
    assert (await client.get(f"{trade_url}/offers", headers=as_pricing)).is_success
    made = await client.post(f"{trade_url}/offers", json={"price_fen": PRICE}, headers=as_pricing)
    assert made.status_code == 201, made.text
    offer = await session.get(Offer, made.json()["offer_id"])
    assert offer is not None
    assert (offer.org_id, offer.broker_user_id) == (institute.org.id, broker.broker.user.id)
    assert (await client.post(f"{trade_url}/accept", headers=enterprise.headers)).is_success

    clock.advance(timedelta(days=15, minutes=1))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 1
    await session.commit()
    record = (await client.get(f"/api/v1/brokers/{broker.broker.user.id}/record")).json()
    listed = await client.get(f"/api/v1/brokers/{broker.broker.user.id}/contributions")
    [contribution] = listed.json()["items"]
    assert (contribution["share_pct"], contribution["roles"]) == (100, ["negotiate", "respond"])
    # The highest role's weight: responding to the demand, 1.5.
    assert record["score"] == round((10 + math.log10(PRICE / 100)) * 1.5, 2)
    page = await client.get(f"/brokers/{broker.broker.user.id}")
    assert page.status_code == 200
    assert f"{record['score']:.2f}" in page.text
