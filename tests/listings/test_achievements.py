"""Achievements over HTTP: approval, authorisation, validation, history, ledger."""

import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind, OrgStatus
from tests.factories import Account, account
from tests.listings.fixtures import achievement
from tests.listings.helpers import published_achievement


@pytest.fixture
async def university(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.university, roles=("member",))


@pytest.fixture
async def tto(client: httpx.AsyncClient, session: AsyncSession, university: Account) -> Account:
    return await account(session, client, roles=("tto",), org=university.org)


async def _draft(client: httpx.AsyncClient, owner: Account) -> int:
    created = await client.post("/api/v1/achievements", json=achievement(), headers=owner.headers)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    return int(created.json()["id"])


async def test_university_listing_goes_through_its_tto(
    client: httpx.AsyncClient, session: AsyncSession, university: Account, tto: Account
) -> None:
    achievement_id = await _draft(client, university)
    url = f"/api/v1/achievements/{achievement_id}"
    submitted = await client.post(f"{url}/submit", headers=university.headers)
    assert submitted.json()["status"] == "pending_approval"
    assert (await client.get(url)).status_code == 404  # not public yet

    # The member who listed it cannot approve it; another university's TTO cannot either.
    self_approval = await client.post(f"{url}/approve", headers=university.headers)
    assert self_approval.status_code == 403
    assert self_approval.json()["code"] == "missing_role"
    other = await account(session, client, kind=OrgKind.university, roles=("tto",))
    foreign = await client.post(f"{url}/approve", headers=other.headers)
    assert foreign.status_code == 404  # others' unpublished records do not exist for them

    approved = await client.post(f"{url}/approve", headers=tto.headers)
    assert approved.status_code == 200
    assert approved.json()["status"] == "published"
    index = approved.json()["ledger_index"]
    public = await client.get(url)
    assert public.json()["status"] == "published"

    # Approval and publication are both on the ledger, in that order.
    entries = (await client.get("/api/v1/ledger/entries", params={"start": index - 1})).json()
    kinds = [json.loads(e["canonical"])["type"] for e in entries["entries"]]
    assert kinds == ["achievement.approved", "achievement.published"]
    body = json.loads(entries["entries"][1]["canonical"])
    assert body["subject"] == f"achievement/{achievement_id}"
    assert body["data"]["by_user_id"] == tto.user.id

    history = (await client.get(f"{url}/history", headers=university.headers)).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"),
        ("draft", "pending_approval"),
        ("pending_approval", "published"),
    ]
    assert history[2]["by_user_id"] == tto.user.id
    assert history[2]["ledger_index"] == index


async def test_tto_rejects_with_a_reason_and_the_owner_resubmits(
    client: httpx.AsyncClient, university: Account, tto: Account
) -> None:
    achievement_id = await _draft(client, university)
    url = f"/api/v1/achievements/{achievement_id}"
    await client.post(f"{url}/submit", headers=university.headers)
    no_reason = await client.post(f"{url}/reject", json={}, headers=tto.headers)
    assert no_reason.status_code == 422
    rejected = await client.post(f"{url}/reject", json={"reason": "价格过低"}, headers=tto.headers)
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["status_reason"] == "价格过低"
    edited = await client.patch(
        url, json={"asking_price_fen": 90_000_000}, headers=university.headers
    )
    assert edited.json()["asking_price_fen"] == 90_000_000
    again = await client.post(f"{url}/submit", headers=university.headers)
    assert again.json()["status"] == "pending_approval"


async def test_enterprises_publish_directly(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    published = await published_achievement(client, owner)
    assert published["status"] == "published"
    assert published["ledger_index"] is not None


async def test_published_records_change_only_through_actions(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    published = await published_achievement(client, owner)
    url = f"/api/v1/achievements/{published['id']}"
    refused = await client.patch(url, json={"title": "改个名字看看"}, headers=owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_editable"
    withdrawn = await client.post(
        f"{url}/withdraw", json={"reason": "重新评估"}, headers=owner.headers
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await client.get(url)).status_code == 404
    edited = await client.patch(url, json={"title": "改个名字看看"}, headers=owner.headers)
    assert edited.json()["title"] == "改个名字看看"


async def test_other_organisations_cannot_touch_an_achievement(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    intruder = await account(session, client)
    draft_id = await _draft(client, owner)
    published = await published_achievement(client, owner)
    for target in (draft_id, published["id"]):
        url = f"/api/v1/achievements/{target}"
        calls = [
            client.patch(url, json={"title": "篡改标题"}, headers=intruder.headers),
            client.post(f"{url}/submit", headers=intruder.headers),
            client.post(f"{url}/approve", headers=intruder.headers),
            client.post(f"{url}/reject", json={"reason": "x"}, headers=intruder.headers),
            client.post(f"{url}/withdraw", headers=intruder.headers),
            client.get(f"{url}/history", headers=intruder.headers),
        ]
        for call in calls:
            response = await call
            assert response.status_code in (403, 404), response.text
    assert (
        await client.get(f"/api/v1/achievements/{draft_id}", headers=intruder.headers)
    ).status_code == 404
    mine = (await client.get(f"/api/v1/achievements/{published['id']}")).json()
    assert mine["title"] == published["title"]
    assert mine["status"] == "published"


async def test_operator_may_suspend_a_listing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    operator = await account(session, client, kind=OrgKind.operator)
    published = await published_achievement(client, owner)
    suspended = await client.post(
        f"/api/v1/achievements/{published['id']}/withdraw",
        json={"reason": "权属争议"},
        headers=operator.headers,
    )
    assert suspended.json()["status"] == "withdrawn"
    assert suspended.json()["ledger_index"] is not None


async def test_unverified_and_unsuitable_organisations_cannot_list(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    pending = await account(session, client, status=OrgStatus.pending)
    refused = await client.post("/api/v1/achievements", json=achievement(), headers=pending.headers)
    assert refused.json()["code"] == "org_not_verified"
    auditor = await account(session, client, kind=OrgKind.auditor)
    refused = await client.post("/api/v1/achievements", json=achievement(), headers=auditor.headers)
    assert refused.json()["code"] == "wrong_org_kind"
    anonymous = await client.post("/api/v1/achievements", json=achievement())
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("fields", "location", "message"),
    [
        ({"patent_numbers": ["ZL 2023 1 0123456.X"]}, ["body", "patent_numbers", 0], "expected 6"),
        ({"patent_numbers": []}, ["body", "patent_numbers"], "application number"),
        ({"trl": 10}, ["body", "trl"], "less than or equal to 9"),
        ({"region_code": "990100"}, ["body", "region_code"], "names no province"),
        ({"transfer_modes": []}, ["body", "transfer_modes"], "at least 1"),
        ({"asking_price_fen": 12.5}, ["body", "asking_price_fen"], "integer"),
        ({"industry": "space_mining"}, ["body", "industry"], "Input should be"),
    ],
)
async def test_invalid_achievements_get_clear_errors(
    client: httpx.AsyncClient,
    session: AsyncSession,
    fields: dict[str, object],
    location: list[object],
    message: str,
) -> None:
    owner = await account(session, client)
    response = await client.post(
        "/api/v1/achievements", json=achievement(**fields), headers=owner.headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["loc"] == location
    assert message in problem["detail"]


async def test_negotiable_price_and_proof_of_concept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    poc = {"centre": "浙江省概念验证中心", "date": "2026-05-01", "result": "中试成功"}
    created = await client.post(
        "/api/v1/achievements",
        json=achievement(
            asking_price_fen=None, proof_of_concept=poc, transfer_modes=["free_then_paid"]
        ),
        headers=owner.headers,
    )
    assert created.json()["asking_price_fen"] is None
    assert created.json()["proof_of_concept"] == poc
    assert created.json()["transfer_modes"] == ["free_then_paid"]
