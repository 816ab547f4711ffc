"""Failed logins slow down guessing from one address, never lock an account out."""

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.models.org import LoginFailure, User
from tests.conftest import START
from tests.factories import PASSWORD, make_org, make_user

ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"

ClientFrom = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def client_from(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> AsyncIterator[ClientFrom]:
    """HTTP clients of one application, each calling from its own client address."""
    app = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
    clients: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(address, 50000)
        )
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def _user(session: AsyncSession) -> User:
    user = await make_user(session, await make_org(session))
    await session.commit()
    return user


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


async def test_the_owner_logs_in_after_many_failures_from_another_address(
    client_from: ClientFrom, session: AsyncSession, clock: FixedClock
) -> None:
    victim = await _user(session)
    attacker = client_from(ATTACKER)
    for _ in range(20):
        clock.advance(timedelta(seconds=5))
        failed = await _login(attacker, victim.email, "wrong password!")
        assert failed.status_code in (401, 429)
    assert failed.status_code == 429  # the attacker is slowed down…

    owner = await _login(client_from(OWNER), victim.email, PASSWORD)
    assert owner.status_code == 200, owner.text  # …the owner is not


async def test_guessing_one_account_waits_longer_after_each_failure(
    client_from: ClientFrom, session: AsyncSession, clock: FixedClock
) -> None:
    user = await _user(session)
    client = client_from(ATTACKER)
    for _ in range(5):  # the first failures cost nothing: people mistype
        assert (await _login(client, user.email, "wrong password!")).status_code == 401

    waits = []
    for _ in range(4):
        limited = await _login(client, user.email, PASSWORD)  # even the right password waits
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited"
        waits.append(int(limited.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1]))
        assert (await _login(client, user.email, "wrong password!")).status_code == 401
    assert waits == [1, 2, 4, 8]

    clock.advance(timedelta(seconds=15))
    assert (await _login(client, user.email, "wrong password!")).status_code == 429
    clock.advance(timedelta(seconds=1))
    assert (await _login(client, user.email, PASSWORD)).status_code == 200


async def test_spraying_one_password_over_many_accounts_is_slowed(
    client_from: ClientFrom, clock: FixedClock
) -> None:
    sprayer = client_from(ATTACKER)
    accounts = (f"staff{n}@university.example.edu" for n in range(100))
    for _ in range(20):
        assert (await _login(sprayer, next(accounts), "Spring2026!")).status_code == 401

    waits = []
    for _ in range(3):
        limited = await _login(sprayer, next(accounts), "Spring2026!")
        assert limited.status_code == 429
        waits.append(int(limited.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1]))
        assert (await _login(sprayer, next(accounts), "Spring2026!")).status_code == 401
    assert waits == [1, 2, 4]
    # Another address is not held up by this one.
    assert (await _login(client_from(OWNER), next(accounts), "x")).status_code == 401


async def test_an_ipv6_network_counts_as_one_address(
    client_from: ClientFrom, session: AsyncSession
) -> None:
    """Whoever has one IPv6 address usually has its whole /64."""
    user = await _user(session)
    for n in range(5):
        failed = await _login(client_from(f"2001:db8:1:2::{n + 1:x}"), user.email, "wrong!")
        assert failed.status_code == 401
    limited = await _login(client_from("2001:db8:1:2:ffff::1"), user.email, PASSWORD)
    assert limited.status_code == 429
    assert (await _login(client_from("2001:db8:1:3::1"), user.email, PASSWORD)).status_code == 200


@pytest.fixture
async def served(
    engine: AsyncEngine, committed: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[ClientFrom]:
    """Clients of an application on real connections, so that requests run concurrently."""
    app = create_app(settings, clock=FixedClock(START), engine=engine)
    clients: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def test_concurrent_guesses_count_against_each_other(
    served: ClientFrom, committed: async_sessionmaker[AsyncSession]
) -> None:
    async with committed() as session:
        user = await _user(session)
    client = served(ATTACKER)
    answers = await asyncio.gather(
        *(_login(client, user.email, f"guess number {n}") for n in range(24))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 19


async def test_password_hashing_does_not_stall_other_requests(
    served: ClientFrom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While 24 logins are checking passwords, the server still answers."""
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    hashing = asyncio.Event()
    release = threading.Event()
    state = {"in_progress": 0, "on_loop": 0}
    lock = threading.Lock()
    verify = PasswordHasher.verify

    def slow_verify(self: PasswordHasher, hash: str, password: str | bytes) -> bool:
        if threading.get_ident() == loop_thread:
            state["on_loop"] += 1  # waiting here would block the test itself: just count it
            return verify(self, hash, password)
        with lock:
            state["in_progress"] += 1
        loop.call_soon_threadsafe(hashing.set)
        release.wait(timeout=60)  # the test releases it; the timeout only ends a broken run
        with lock:
            state["in_progress"] -= 1
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow_verify)
    logins = asyncio.gather(
        *(_login(served(f"192.0.2.{n}"), f"nobody{n}@example.com", "guess") for n in range(24))
    )
    started = asyncio.ensure_future(hashing.wait())
    try:
        await asyncio.wait({logins, started}, return_when=asyncio.FIRST_COMPLETED)
        health = await served("192.0.2.200").get("/healthz")
        hashing_meanwhile = state["in_progress"]
    finally:
        release.set()
    assert health.status_code == 200
    assert [r.status_code for r in await logins] == [401] * 24
    started.cancel()
    assert state["on_loop"] == 0
    assert hashing_meanwhile > 0  # /healthz was answered while passwords were being checked


async def test_failures_are_deleted_once_they_no_longer_count(
    client_from: ClientFrom,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    client = client_from(ATTACKER)
    for n in range(3):
        assert (await _login(client, f"someone{n}@example.com", "guess")).status_code == 401
    clock.advance(timedelta(hours=23))
    assert (await _login(client, "someone@example.com", "guess")).status_code == 401
    assert await session.scalar(select(func.count()).select_from(LoginFailure)) == 4

    clock.advance(timedelta(hours=1, seconds=1))
    await scheduler.run_due(sessionmaker, clock)
    assert await session.scalar(select(func.count()).select_from(LoginFailure)) == 1


async def test_an_overlong_username_is_just_a_failed_login(client_from: ClientFrom) -> None:
    client = client_from(ATTACKER)
    for _ in range(5):
        answer = await _login(client, "x" * 300 + "@example.com", "guess")
        assert answer.status_code == 401
        assert answer.json()["code"] == "invalid_credentials"
    assert (await _login(client, "x" * 300 + "@example.com", "guess")).status_code == 429
