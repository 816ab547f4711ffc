"""New passwords must be hard to guess, wherever a password is set."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.test_auth import registration
from tests.factories import PASSWORD, account

WEAK = ["aaaaaaaaaa", "1234567890", "password12", "qwertyuiop", "abcdefghij"]


@pytest.mark.parametrize("password", WEAK)
async def test_registration_refuses_a_weak_admin_password(
    client: httpx.AsyncClient, password: str
) -> None:
    admin = {"email": "admin@zjut.edu.cn", "display_name": "管理员", "password": password}
    response = await client.post("/api/v1/orgs", json=registration(admin=admin))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "admin", "password"], "weak_password")
    ]
    assert "admin.password" in problem["detail"]
    assert "easy to guess" in problem["detail"]


async def test_a_password_made_of_the_users_own_email_is_weak(
    client: httpx.AsyncClient,
) -> None:
    admin = {"email": "lihua@zjut.edu.cn", "display_name": "李华", "password": "lihua@zjut"}
    response = await client.post("/api/v1/orgs", json=registration(admin=admin))
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "weak_password"


async def test_a_new_user_needs_a_strong_password(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await account(session, client)
    user = {"email": "tto@example.com", "display_name": "转化办", "password": "password12"}
    weak = await client.post(f"/api/v1/orgs/{admin.org.id}/users", json=user, headers=admin.headers)
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["loc"] == ["body", "password"]
    assert weak.json()["errors"][0]["type"] == "weak_password"

    strong = {**user, "password": PASSWORD}
    added = await client.post(
        f"/api/v1/orgs/{admin.org.id}/users", json=strong, headers=admin.headers
    )
    assert added.status_code == 201, added.text
