import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind, OrgStatus
from tests.factories import PASSWORD, account

NEW_USER = {"email": "intruder@example.com", "display_name": "x", "password": PASSWORD}


async def test_admin_of_org_a_cannot_act_on_org_b(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    a = await account(session, client)
    b = await account(session, client)

    added = await client.post(f"/api/v1/orgs/{b.org.id}/users", json=NEW_USER, headers=a.headers)
    assert added.status_code == 403
    assert added.json()["code"] == "not_your_org"

    patched = await client.patch(
        f"/api/v1/orgs/{b.org.id}/users/{b.user.id}", json={"roles": ["member"]}, headers=a.headers
    )
    assert patched.status_code == 403
    # Addressing B's user through A's own organisation does not work either.
    sideways = await client.patch(
        f"/api/v1/orgs/{a.org.id}/users/{b.user.id}", json={"roles": ["member"]}, headers=a.headers
    )
    assert sideways.status_code == 404

    listed = await client.get(f"/api/v1/orgs/{b.org.id}/users", headers=a.headers)
    assert listed.status_code == 403
    me = await client.get("/api/v1/me", headers=b.headers)
    assert me.json()["user"]["roles"] == ["admin"]  # unchanged


async def test_member_is_not_an_admin(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = await account(session, client)
    member = await account(session, client, roles=("member",), org=admin.org)
    response = await client.post(
        f"/api/v1/orgs/{admin.org.id}/users", json=NEW_USER, headers=member.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "missing_role"
    # …but may see the colleagues of its own organisation.
    listed = await client.get(f"/api/v1/orgs/{admin.org.id}/users", headers=member.headers)
    assert {u["id"] for u in listed.json()["items"]} == {admin.user.id, member.user.id}
    first = (await client.get(listed.url, params={"limit": 1}, headers=member.headers)).json()
    rest = await client.get(
        listed.url, params={"cursor": first["next_cursor"]}, headers=member.headers
    )
    assert [u["id"] for u in first["items"] + rest.json()["items"]] == [
        admin.user.id,
        member.user.id,
    ]


async def test_only_operators_review_organisations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    pending = await account(session, client, status=OrgStatus.pending)
    for kind in (OrgKind.enterprise, OrgKind.university, OrgKind.auditor):
        caller = await account(session, client, kind=kind)
        response = await client.post(
            f"/api/v1/orgs/{pending.org.id}/verify", headers=caller.headers
        )
        assert response.status_code == 403
        assert response.json()["code"] == "operator_only"
    # A suspended operator organisation is no operator.
    suspended_op = await account(session, client, kind=OrgKind.operator, status=OrgStatus.suspended)
    response = await client.post(
        f"/api/v1/orgs/{pending.org.id}/verify", headers=suspended_op.headers
    )
    assert response.status_code == 403


async def test_review_transitions(client: httpx.AsyncClient, session: AsyncSession) -> None:
    operator = await account(session, client, kind=OrgKind.operator)
    org = (await account(session, client, status=OrgStatus.pending)).org
    url = f"/api/v1/orgs/{org.id}"

    no_reason = await client.post(f"{url}/reject", json={}, headers=operator.headers)
    assert no_reason.status_code == 422
    assert (await client.post(f"{url}/verify", headers=operator.headers)).status_code == 200
    again = await client.post(f"{url}/verify", headers=operator.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_status_transition"
    suspended = await client.post(
        f"{url}/suspend", json={"reason": "资质过期"}, headers=operator.headers
    )
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "资质过期"
    assert (await client.get(url)).status_code == 404  # gone from public view
    assert (await client.post(f"{url}/verify", headers=operator.headers)).status_code == 200
    missing = await client.post("/api/v1/orgs/999999/verify", headers=operator.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "org_not_found"


async def test_last_admin_cannot_be_demoted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await account(session, client)
    response = await client.patch(
        f"/api/v1/orgs/{admin.org.id}/users/{admin.user.id}",
        json={"roles": ["member"]},
        headers=admin.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    me = await client.get("/api/v1/me", headers=admin.headers)
    assert me.json()["user"]["roles"] == ["admin"]


async def test_public_org_list_shows_only_verified(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    operator = await account(session, client, kind=OrgKind.operator)
    verified = await account(session, client)
    pending = await account(session, client, status=OrgStatus.pending)

    public = await client.get("/api/v1/orgs", params={"limit": 200})
    ids = {o["id"] for o in public.json()["items"]}
    assert verified.org.id in ids
    assert pending.org.id not in ids
    hidden = await client.get("/api/v1/orgs", params={"status": "pending"})
    assert hidden.json()["items"] == []

    for_operator = await client.get(
        "/api/v1/orgs", params={"status": "pending"}, headers=operator.headers
    )
    assert [o["id"] for o in for_operator.json()["items"]] == [pending.org.id]


async def test_org_list_pages_with_a_cursor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    made = [(await account(session, client)).org.id for _ in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/orgs", params=params)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert set(made) <= set(seen)

    bad = await client.get("/api/v1/orgs", params={"cursor": "!!not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"
