"""Who sees and does what in proof-of-concept projects."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.factories import account
from tests.listings.helpers import published_achievement
from tests.poc.helpers import active, apply, centre_with_line, setting


async def test_a_centre_sees_only_the_applications_made_to_it(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    mine = await apply(client, s)
    other = await setting(session, client)
    theirs = await apply(client, other)

    listed = await client.get("/api/v1/poc/projects", headers=s.centre.headers)
    assert [p["id"] for p in listed.json()["items"]] == [mine["id"]]
    hidden = await client.get(f"/api/v1/poc/projects/{theirs['id']}", headers=s.centre.headers)
    assert hidden.status_code == 404
    screening = await client.post(
        f"/api/v1/poc/projects/{theirs['id']}/screening",
        json={"accept": True, "reasons": "抢先受理"},
        headers=s.centre.headers,
    )
    assert screening.status_code == 404


async def test_an_institution_sees_only_its_own_applications_and_cannot_judge_them(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    mine = await apply(client, s)
    other = await setting(session, client)
    theirs = await apply(client, other)

    listed = await client.get("/api/v1/poc/projects", headers=s.institute.headers)
    assert [p["id"] for p in listed.json()["items"]] == [mine["id"]]
    hidden = await client.get(f"/api/v1/poc/projects/{theirs['id']}", headers=s.institute.headers)
    assert hidden.status_code == 404
    own_screening = await client.post(
        f"/api/v1/poc/projects/{mine['id']}/screening",
        json={"accept": True, "reasons": "自己通过"},
        headers=s.institute.headers,
    )
    assert own_screening.status_code == 403
    assert own_screening.json()["code"] == "not_your_org"


async def test_only_an_institution_applies_and_only_with_its_own_achievement(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    stranger = await account(session, client, OrgKind.university, roles=("admin",))
    enterprise = await account(session, client, OrgKind.enterprise)
    own = await published_achievement(client, enterprise)
    body = {"centre_id": s.centre.org.id, "proposal": "验证"}

    not_theirs = await client.post(
        "/api/v1/poc/projects",
        json={**body, "achievement_id": s.achievement["id"]},
        headers=stranger.headers,
    )
    assert not_theirs.json()["code"] == "not_your_org"
    wrong_kind = await client.post(
        "/api/v1/poc/projects",
        json={**body, "achievement_id": own["id"]},
        headers=enterprise.headers,
    )
    assert wrong_kind.json()["code"] == "wrong_org_kind"
    member = await account(
        session, client, OrgKind.institute, roles=("member",), org=s.institute.org
    )
    no_role = await client.post(
        "/api/v1/poc/projects",
        json={**body, "achievement_id": s.achievement["id"]},
        headers=member.headers,
    )
    assert no_role.json()["code"] == "missing_role"


async def test_the_public_sees_only_passed_results_and_their_public_summary(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    s = await setting(session, client)
    project = await active(client, s, (1_000_000,))
    anonymous = await client.get(f"/api/v1/poc/projects/{project['id']}")
    assert anonymous.status_code == 401
    enterprise = await account(session, client, OrgKind.enterprise)
    other = await client.get(f"/api/v1/poc/projects/{project['id']}", headers=enterprise.headers)
    assert other.status_code == 404
    assert (await client.get("/api/v1/poc/results")).json()["items"] == []


async def test_a_centre_does_not_trade_or_declare_lines_for_another(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    centre, _ = await centre_with_line(session, client)
    listing = await client.post(
        "/api/v1/achievements",
        json={
            "title": "中心自有成果",
            "summary": "试图挂牌",
            "ip_type": "know_how",
            "industry": "new_materials",
            "region_code": "330106",
            "trl": 3,
            "transfer_modes": ["assignment"],
        },
        headers=centre.headers,
    )
    assert listing.json()["code"] == "wrong_org_kind"
    institute = await account(session, client, OrgKind.institute)
    line = await client.post(
        "/api/v1/poc/centre/funding-lines",
        json={"name": "冒名基金", "amount_fen": 100},
        headers=institute.headers,
    )
    assert line.json()["code"] == "wrong_org_kind"
