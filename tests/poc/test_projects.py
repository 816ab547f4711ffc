"""A proof-of-concept project from application to its result, through the API."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.ledger import LedgerEntry
from tests.poc.helpers import active, apply, judge, setting, step


async def test_a_project_passes_with_two_milestones_and_raises_the_achievements_trl(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    project = await active(client, s, (30_000_000, 20_000_000))
    assert project["status"] == "active"
    project = await judge(client, s, project, 1, "met")
    project = await judge(client, s, project, 2, "met")
    closed = await step(
        client,
        s.centre,
        f"{project['id']}/close",
        {"outcome": "passed", "trl_after": 7, "public_summary": "完成公斤级中试，性能达标。"},
    )
    assert (closed["status"], closed["trl_before"], closed["trl_after"]) == ("passed", 4, 7)

    public = (await client.get(f"/api/v1/achievements/{s.achievement['id']}")).json()
    assert public["trl"] == 7
    results = await client.get("/api/v1/poc/results", params={"achievement_id": public["id"]})
    [result] = results.json()["items"]
    assert result["centre_id"] == s.centre.org.id
    assert result["public_summary"] == "完成公斤级中试，性能达标。"
    assert "proposal" not in result

    verified = await client.get("/api/v1/achievements", params={"verified": "true"})
    assert [a["id"] for a in verified.json()["items"]] == [public["id"]]

    stats = (await client.get("/api/v1/poc/stats")).json()
    line = stats["by_line"][str(s.line_id)]
    assert (line["planned_fen"], line["granted_fen"]) == (50_000_000, 50_000_000)
    lines = await client.get(f"/api/v1/poc/centres/{s.centre.org.id}/funding-lines")
    assert [x["id"] for x in lines.json()["items"]] == [s.line_id]
    centre = stats["by_centre"][str(s.centre.org.id)]
    assert centre["by_status"] == {"passed": 1}

    ledger = select(LedgerEntry.type).where(LedgerEntry.subject == f"poc/{project['id']}")
    assert list(await session.scalars(ledger.order_by(LedgerEntry.idx))) == [
        "poc.applied",
        "poc.screened",
        "poc.planned",
        "poc.milestone_judged",
        "poc.milestone_judged",
        "poc.closed",
    ]


async def test_a_declined_project_changes_nothing_and_shows_its_reasons_to_the_applicant(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    project = await apply(client, s)
    declined = await step(
        client,
        s.centre,
        f"{project['id']}/screening",
        {"accept": False, "reasons": "不在本中心领域"},
    )
    assert declined["status"] == "declined"
    seen = await client.get(f"/api/v1/poc/projects/{project['id']}", headers=s.institute.headers)
    assert seen.json()["screening_reasons"] == "不在本中心领域"
    again = await client.post(
        f"/api/v1/poc/projects/{project['id']}/plan",
        json={"milestones": []},
        headers=s.centre.headers,
    )
    assert again.status_code == 422
    closing = await client.post(
        f"/api/v1/poc/projects/{project['id']}/close",
        json={"outcome": "stopped"},
        headers=s.centre.headers,
    )
    assert closing.status_code == 409
    assert closing.json()["code"] == "poc_not_active"
    public = (await client.get(f"/api/v1/achievements/{s.achievement['id']}")).json()
    assert public["trl"] == 4


async def test_a_failed_project_keeps_the_trl_and_cannot_pass_or_close_again(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    project = await active(client, s, (10_000_000, 10_000_000))
    project = await judge(client, s, project, 1, "not_met")
    passing = await client.post(
        f"/api/v1/poc/projects/{project['id']}/close",
        json={"outcome": "passed", "trl_after": 6, "public_summary": "通过"},
        headers=s.centre.headers,
    )
    assert passing.status_code == 409
    assert passing.json()["code"] == "poc_milestones_unmet"
    raising = await client.post(
        f"/api/v1/poc/projects/{project['id']}/close",
        json={"outcome": "failed", "trl_after": 6},
        headers=s.centre.headers,
    )
    assert raising.json()["code"] == "poc_trl_change"
    failed = await step(client, s.centre, f"{project['id']}/close", {"outcome": "failed"})
    assert (failed["status"], failed["trl_after"]) == ("failed", None)
    twice = await client.post(
        f"/api/v1/poc/projects/{project['id']}/close",
        json={"outcome": "stopped"},
        headers=s.centre.headers,
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "poc_closed"
    late = await client.post(
        f"/api/v1/poc/projects/{project['id']}/milestones/{project['milestones'][1]['id']}/verdict",
        json={"evidence": "补交材料", "verdict": "met"},
        headers=s.centre.headers,
    )
    assert late.json()["code"] == "poc_not_active"

    public = (await client.get(f"/api/v1/achievements/{s.achievement['id']}")).json()
    assert public["trl"] == 4
    results = await client.get("/api/v1/poc/results", params={"achievement_id": public["id"]})
    assert results.json()["items"] == []
    stats = (await client.get("/api/v1/poc/stats")).json()
    line = stats["by_line"][str(s.line_id)]
    assert (line["planned_fen"], line["granted_fen"]) == (20_000_000, 0)


async def test_a_tranche_comes_only_from_the_centres_own_line(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    other = await setting(session, client)
    project = await apply(client, s)
    await step(client, s.centre, f"{project['id']}/screening", {"accept": True, "reasons": "可"})
    planned = await client.post(
        f"/api/v1/poc/projects/{project['id']}/plan",
        json={
            "milestones": [
                {
                    "deliverable": "样品",
                    "due_at": "2027-03-01T00:00:00Z",
                    "line_id": other.line_id,
                    "tranche_fen": 1_000_000,
                }
            ]
        },
        headers=s.centre.headers,
    )
    assert planned.status_code == 422
    assert planned.json()["code"] == "poc_unknown_line"


async def test_an_achievement_is_in_one_open_project_at_a_time(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    await apply(client, s)
    again = await client.post(
        "/api/v1/poc/projects",
        json={
            "centre_id": s.centre.org.id,
            "achievement_id": s.achievement["id"],
            "proposal": "再次",
        },
        headers=s.institute.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "poc_already_open"
