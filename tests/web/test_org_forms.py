"""The pages of one's own organisation over HTTP (in-process): a decision posted without
the form's token changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.factories import login, make_org, make_user
from tests.listings.fixtures import achievement
from tests.web.test_sessions import csrf_token, sign_in


async def test_tto_decision_without_the_form_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    university = await make_org(session, OrgKind.university)
    member = await make_user(session, university, ("member",))
    tto = await make_user(session, university, ("tto",))
    await session.commit()
    headers = {"Authorization": f"Bearer {await login(client, member.email)}"}
    created = await client.post("/api/v1/achievements", json=achievement(), headers=headers)
    achievement_id = created.json()["id"]
    await client.post(f"/api/v1/achievements/{achievement_id}/submit", headers=headers)

    await sign_in(client, tto.email)
    desk = await client.get("/tto")
    assert desk.status_code == 200
    refused = await client.post(f"/tto/achievements/{achievement_id}/approve")
    assert refused.status_code == 403
    assert "表单已失效" in refused.text
    still = await client.get(f"/api/v1/achievements/{achievement_id}", headers=headers)
    assert still.json()["status"] == "pending_approval"

    approved = await client.post(
        f"/tto/achievements/{achievement_id}/approve", data={"csrf_token": csrf_token(desk)}
    )
    assert approved.status_code == 303
    assert approved.headers["location"].startswith("/tto?done=achievement_approved&ledger=")
    now = await client.get(f"/api/v1/achievements/{achievement_id}")
    assert now.json()["status"] == "published"
