import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from techmarket import migrate
from techmarket.accounts import repository as accounts_repository
from techmarket.app import create_app
from techmarket.config import Settings
from techmarket.db import make_engine
from techmarket.logs import JsonFormatter
from tests.conftest import fresh_database
from tests.factories import account


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_when_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["revision"] == sorted(migrate.head_revisions())


@pytest.fixture
async def unmigrated(server_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await fresh_database(server_url, "techmarket_unmigrated"), pool_size=1)
    yield engine
    await engine.dispose()


async def test_readyz_refuses_until_migrated(unmigrated: AsyncEngine, settings: Settings) -> None:
    app = create_app(settings, engine=unmigrated)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        before = await client.get("/readyz")
        assert before.status_code == 503
        assert before.json()["status"] == "migrations_pending"
        await migrate.upgrade(unmigrated)
        assert (await client.get("/readyz")).status_code == 200


async def test_readyz_when_database_is_unreachable(settings: Settings) -> None:
    dead = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    app = create_app(settings, engine=dead)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    await dead.dispose()


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/orgs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_invalid_settings_fail_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("TECHMARKET_DATABASE_URL", "mysql://x/y")
    with pytest.raises(ValidationError, match="must be a PostgreSQL URL"):
        Settings()
    monkeypatch.setenv("TECHMARKET_DATABASE_URL", "postgresql://u@h/db")
    assert Settings().database_url == "postgresql+asyncpg://u@h/db"


async def test_unexpected_errors_do_not_leak(settings: Settings, engine: AsyncEngine) -> None:
    app = create_app(settings, engine=engine)

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.text


def test_tokens_never_reach_the_log() -> None:
    from techmarket.logs import RedactTokens

    record = logging.makeLogRecord(
        {"msg": '%s - "WebSocket %s" [accepted]', "args": ("1.2.3.4", "/ws/trades/1?token=s3cr3t")}
    )
    RedactTokens().filter(record)
    assert "s3cr3t" not in JsonFormatter().format(record)
    assert "token=[redacted]" in record.getMessage()


async def test_a_failed_insert_logs_its_statement_but_no_values(
    client: httpx.AsyncClient,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = await account(session, client)

    async def nobody(session: AsyncSession, email: str) -> None:
        return None  # skip the duplicate check, so that the INSERT itself fails

    monkeypatch.setattr(accounts_repository, "find_user_by_email", nobody)
    secret = "a brand new long secret"
    user = {"email": admin.user.email, "display_name": "重复", "password": secret}
    with caplog.at_level(logging.ERROR, logger="techmarket.errors"):
        response = await client.post(
            f"/api/v1/orgs/{admin.org.id}/users", json=user, headers=admin.headers
        )
    assert response.status_code == 500
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "INSERT INTO users" in logged  # the statement's shape, to find the bug by
    assert "$argon2" not in logged
    assert admin.user.email not in logged
    assert secret not in logged
