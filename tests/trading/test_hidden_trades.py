"""A trade its TTO has not approved (yet, or ever) does not exist for outsiders, by any
verb: the same 404 as a trade that does not exist, with nothing of its state."""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.factories import Account, account
from tests.listings.helpers import published_achievement
from tests.trading.helpers import auction_terms

MISSING = 999_999_999


async def _pending(
    client: httpx.AsyncClient, seller: Account, tto: Account, buyer_org_id: int | None = None
) -> dict[str, Any]:
    """A trade waiting for its TTO: an auction, or agreement pricing with a named buyer."""
    listed = await published_achievement(client, seller, approver=tto)
    body = auction_terms(listed["id"])
    if buyer_org_id is not None:
        body = {"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer_org_id}
    created = await client.post("/api/v1/trades", json=body, headers=seller.headers)
    assert created.json()["status"] == "pending_approval", created.text
    return dict(created.json())


async def _every_verb(client: httpx.AsyncClient, who: Account, trade_id: int) -> list[Any]:
    """What ``who`` gets from GET and from every POST on the trade, problem by problem."""
    url = f"/api/v1/trades/{trade_id}"
    posts: list[tuple[str, dict[str, Any] | None]] = [
        ("registrations", None),
        ("bids", {"amount_fen": 1_000_000}),
        ("offers", {"price_fen": 1_000_000}),
        ("accept", None),
        ("objections", {"reasons": "异议"}),
        (
            "contract",
            {"contract_number": "HT-1", "signed_on": "2026-11-20", "payment_terms": "royalty"},
        ),
        ("contract/registration", {"registration_number": "DJ-1", "registered_on": "2026-11-21"}),
        ("approve", None),
        ("reject", None),
        ("withdraw", None),
        ("end", None),
        ("intents", None),
    ]
    answers = [await client.get(url, headers=who.headers)]
    answers.append(await client.get(f"{url}/bids", headers=who.headers))
    for path, body in posts:
        answers.append(await client.post(f"{url}/{path}", json=body, headers=who.headers))
    return [(r.status_code, r.json()["code"], r.json()["detail"]) for r in answers]


async def test_a_pending_or_rejected_trade_is_404_to_outsiders_by_every_verb(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller = await account(session, client, kind=OrgKind.university, roles=("member",))
    tto = await account(session, client, roles=("tto",), org=seller.org)
    outsider = await account(session, client)
    pending = await _pending(client, seller, tto)
    agreement = await _pending(client, seller, tto, buyer_org_id=outsider.org.id)
    rejected = await _pending(client, seller, tto)
    refused = await client.post(f"/api/v1/trades/{rejected['id']}/reject", headers=tto.headers)
    assert refused.json()["status"] == "rejected"

    nothing = await _every_verb(client, outsider, MISSING)
    assert {code for _, code, _ in nothing} == {"trade_not_found"}
    for trade, status in (
        (pending, "pending_approval"),
        (agreement, "pending_approval"),
        (rejected, "rejected"),
    ):
        assert await _every_verb(client, outsider, trade["id"]) == nothing
        # …while the seller still sees it.
        seen = await client.get(f"/api/v1/trades/{trade['id']}", headers=seller.headers)
        assert seen.json()["status"] == status
    listed = (await client.get("/api/v1/trades", params={"status": "rejected"})).json()
    assert listed["items"] == []
