"""GET /trades/{id}/offers: the thread of a negotiation, for its two parties only."""

import json

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import account
from tests.listings.helpers import published_achievement
from tests.trading.helpers import open_auction


async def test_the_parties_read_the_thread_and_nobody_else_does(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    outsider = await account(session, client)
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer.org.id},
        headers=seller.headers,
    )
    url = f"/api/v1/trades/{created.json()['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 1_200_000}, headers=seller.headers)
    await client.post(
        f"{url}/offers", json={"price_fen": 900_000, "note": "预算有限"}, headers=buyer.headers
    )

    for party in (seller, buyer):
        thread = await client.get(f"{url}/offers", headers=party.headers)
        assert thread.status_code == 200, thread.text
        items = thread.json()["items"]
        assert [(o["org_id"], o["price_fen"], o["note"]) for o in items] == [
            (seller.org.id, 1_200_000, None),
            (buyer.org.id, 900_000, "预算有限"),
        ]
    # Each line names the ledger entry that committed to it (the price itself not public).
    for line in items:
        entry = (await client.get(f"/api/v1/ledger/entries/{line['ledger_index']}")).json()
        body = json.loads(entry["canonical"])
        assert (body["type"], body["data"]["offer_id"]) == ("trade.offer", line["id"])
        assert str(line["price_fen"]) not in entry["canonical"]

    first = (await client.get(f"{url}/offers?limit=1", headers=buyer.headers)).json()
    assert [o["price_fen"] for o in first["items"]] == [1_200_000]
    rest = await client.get(f"{url}/offers?cursor={first['next_cursor']}", headers=buyer.headers)
    assert [o["price_fen"] for o in rest.json()["items"]] == [900_000]

    hidden = await client.get(f"{url}/offers", headers=outsider.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "trade_not_found")
    assert (await client.get(f"{url}/offers")).status_code == 401


async def test_an_auction_has_no_offers(client: httpx.AsyncClient, session: AsyncSession) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    found = await client.get(f"/api/v1/trades/{trade['id']}/offers", headers=seller.headers)
    assert found.status_code == 404
