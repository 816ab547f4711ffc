"""E-mail notifications: a Chinese e-mail with a one-click unsubscribe per kind, sent
from the outbox and retried while the SMTP server is down."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts.policy import Principal
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.delivery import repository as delivery_repo
from techmarket.delivery import webhook, worker
from techmarket.models.delivery import Delivery, WebhookEndpoint
from techmarket.notify import feed, inbox
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.trading import bidding
from tests.conftest import START
from tests.delivery.receivers import free_port, smtp_server, webhook_receiver
from tests.factories import make_org, make_user
from tests.trading.helpers import committed_auction

NOW = START + timedelta(minutes=15)
OUTBID = "【技术市场】您的出价已被超过"


async def _send(
    committed: async_sessionmaker[AsyncSession], clock: FixedClock, settings: Settings, app: FastAPI
) -> None:
    async with worker.senders(settings, app.state.session_key) as senders:
        await worker.step(committed, clock, senders)


def _draft(user_id: int, kind: Kind, title: str, key: str) -> Draft:
    return Draft(user_id, kind, "trade/1", title, "正文", "/trades/1", key)


async def test_an_outbid_bidder_is_emailed_in_chinese_and_unsubscribes_from_that_kind_only(
    committed: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
    app: FastAPI,
    http: httpx.AsyncClient,
    smtp_port: int,
) -> None:
    clock.advance(NOW - START)
    trade_id, (a, b) = await committed_auction(committed, 2)

    async def bids(*placed: tuple[Principal, int]) -> None:
        for who, amount in placed:
            async with committed.begin() as session:
                await bidding.place_bid(session, who, trade_id, amount, None, None, NOW, clock)
        await feed.step(committed, clock)

    await bids((a, 1_000_000), (b, 1_200_000))  # a is outbid
    with smtp_server(smtp_port) as mailbox:
        await _send(committed, clock, settings, app)
        [mail] = mailbox.messages
        assert mail["Subject"] == OUTBID and mail["To"] == a.user.email
        text = mail.get_body(("plain",))
        html = mail.get_body(("html",))
        assert text is not None and html is not None
        link = f"{settings.pages_url}/trades/{trade_id}"
        assert link in text.get_content() and f'href="{link}"' in html.get_content()
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = mail["List-Unsubscribe"].strip("<>")

        # A person opening the link is asked first; the mail client's POST unsubscribes.
        page = await http.get(unsubscribe)
        assert page.status_code == 200 and "确认退订" in page.text
        forged = unsubscribe[:-2] + ("AA" if not unsubscribe.endswith("AA") else "BB")
        assert (await http.post(forged, data={"List-Unsubscribe": "One-Click"})).status_code == 404
        done = await http.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "已退订" in done.text

        # a is outbid again, b too, and a is told of another kind: a gets only that one.
        await bids((a, 1_300_000), (b, 1_400_000))
        async with committed.begin() as session:
            closed = _draft(a.user.id, Kind.closed, "拍卖已结束", "closed/1")
            await inbox.deliver(session, [closed], clock.now())
        await _send(committed, clock, settings, app)
        sent = {(m["To"], m["Subject"]) for m in mailbox.messages[1:]}
        assert sent == {(b.user.email, OUTBID), (a.user.email, "【技术市场】拍卖已结束")}


async def test_mail_waits_for_the_smtp_server_without_holding_up_a_webhook(
    committed: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
    app: FastAPI,
    smtp_port: int,
) -> None:
    async with committed.begin() as session:
        org = await make_org(session)
        user = await make_user(session, org)
        hook_port = free_port()
        endpoint = await delivery_repo.add_endpoint(
            session,
            WebhookEndpoint(
                org_id=org.id,
                url=f"http://127.0.0.1:{hook_port}/hook",
                kinds=[Kind.outbid],
                secret=webhook.new_secret(),
                created_by=user.id,
                created_at=clock.now(),
            ),
        )
        await inbox.deliver(
            session, [_draft(user.id, Kind.outbid, "您的出价已被超过", "ledger/1")], clock.now()
        )

    def now() -> int:
        return int(clock.now().timestamp())

    with webhook_receiver(hook_port, endpoint.secret, now) as receiver:
        await _send(committed, clock, settings, app)  # no SMTP server listening yet
        assert len(receiver.verified) == 1  # the webhook went out all the same
        with smtp_server(smtp_port) as mailbox:
            clock.advance(timedelta(minutes=1))  # the first retry is within 30 s
            await _send(committed, clock, settings, app)
            [mail] = mailbox.messages
            assert mail["To"] == user.email
        assert len(receiver.received) == 1  # the webhook is not sent again

    async with committed() as session:
        email = await session.scalar(select(Delivery).where(Delivery.channel == "email"))
        assert email is not None and (email.status, email.attempts) == ("sent", 2)
