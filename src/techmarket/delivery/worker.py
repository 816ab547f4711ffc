"""The senders: every serving process takes due deliveries from the outbox, sends them
and records what came of each. A claim is a lease (``rules.LEASE``): a process that dies
while sending loses it, and another sends again, under the same message id. Deliveries
are sent side by side with timeouts, so one slow or unreachable target holds up no other
for longer than its timeout, and never past the lease."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import metrics
from techmarket.clock import Clock
from techmarket.config import Settings
from techmarket.delivery import email, rules, unsubscribe, webhook
from techmarket.delivery import repository as repo
from techmarket.delivery.repository import Claimed
from techmarket.delivery.rules import Channel, Outcome, Status

log = logging.getLogger("techmarket.delivery")

BATCH = 50  # deliveries sent side by side
SEND_TIMEOUT = 30.0  # seconds for one delivery, whatever its channel
POLL_INTERVAL = 1.0  # seconds between looks at the outbox when nothing was due


@dataclass(frozen=True)
class Senders:
    """What sending needs: the SMTP server (None: e-mail is not sent), the HTTP client,
    the pages' address for links and the secret that signs unsubscribe links."""

    smtp: email.Smtp | None
    mail_from: str
    pages_url: str
    unsubscribe_key: bytes
    allow_private: bool
    http: httpx.AsyncClient


@asynccontextmanager
async def senders(settings: Settings, unsubscribe_key: bytes) -> AsyncIterator[Senders]:
    smtp_url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
    async with httpx.AsyncClient(timeout=webhook.TIMEOUT, follow_redirects=False) as http:
        yield Senders(
            smtp=email.Smtp.parse(smtp_url) if smtp_url else None,
            mail_from=settings.smtp_from,
            pages_url=settings.pages_url,
            unsubscribe_key=unsubscribe_key,
            allow_private=settings.webhook_allow_private,
            http=http,
        )


def unsubscribe_url(pages_url: str, key: bytes, user_id: int, kind: str) -> str:
    return f"{pages_url}/unsubscribe/{unsubscribe.token(key, user_id, kind)}"


async def _send(s: Senders, claimed: Claimed, now: datetime) -> Outcome:
    d, n = claimed.delivery, claimed.notification
    link = s.pages_url + n.link
    if d.channel == Channel.webhook:
        assert claimed.secret is not None
        content = webhook.body(n, link)
        webhook_id = f"msg_{d.message_id.hex}"
        return await webhook.send(
            s.http, d.target, claimed.secret, webhook_id, now, content, s.allow_private
        )
    assert s.smtp is not None  # claimed only when there is one
    letter = email.Letter(
        notification=n,
        to=d.target,
        message_id=email.message_id(str(d.message_id), s.mail_from),
        link=link,
        unsubscribe=unsubscribe_url(s.pages_url, s.unsubscribe_key, n.user_id, n.kind),
        sender=s.mail_from,
        sent_at=now,
    )
    return await email.send(s.smtp, email.compose(letter))


async def _attempt(s: Senders, claimed: Claimed, now: datetime) -> Outcome:
    """One delivery's attempt, which never raises: a failure is an outcome to retry."""
    try:
        return await asyncio.wait_for(_send(s, claimed, now), SEND_TIMEOUT)
    except TimeoutError:
        return Outcome(Status.pending, error=f"no answer within {SEND_TIMEOUT:g} s")
    except Exception as exc:  # a bug here must not stop the other deliveries
        log.exception("delivery %s failed", claimed.delivery.id)
        return Outcome(Status.pending, error=f"{type(exc).__name__}: {exc}")


async def step(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, s: Senders) -> int:
    """Send the deliveries due now (up to BATCH); returns how many were tried."""
    async with sessionmaker.begin() as session:
        if s.smtp is None:
            await repo.skip_emails(session)
        channels = [Channel.webhook] if s.smtp is None else list(Channel)
        claimed = await repo.claim(session, clock.now(), BATCH, channels)
    if not claimed:
        return 0
    outcomes = await asyncio.gather(*(_attempt(s, c, clock.now()) for c in claimed))
    now = clock.now()
    async with sessionmaker.begin() as session:
        for c, outcome in zip(claimed, outcomes, strict=True):
            d = c.delivery
            status, retry_at = rules.after(outcome, d.attempts, d.created_at, now, random.random)
            metrics.DELIVERY_ATTEMPTS.labels(d.channel, status).inc()
            if status != Status.sent:
                log.info(
                    "delivery %s (%s) attempt %s: %s",
                    d.id,
                    d.channel,
                    d.attempts,
                    outcome.error,
                )
            await repo.record(
                session, d.id, now, status, retry_at, outcome.status_code, outcome.error
            )
    return len(claimed)


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: Settings,
    unsubscribe_key: bytes,
) -> None:
    """Send as deliveries fall due until cancelled. A failing step is logged and retried."""
    async with senders(settings, unsubscribe_key) as s:
        while True:
            try:
                with metrics.job_run("delivery"):
                    tried = await step(sessionmaker, clock, s)
            except Exception:
                log.exception("sending deliveries failed")
                tried = 0
            if tried < BATCH:
                await asyncio.sleep(POLL_INTERVAL)
