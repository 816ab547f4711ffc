from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.clock import FixedClock
from techmarket.models.org import OrgKind
from tests.factories import PASSWORD, account, credit_code, login


def registration(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "浙江工业大学",
        "kind": "university",
        "region_code": "330100",
        "credit_code": credit_code(),
        "admin": {"email": "Admin@ZJUT.edu.cn", "display_name": "管理员", "password": PASSWORD},
    }
    body.update(overrides)
    return body


async def test_register_verify_login_me(client: httpx.AsyncClient, session: AsyncSession) -> None:
    operator = await account(session, client, kind=OrgKind.operator)

    registered = await client.post("/api/v1/orgs", json=registration())
    assert registered.status_code == 201, registered.text
    org_id = registered.json()["org"]["id"]
    assert registered.json()["org"]["status"] == "pending"
    assert registered.json()["admin"]["email"] == "admin@zjut.edu.cn"
    assert registered.json()["admin"]["roles"] == ["admin"]

    # A pending organisation can log in and see itself, but not act.
    token = await login(client, "admin@zjut.edu.cn")
    headers = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["org"]["status"] == "pending"
    new_user = {"email": "tto@zjut.edu.cn", "display_name": "转化办", "password": PASSWORD}
    refused = await client.post(f"/api/v1/orgs/{org_id}/users", json=new_user, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "org_not_verified"
    # …and the public does not see it yet.
    assert (await client.get(f"/api/v1/orgs/{org_id}")).status_code == 404

    verified = await client.post(f"/api/v1/orgs/{org_id}/verify", headers=operator.headers)
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"

    assert (await client.get(f"/api/v1/orgs/{org_id}")).json()["status"] == "verified"
    added = await client.post(
        f"/api/v1/orgs/{org_id}/users", json={**new_user, "roles": ["tto"]}, headers=headers
    )
    assert added.status_code == 201, added.text
    tto_token = await login(client, "tto@zjut.edu.cn")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tto_token}"})
    assert me.json()["user"]["roles"] == ["tto"]
    assert me.json()["org"]["id"] == org_id


async def test_duplicate_registration_is_a_conflict(client: httpx.AsyncClient) -> None:
    body = registration()
    assert (await client.post("/api/v1/orgs", json=body)).status_code == 201
    again = await client.post("/api/v1/orgs", json={**body, "name": "另一个名字"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"
    assert "credit_code" in again.json()["detail"]


async def test_bad_credit_code_is_a_clear_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/orgs", json=registration(credit_code="91350100M000100Y42")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["loc"] == ["body", "credit_code"]
    assert "expected 3" in problem["detail"]


async def test_operator_kind_cannot_be_registered(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/orgs", json=registration(kind="operator"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "kind"]


async def test_wrong_password_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await account(session, client)
    response = await client.post(
        "/api/v1/auth/token", data={"username": user.user.email, "password": "not the password"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    unknown = await client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.com", "password": PASSWORD}
    )
    assert unknown.json()["code"] == "invalid_credentials"  # no hint that the email is unknown


async def test_token_expires(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    user = await account(session, client)
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
    clock.advance(timedelta(hours=12, seconds=1))
    expired = await client.get("/api/v1/me", headers=user.headers)
    assert expired.status_code == 401
    assert expired.json()["code"] == "invalid_token"
    assert expired.headers["www-authenticate"] == "Bearer"


async def test_logout_revokes_the_token(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await account(session, client)
    other_token = await login(client, user.user.email)
    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 401
    # Only that token: another session of the same user goes on.
    other = {"Authorization": f"Bearer {other_token}"}
    assert (await client.get("/api/v1/me", headers=other)).status_code == 200


async def test_garbage_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_deactivated_user_loses_access(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await account(session, client)
    member = await account(session, client, roles=("member",), org=admin.org)
    response = await client.patch(
        f"/api/v1/orgs/{admin.org.id}/users/{member.user.id}",
        json={"is_active": False},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=member.headers)).status_code == 401
