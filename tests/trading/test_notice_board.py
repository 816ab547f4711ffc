"""The public notice board (公示) pages like every list: soonest to end first."""

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.clock import FixedClock
from tests.factories import Account, account
from tests.listings.helpers import published_achievement


async def _on_notice(client: httpx.AsyncClient, seller: Account, buyer: Account) -> int:
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer.org.id},
        headers=seller.headers,
    )
    url = f"/api/v1/trades/{created.json()['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 1_000_000}, headers=seller.headers)
    assert (await client.post(f"{url}/accept", headers=buyer.headers)).status_code == 200
    return int(created.json()["id"])


async def test_the_notice_board_pages_in_the_order_notices_end(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    ending = []
    for _ in range(3):
        ending.append(await _on_notice(client, seller, buyer))
        clock.advance(timedelta(minutes=1))
    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                "/api/v1/notices", params={"limit": 2, "cursor": cursor} if cursor else {"limit": 2}
            )
        ).json()
        seen += [n["trade_id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [t for t in seen if t in ending] == ending
    bad = await client.get("/api/v1/notices", params={"cursor": "WzEsMl0"})  # [1,2]
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")
