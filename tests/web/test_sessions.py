"""Browser sessions, CSRF and error pages over HTTP (in-process, no browser)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket import stats
from techmarket.accounts.policy import NotYourOrg
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.errors import Conflict
from techmarket.models.org import User
from tests.factories import PASSWORD, make_org, make_user

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_token(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form token"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(form)},
    )


@pytest.fixture
async def user(session: AsyncSession) -> User:
    user = await make_user(session, await make_org(session))
    await session.commit()
    return user


async def test_login_sets_a_protected_session_cookie(client: httpx.AsyncClient, user: User) -> None:
    response = await sign_in(client, user.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tm_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP
    account = await client.get("/account")
    assert account.status_code == 200
    assert user.email in account.text


async def test_over_https_the_cookie_is_secure(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
    user: User,
) -> None:
    app = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://market.test") as client:
        response = await sign_in(client, user.email)
    assert "Secure" in response.headers["set-cookie"]


async def test_login_goes_back_only_to_a_page_of_this_site(
    client: httpx.AsyncClient, user: User
) -> None:
    form = await client.get("/login", params={"next": "//evil.example/phish"})
    response = await client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "next": "//evil.example/phish",
            "csrf_token": csrf_token(form),
        },
    )
    assert response.headers["location"] == "/account"


async def test_missing_fields_are_reported_next_to_them(client: httpx.AsyncClient) -> None:
    form = await client.get("/login")
    response = await client.post("/login", data={"csrf_token": csrf_token(form)})
    assert response.status_code == 422
    assert re.search(r'id="f-email-error">请填写此项。', response.text)
    assert re.search(r'id="f-password-error">请填写此项。', response.text)


async def test_failed_logins_are_counted_and_then_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    for _ in range(settings.login_free_failures):
        response = await sign_in(client, user.email, "wrong password")
        assert response.status_code == 422
        assert "邮箱或密码不正确" in response.text
        assert "wrong password" not in response.text  # a password is never echoed
    refused = await sign_in(client, user.email)  # from this address, even the right one waits
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.text
    assert int(refused.headers["retry-after"]) > 0


async def test_a_form_without_its_token_is_refused(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "表单已失效" in response.text
    assert (
        "set-cookie" not in response.headers or "tm_session" not in response.headers["set-cookie"]
    )


async def test_a_token_from_another_browser_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    assert (await sign_in(client, user.email)).status_code == 303
    signed_in = dict(client.cookies)
    client.cookies.clear()
    client.cookies.set("tm_csrf", "another browser's nonce")
    forged = csrf_token(await client.get("/login"))
    client.cookies.clear()
    client.cookies.update(signed_in)
    response = await client.post("/logout", data={"csrf_token": forged})
    assert response.status_code == 403
    assert (await client.get("/account")).status_code == 200  # still signed in


async def test_logout_revokes_the_token(client: httpx.AsyncClient, user: User) -> None:
    assert (await sign_in(client, user.email)).status_code == 303
    token = client.cookies["tm_session"]
    account = await client.get("/account")
    response = await client.post("/logout", data={"csrf_token": csrf_token(account)})
    assert response.status_code == 303
    assert 'tm_session=""' in response.headers["set-cookie"]
    client.cookies.set("tm_session", token)  # a copy kept by someone
    again = await client.get("/account")
    assert again.status_code == 403
    assert "请登录" in again.text
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


async def test_api_errors_stay_problem_details(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/achievements/999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_unexpected_failure_is_a_page_without_a_trace(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(stats, "headline", broken)
    response = await client.get("/", headers={"x-request-id": "req-42"})
    assert response.status_code == 500
    assert "服务器内部错误" in response.text
    assert "req-42" in response.text  # the reference a person can quote
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


@pytest.fixture
async def refusing_client(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with two pages that refuse, as pages over the services will."""
    app = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
    pages = APIRouter()

    @pages.get("/refuse/not-yours")
    async def not_yours() -> None:
        raise NotYourOrg()

    @pages.get("/refuse/conflict")
    async def conflict() -> None:
        raise Conflict()

    app.include_router(pages)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def test_refusals_are_pages_in_chinese(refusing_client: httpx.AsyncClient) -> None:
    not_yours = await refusing_client.get("/refuse/not-yours")
    assert not_yours.status_code == 403
    assert "不是您的机构" in not_yours.text
    conflict = await refusing_client.get("/refuse/conflict")
    assert conflict.status_code == 409
    assert "当前状态" in conflict.text
    assert conflict.headers["content-type"].startswith("text/html")
