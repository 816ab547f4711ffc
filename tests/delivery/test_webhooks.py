"""Signed webhooks: registered by an organisation's admin, one delivery per event for
all its users, verified by a real receiver, retried while it is down, logged for the
owner and for no one else."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.delivery import repository as repo
from techmarket.delivery import worker
from techmarket.delivery.rules import LEASE, Channel
from techmarket.models.org import Role
from techmarket.notify import inbox
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from tests.delivery.receivers import free_port, webhook_receiver
from tests.factories import Account, account


async def _account(
    committed: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    roles: tuple[str, ...] = (Role.admin,),
    of: Account | None = None,
) -> Account:
    """A signed-in user of a new organisation, or of ``of``'s."""
    async with committed() as session:
        return await account(session, http, roles=roles, org=of.org if of else None)


async def test_a_webhook_is_signed_retried_while_the_receiver_is_down_and_logged_for_its_owner(
    committed: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    admin = await _account(committed, http)
    member = await _account(committed, http, (Role.member,), of=admin)
    stranger = await _account(committed, http)
    port = free_port()
    created = await http.post(
        "/api/v1/webhooks",
        json={"url": f"http://127.0.0.1:{port}/hook", "kinds": ["outbid"]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    url = f"/api/v1/webhooks/{hook['id']}"
    assert "secret" not in (await http.get(url, headers=admin.headers)).json()  # shown once

    # The event is told to both users of the organisation: one webhook, not two.
    async with committed.begin() as session:
        drafts = [
            Draft(
                user.id, Kind.outbid, "trade/9", "您的出价已被超过", "正文", "/trades/9", "ledger/9"
            )
            for user in (admin.user, member.user)
        ]
        await inbox.deliver(session, drafts, clock.now())

    def now() -> int:
        return int(clock.now().timestamp())

    async def send() -> None:
        async with worker.senders(settings, b"unused: no e-mail here") as senders:
            await worker.step(committed, clock, senders)

    await send()  # nobody listens on the port yet
    [failed] = (await http.get(f"{url}/deliveries", headers=admin.headers)).json()["items"]
    assert failed["status"] == "pending" and failed["attempts"][0]["status_code"] is None
    assert failed["attempts"][0]["error"] and failed["next_attempt_at"] is not None

    with webhook_receiver(port, hook["secret"], now) as receiver:
        clock.advance(timedelta(minutes=1))
        await send()
        [got] = receiver.received
        assert got.verified and got.headers["webhook-id"] == failed["webhook_id"]
        assert json.loads(got.body)["data"]["title"] == "您的出价已被超过"

        # The signature covers the body, and a replay later than the tolerance is refused.
        hook_url = f"http://127.0.0.1:{port}/hook"
        signed = {k: v for k, v in got.headers.items() if k.startswith("webhook-")}
        async with httpx.AsyncClient() as raw:
            tampered = got.body.replace("您的出价已被超过".encode(), "您已中标".encode())
            assert (await raw.post(hook_url, content=tampered, headers=signed)).status_code == 400
            clock.advance(timedelta(minutes=10))
            assert (await raw.post(hook_url, content=got.body, headers=signed)).status_code == 400

    page = (await http.get(f"{url}/deliveries", headers=admin.headers)).json()
    [sent] = page["items"]
    assert sent["status"] == "sent" and sent["next_attempt_at"] is None
    assert [a["status_code"] for a in sent["attempts"]] == [None, 204]

    # Another organisation cannot see or remove it; a member who is no admin may not.
    for method, path in (("GET", url), ("GET", f"{url}/deliveries"), ("DELETE", url)):
        refused = await http.request(method, path, headers=stranger.headers)
        assert (refused.status_code, refused.json()["code"]) == (404, "webhook_not_found")
    assert (await http.get(url, headers=member.headers)).json()["code"] == "missing_role"
    assert (await http.delete(url, headers=admin.headers)).status_code == 204
    assert (await http.get(url, headers=admin.headers)).status_code == 404


async def test_a_claim_left_by_a_crashed_process_lapses_and_the_same_id_is_sent(
    committed: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    admin = await _account(committed, http)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    hook = (
        await http.post(
            "/api/v1/webhooks", json={"url": url, "kinds": ["outbid"]}, headers=admin.headers
        )
    ).json()
    async with committed.begin() as session:
        draft = Draft(admin.user.id, Kind.outbid, "trade/9", "出价被超过", "正文", "/trades/9", "k")
        await inbox.deliver(session, [draft], clock.now())
    async with committed.begin() as session:  # a process claims it, then dies
        [claimed] = await repo.claim(session, clock.now(), 10, [Channel.webhook])

    no_mail = settings.model_copy(update={"smtp_url": None})

    def now() -> int:
        return int(clock.now().timestamp())

    with webhook_receiver(port, hook["secret"], now) as receiver:
        async with worker.senders(no_mail, b"unused") as senders:
            assert await worker.step(committed, clock, senders) == 0  # the claim holds
            clock.advance(LEASE)
            assert await worker.step(committed, clock, senders) == 1
        [got] = receiver.verified
        assert got.headers["webhook-id"] == f"msg_{claimed.delivery.message_id.hex}"


async def test_a_slow_receiver_holds_up_no_other(
    committed: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    slow_admin, fast_admin = await _account(committed, http), await _account(committed, http)
    hooks = []
    for admin in (slow_admin, fast_admin):  # the slow one's delivery is first in line
        port = free_port()
        registered = await http.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:{port}/hook", "kinds": ["outbid"]},
            headers=admin.headers,
        )
        hooks.append((port, registered.json()["secret"]))
        async with committed.begin() as session:
            draft = Draft(admin.user.id, Kind.outbid, "trade/9", "出价被超过", "正文", "/t", "k")
            await inbox.deliver(session, [draft], clock.now())

    def now() -> int:
        return int(clock.now().timestamp())

    loop = asyncio.get_running_loop()
    fast_arrived, release = asyncio.Event(), threading.Event()
    (slow_port, slow_secret), (fast_port, fast_secret) = hooks
    with (
        webhook_receiver(slow_port, slow_secret, now, hold=release) as slow,
        webhook_receiver(
            fast_port, fast_secret, now, lambda: loop.call_soon_threadsafe(fast_arrived.set)
        ) as fast,
    ):
        async with worker.senders(settings.model_copy(update={"smtp_url": None}), b"-") as s:
            sending = asyncio.create_task(worker.step(committed, clock, s))
            # Sent one after the other, the fast one would wait for the slow one's timeout,
            # and the slow one, released only now, would have failed.
            await fast_arrived.wait()
            release.set()
            assert await sending == 2
        assert len(slow.verified) == len(fast.verified) == 1
    for admin in (slow_admin, fast_admin):
        [hook] = (await http.get("/api/v1/webhooks", headers=admin.headers)).json()["items"]
        log = await http.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin.headers)
        assert [d["status"] for d in log.json()["items"]] == ["sent"]
