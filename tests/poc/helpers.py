"""A proof-of-concept centre, an institution with a published achievement, and the steps
of a project, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.conftest import START
from tests.factories import Account, account
from tests.listings.helpers import published_achievement


@dataclass
class Setting:
    centre: Account
    line_id: int
    institute: Account
    achievement: dict[str, Any]


async def centre_with_line(session: AsyncSession, client: httpx.AsyncClient) -> tuple[Account, int]:
    centre = await account(session, client, OrgKind.poc_centre)
    profile = await client.put(
        "/api/v1/poc/centre/profile",
        json={"industries": ["new_materials"], "services": ["二次开发", "中试熟化"]},
        headers=centre.headers,
    )
    assert profile.status_code == 200, profile.text
    line = await client.post(
        "/api/v1/poc/centre/funding-lines",
        json={"name": "省级概念验证专项资金", "amount_fen": 100_000_000},
        headers=centre.headers,
    )
    assert line.status_code == 201, line.text
    return centre, int(line.json()["id"])


async def setting(session: AsyncSession, client: httpx.AsyncClient) -> Setting:
    centre, line_id = await centre_with_line(session, client)
    institute = await account(session, client, OrgKind.institute, roles=("admin", "tto"))
    achievement = await published_achievement(client, institute, institute, trl=4)
    return Setting(centre, line_id, institute, achievement)


async def apply(client: httpx.AsyncClient, s: Setting) -> dict[str, Any]:
    applied = await client.post(
        "/api/v1/poc/projects",
        json={
            "centre_id": s.centre.org.id,
            "achievement_id": s.achievement["id"],
            "proposal": "申请中试熟化：验证公斤级制备工艺。",
        },
        headers=s.institute.headers,
    )
    assert applied.status_code == 201, applied.text
    return dict(applied.json())


async def step(
    client: httpx.AsyncClient, who: Account, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    done = await client.post(f"/api/v1/poc/projects/{path}", json=body, headers=who.headers)
    assert done.status_code == 200, done.text
    return dict(done.json())


async def active(
    client: httpx.AsyncClient, s: Setting, tranches: tuple[int, ...]
) -> dict[str, Any]:
    """Applied, accepted and planned with one milestone per tranche."""
    project = await apply(client, s)
    await step(
        client, s.centre, f"{project['id']}/screening", {"accept": True, "reasons": "符合方向"}
    )
    milestones = [
        {
            "deliverable": f"里程碑{n}：公斤级样品性能达标",
            "due_at": (START + timedelta(days=90 * n)).isoformat(),
            "line_id": s.line_id,
            "tranche_fen": fen,
        }
        for n, fen in enumerate(tranches, start=1)
    ]
    return await step(client, s.centre, f"{project['id']}/plan", {"milestones": milestones})


async def judge(
    client: httpx.AsyncClient, s: Setting, project: dict[str, Any], position: int, verdict: str
) -> dict[str, Any]:
    milestone = project["milestones"][position - 1]
    return await step(
        client,
        s.centre,
        f"{project['id']}/milestones/{milestone['id']}/verdict",
        {"evidence": "第三方检测报告 No. 2026-118", "verdict": verdict},
    )
