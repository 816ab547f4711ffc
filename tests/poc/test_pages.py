"""The public proof-of-concept pages over HTTP (the desk: tests/web/test_poc_journey.py)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.poc.helpers import active, judge, setting, step


async def test_a_passed_project_marks_the_achievement_and_shows_on_the_centre_page(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    achievement = f"/achievements/{s.achievement['id']}"
    assert "概念验证</span>" not in (await client.get(achievement)).text
    project = await active(client, s, (1_000_000,))
    await judge(client, s, project, 1, "met")
    summary = "公斤级样品通过第三方检测。"
    await step(
        client,
        s.centre,
        f"{project['id']}/close",
        {"outcome": "passed", "trl_after": 6, "public_summary": summary},
    )
    page = (await client.get(achievement)).text
    assert f'<span class="badge verified">经{s.centre.org.name}概念验证</span>' in page
    assert "4 级 → 6 级" in page
    assert summary in page
    centre = await client.get(f"/poc/centres/{s.centre.org.id}")
    assert centre.status_code == 200
    assert summary in centre.text
    overview = await client.get("/poc")
    assert s.centre.org.name in overview.text
    assert "验证通过 1" in overview.text
    verified_only = await client.get("/achievements", params={"verified": "true"})
    assert s.achievement["title"] in verified_only.text
    assert (
        f'<span class="badge verified">经{s.centre.org.name}概念验证</span>' in verified_only.text
    )
    unverified = await client.get("/achievements", params={"verified": "false"})
    assert s.achievement["title"] not in unverified.text


async def test_the_ledger_explorer_names_proof_of_concept_entries(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    project = await active(client, s, (1_000_000,))
    await step(client, s.centre, f"{project['id']}/close", {"outcome": "stopped"})
    page = (await client.get("/ledger")).text
    for name in ("概念验证资金渠道", "申请概念验证", "概念验证项目遴选", "概念验证计划"):
        assert name in page
    assert "概念验证结题" in page
    assert f'href="/poc/centres/{s.centre.org.id}"' in page
