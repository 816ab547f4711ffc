"""Subscriptions are the organisation's own: others cannot see or delete them."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import account


async def test_another_organisation_can_neither_see_nor_delete_a_subscription(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    colleague = await account(session, client, roles=("member",), org=owner.org)
    other = await account(session, client)
    created = await client.post(
        "/api/v1/subscriptions",
        json={"name": "华东新材料需求", "target": "demand", "industry": "new_materials"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/subscriptions/{created.json()['id']}"

    for response in (
        await client.get(url, headers=other.headers),
        await client.delete(url, headers=other.headers),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "subscription_not_found"
    listed = await client.get("/api/v1/subscriptions", headers=other.headers)
    assert listed.json() == {"items": [], "next_cursor": None}

    # The organisation's own see it and may delete it.
    mine = await client.get("/api/v1/subscriptions", headers=colleague.headers)
    assert [s["name"] for s in mine.json()["items"]] == ["华东新材料需求"]
    assert (await client.delete(url, headers=colleague.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404


async def test_a_subscription_that_cannot_match_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    refused = await client.post(
        "/api/v1/subscriptions",
        json={"name": "错配", "target": "achievement", "basis": "our_achievements"},
        headers=owner.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_subscription"
