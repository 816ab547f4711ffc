"""Demands, responses (揭榜), acceptance, expiry and matching over HTTP."""

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.clock import FixedClock
from techmarket.listings import repository
from techmarket.models.org import OrgKind
from tests.factories import Account, account
from tests.listings.fixtures import demand
from tests.listings.helpers import published_achievement, published_demand

PROPOSAL = {"text": "我们有成熟的高镍正极技术", "quoted_price_fen": 60_000_000}


@pytest.fixture
async def enterprise(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.enterprise)


@pytest.fixture
async def institute(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.institute, roles=("admin", "tto"))


async def test_open_challenge_with_responses_and_acceptance(
    client: httpx.AsyncClient, session: AsyncSession, enterprise: Account, institute: Account
) -> None:
    no_reward = await client.post(
        "/api/v1/demands", json=demand(is_challenge=True), headers=enterprise.headers
    )
    assert no_reward.status_code == 422
    posted = await published_demand(client, enterprise, is_challenge=True, reward_fen=2_000_000)
    assert posted["status"] == "published"
    assert posted["is_challenge"] is True
    url = f"/api/v1/demands/{posted['id']}"

    own = await published_achievement(client, institute, approver=institute)
    agency = await account(session, client, kind=OrgKind.agency, roles=("broker",))
    first = await client.post(
        f"{url}/responses",
        json={**PROPOSAL, "achievement_ids": [own["id"]]},
        headers=institute.headers,
    )
    assert first.status_code == 201, first.text
    second = await client.post(
        f"{url}/responses",
        json={**PROPOSAL, "quoted_price_fen": 55_000_000},
        headers=agency.headers,
    )
    assert second.status_code == 201

    # Linking someone else's achievement is refused.
    stolen = await client.post(
        f"{url}/responses",
        json={**PROPOSAL, "achievement_ids": [own["id"]]},
        headers=agency.headers,
    )
    assert (stolen.status_code, stolen.json()["code"]) == (422, "foreign_achievement")

    # The owner sees both responses; each responder only its own; others nothing.
    everyone = (await client.get(f"{url}/responses", headers=enterprise.headers)).json()
    assert (len(everyone["items"]), everyone["next_cursor"]) == (2, None)
    mine = (await client.get(f"{url}/responses", headers=agency.headers)).json()["items"]
    assert [r["id"] for r in mine] == [second.json()["id"]]
    stranger = await account(session, client, kind=OrgKind.enterprise)
    nothing = (await client.get(f"{url}/responses", headers=stranger.headers)).json()
    assert nothing == {"items": [], "next_cursor": None}

    # Only the owner decides: not even on one's own response; others' are invisible.
    own_accept = await client.post(
        f"{url}/responses/{second.json()['id']}/accept", headers=agency.headers
    )
    assert own_accept.status_code == 403
    others = await client.post(
        f"{url}/responses/{first.json()['id']}/accept", headers=agency.headers
    )
    assert others.status_code == 404
    shortlisted = await client.post(
        f"{url}/responses/{first.json()['id']}/shortlist", headers=enterprise.headers
    )
    assert shortlisted.json()["status"] == "shortlisted"
    accepted = await client.post(
        f"{url}/responses/{first.json()['id']}/accept", headers=enterprise.headers
    )
    assert accepted.json()["status"] == "accepted"
    index = accepted.json()["ledger_index"]

    assert (await client.get(url)).json()["status"] == "awarded"
    others = (await client.get(f"{url}/responses", headers=agency.headers)).json()["items"]
    assert others[0]["status"] == "declined"
    again = await client.post(
        f"{url}/responses/{second.json()['id']}/accept", headers=enterprise.headers
    )
    assert again.status_code == 409

    entry = (await client.get(f"/api/v1/ledger/entries/{index}")).json()
    recorded = json.loads(entry["canonical"])
    assert recorded["type"] == "response.accepted"
    assert recorded["data"]["responder_org_id"] == institute.org.id
    assert recorded["data"]["quoted_price_fen"] == 60_000_000


async def test_only_institutions_and_agencies_respond(
    client: httpx.AsyncClient, session: AsyncSession, enterprise: Account
) -> None:
    posted = await published_demand(client, enterprise)
    rival = await account(session, client, kind=OrgKind.enterprise)
    refused = await client.post(
        f"/api/v1/demands/{posted['id']}/responses", json=PROPOSAL, headers=rival.headers
    )
    assert refused.json()["code"] == "wrong_org_kind"


async def test_demands_expire_at_their_deadline(
    client: httpx.AsyncClient,
    session: AsyncSession,
    enterprise: Account,
    clock: FixedClock,
) -> None:
    posted = await published_demand(client, enterprise)
    url = f"/api/v1/demands/{posted['id']}"
    assert len((await client.get("/api/v1/demands")).json()["items"]) == 1
    clock.advance(timedelta(days=31))
    assert (await client.get(url)).json()["status"] == "expired"
    assert (await client.get("/api/v1/demands")).json()["items"] == []
    listed = await client.get("/api/v1/demands", params={"status": "expired"})
    assert [d["id"] for d in listed.json()["items"]] == [posted["id"]]
    institute = await account(session, client, kind=OrgKind.institute)  # logs in now
    late = await client.post(f"{url}/responses", json=PROPOSAL, headers=institute.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "demand_not_open"
    # Reading never wrote the expiry down; the scheduler's sweep does, once.
    assert await repository.expire_demands(session, clock.now()) == 1
    assert await repository.expire_demands(session, clock.now()) == 0


async def test_deadline_must_be_in_the_future(
    client: httpx.AsyncClient, enterprise: Account
) -> None:
    past = await client.post(
        "/api/v1/demands",
        json=demand(deadline="2020-01-01T00:00:00+08:00"),
        headers=enterprise.headers,
    )
    assert past.json()["code"] == "deadline_passed"
    naive = await client.post(
        "/api/v1/demands",
        json=demand(deadline="2030-01-01T00:00:00"),
        headers=enterprise.headers,
    )
    assert naive.status_code == 422


async def test_others_cannot_touch_a_demand(
    client: httpx.AsyncClient, session: AsyncSession, enterprise: Account
) -> None:
    draft = await client.post("/api/v1/demands", json=demand(), headers=enterprise.headers)
    url = f"/api/v1/demands/{draft.json()['id']}"
    intruder = await account(session, client, kind=OrgKind.enterprise)
    assert (await client.get(url, headers=intruder.headers)).status_code == 404
    assert (
        await client.patch(url, json={"title": "改掉"}, headers=intruder.headers)
    ).status_code == 404
    assert (await client.post(f"{url}/publish", headers=intruder.headers)).status_code == 404
    await client.post(f"{url}/publish", headers=enterprise.headers)
    assert (await client.post(f"{url}/close", headers=intruder.headers)).status_code == 403
    edit = await client.patch(url, json={"title": "改掉"}, headers=enterprise.headers)
    assert edit.status_code == 409  # published: no more edits


async def test_matching_finds_the_related_record_first(
    client: httpx.AsyncClient, session: AsyncSession, enterprise: Account, institute: Account
) -> None:
    related = await published_achievement(client, institute, approver=institute)
    await published_achievement(
        client,
        institute,
        approver=institute,
        title="水稻抗倒伏高产育种方法",
        summary="提高水稻产量",
        industry="agriculture",
        region_code="510104",
        keywords=["育种"],
    )
    await published_achievement(
        client,
        institute,
        approver=institute,
        title="动力电池外壳冲压模具",
        summary="模具设计",
        industry="intelligent_manufacturing",
        region_code="440305",
        keywords=[],
    )
    posted = await published_demand(client, enterprise)
    matches = (await client.get(f"/api/v1/demands/{posted['id']}/matches")).json()
    assert matches[0]["id"] == related["id"]
    assert {r["code"] for r in matches[0]["reasons"]} >= {"shared_terms", "same_industry"}
    assert all(m["title"] != "水稻抗倒伏高产育种方法" for m in matches)
    back = (await client.get(f"/api/v1/achievements/{related['id']}/matches")).json()
    assert back[0]["id"] == posted["id"]
