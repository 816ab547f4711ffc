"""The operator's queue of objections: GET /api/v1/objections."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.factories import Account, account
from tests.trading.helpers import agreement_on_notice, raise_objection


@pytest.fixture
async def operator(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, OrgKind.operator)


async def test_open_objections_are_listed_for_the_operator_until_ruled_on(
    client: httpx.AsyncClient, session: AsyncSession, operator: Account
) -> None:
    seller, buyer, objector = [await account(session, client) for _ in range(3)]
    trade = await agreement_on_notice(client, seller, buyer)
    first = await raise_objection(client, objector, trade["id"], "权属存在争议")
    second = await raise_objection(client, buyer, trade["id"], "价格明显偏低")

    queue = await client.get("/api/v1/objections", headers=operator.headers)
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert [(o["id"], o["org_name"], o["reasons"]) for o in items] == [
        (first["objection_id"], objector.org.name, "权属存在争议"),
        (second["objection_id"], buyer.org.name, "价格明显偏低"),
    ]
    assert items[0]["trade_id"] == trade["id"]
    assert (items[0]["seller"], items[0]["buyer"]) == (seller.org.name, buyer.org.name)
    assert items[0]["price_fen"] == 900_000
    assert items[0]["status"] == "raised"

    one = (await client.get("/api/v1/objections?limit=1", headers=operator.headers)).json()
    assert [o["id"] for o in one["items"]] == [first["objection_id"]]
    rest = await client.get(
        f"/api/v1/objections?limit=1&cursor={one['next_cursor']}", headers=operator.headers
    )
    assert [o["id"] for o in rest.json()["items"]] == [second["objection_id"]]

    dismissed = await client.post(
        f"/api/v1/trades/{trade['id']}/objections/{first['objection_id']}/dismiss",
        headers=operator.headers,
    )
    assert dismissed.status_code == 200, dismissed.text
    still_open = (await client.get("/api/v1/objections", headers=operator.headers)).json()
    assert [o["id"] for o in still_open["items"]] == [second["objection_id"]]
    ruled = await client.get("/api/v1/objections?status=dismissed", headers=operator.headers)
    assert [(o["id"], o["status"]) for o in ruled.json()["items"]] == [
        (first["objection_id"], "dismissed")
    ]

    # Upheld: the trade is cancelled, so the other objection no longer awaits a ruling.
    await client.post(
        f"/api/v1/trades/{trade['id']}/objections/{second['objection_id']}/uphold",
        headers=operator.headers,
    )
    assert (await client.get("/api/v1/objections", headers=operator.headers)).json() == {
        "items": [],
        "next_cursor": None,
    }


async def test_only_the_operator_reads_the_queue(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    member = await account(session, client)
    auditor = await account(session, client, OrgKind.auditor)
    anonymous = await client.get("/api/v1/objections")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    for who in (member, auditor):
        refused = await client.get("/api/v1/objections", headers=who.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "operator_only")


async def test_an_unknown_status_is_a_problem(client: httpx.AsyncClient, operator: Account) -> None:
    refused = await client.get("/api/v1/objections?status=raised", headers=operator.headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
