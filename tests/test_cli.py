"""The command line, against the test server (committed data, cleaned up afterwards)."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from techmarket.app import create_app
from techmarket.cli import app
from techmarket.config import Settings
from techmarket.db import make_engine
from techmarket.demo import DEMO_PASSWORD
from tests.factories import credit_code, login

runner = CliRunner()
UNSAFE = "--unsafe-demo-on-database-url"


@pytest.fixture
def cli_env(
    env: Callable[..., None], database_url: str, committed: async_sessionmaker[AsyncSession]
) -> None:
    env(database_url=database_url)


async def _me(database_url: str, email: str, password: str) -> dict[str, Any]:
    engine = make_engine(database_url, pool_size=1)
    application = create_app(Settings(database_url=database_url), engine=engine)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        token = await login(client, email, password)
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    await engine.dispose()
    return dict(me.json())


def test_create_operator_then_log_in(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("TECHMARKET_OPERATOR_PASSWORD", "a long operator secret")
    args = [
        "admin",
        "create-operator",
        "--email",
        "ops@platform.example.com",
        "--display-name",
        "运营",
        "--org-name",
        "平台运营",
        "--credit-code",
        credit_code(),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    me = asyncio.run(_me(database_url, "ops@platform.example.com", "a long operator secret"))
    assert me["org"]["kind"] == "operator"
    assert me["org"]["status"] == "verified"
    assert me["user"]["roles"] == ["admin"]

    duplicate = runner.invoke(app, args)
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output


def test_create_operator_validates(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHMARKET_OPERATOR_PASSWORD", "a long operator secret")
    result = runner.invoke(
        app,
        [
            "admin",
            "create-operator",
            "--email",
            "o@p.example.com",
            "--display-name",
            "x",
            "--org-name",
            "y",
            "--credit-code",
            "91350100M000100Y42",
        ],
    )
    assert result.exit_code == 2
    assert "expected 3" in result.output


def test_create_operator_has_no_default_password(cli_env: None) -> None:
    result = runner.invoke(
        app,
        [
            "admin",
            "create-operator",
            "--email",
            "o@p.example.com",
            "--display-name",
            "x",
            "--org-name",
            "y",
            "--credit-code",
            credit_code(),
        ],
        input="",
    )
    assert result.exit_code != 0


def test_demo_is_idempotent(cli_env: None) -> None:
    first = runner.invoke(app, ["demo", UNSAFE])
    assert first.exit_code == 0, first.output
    assert "published password" in first.output  # the flag is loud
    second = runner.invoke(app, ["demo", UNSAFE])
    assert second.exit_code == 0, second.output
    assert "buyer@weilai.demo.techmarket.cn" in second.output
    assert DEMO_PASSWORD in second.output


async def _user_count(database_url: str) -> int:
    engine = make_engine(database_url, pool_size=1)
    async with engine.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM users"))
    await engine.dispose()
    return int(count or 0)


def test_demo_refuses_the_configured_database(cli_env: None, database_url: str) -> None:
    """TECHMARKET_DATABASE_URL is a real deployment's: no operator with a published password."""
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "TECHMARKET_DATABASE_URL" in result.output
    assert UNSAFE in result.output
    assert DEMO_PASSWORD not in result.output
    assert asyncio.run(_user_count(database_url)) == 0

    serve = runner.invoke(app, ["serve", "--demo"])
    assert serve.exit_code == 2
    assert "TECHMARKET_DATABASE_URL" in serve.output


def test_demo_never_joins_real_accounts(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("TECHMARKET_OPERATOR_PASSWORD", "a long operator secret")
    operator = [
        *("admin", "create-operator", "--email", "ops@platform.example.com"),
        *("--display-name", "运营", "--org-name", "平台运营", "--credit-code", credit_code()),
    ]
    assert runner.invoke(app, operator).exit_code == 0
    result = runner.invoke(app, ["demo", UNSAFE])
    assert result.exit_code == 2
    assert "accounts of its own" in result.output
    assert asyncio.run(_user_count(database_url)) == 1


def test_db_current_reports_head(cli_env: None) -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0
    assert "at head" in result.output


def test_invalid_configuration_is_reported(env: Callable[..., None]) -> None:
    env(database_url="mysql://nope")
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 2
    assert "TECHMARKET_DATABASE_URL" in result.output


def test_create_operator_refuses_a_weak_password(
    cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TECHMARKET_OPERATOR_PASSWORD", "1234567890")
    result = runner.invoke(
        app,
        [
            "admin",
            "create-operator",
            "--email",
            "o@p.example.com",
            "--display-name",
            "运营",
            "--org-name",
            "平台运营",
            "--credit-code",
            credit_code(),
        ],
    )
    assert result.exit_code == 2
    assert "password" in result.output
    assert "easy to guess" in result.output
