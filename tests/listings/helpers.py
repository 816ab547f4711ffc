"""Creating listings over HTTP in tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Account
from tests.listings.fixtures import achievement, demand


async def published_achievement(
    client: httpx.AsyncClient, owner: Account, approver: Account | None = None, **fields: Any
) -> dict[str, Any]:
    """Create and publish (through the TTO ``approver`` when the owner needs one)."""
    created = await client.post(
        "/api/v1/achievements", json=achievement(**fields), headers=owner.headers
    )
    assert created.status_code == 201, created.text
    achievement_id = created.json()["id"]
    submitted = await client.post(
        f"/api/v1/achievements/{achievement_id}/submit", headers=owner.headers
    )
    assert submitted.status_code == 200, submitted.text
    if submitted.json()["status"] == "pending_approval":
        assert approver is not None
        approved = await client.post(
            f"/api/v1/achievements/{achievement_id}/approve", headers=approver.headers
        )
        assert approved.status_code == 200, approved.text
        return dict(approved.json())
    return dict(submitted.json())


async def published_demand(
    client: httpx.AsyncClient, owner: Account, **fields: Any
) -> dict[str, Any]:
    created = await client.post("/api/v1/demands", json=demand(**fields), headers=owner.headers)
    assert created.status_code == 201, created.text
    published = await client.post(
        f"/api/v1/demands/{created.json()['id']}/publish", headers=owner.headers
    )
    assert published.status_code == 200, published.text
    return dict(published.json())
