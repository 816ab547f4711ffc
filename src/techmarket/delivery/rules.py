"""When a delivery is tried again, and when it is given up; which addresses a webhook
may reach. Pure: no I/O."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)  # from the notification's delivery being queued
LEASE = timedelta(minutes=2)  # a claim lapses after this: far above any send's timeout


class Status(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # given up: shown in the delivery log
    skipped = "skipped"  # e-mail while no SMTP server is configured


class Channel(StrEnum):
    email = "email"
    webhook = "webhook"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to. ``final`` failures (a refused recipient or address) are
    not tried again."""

    status: Status
    status_code: int | None = None
    error: str | None = None
    final: bool = False


SENT = Outcome(Status.sent)


def wait(attempts: int, jitter: Callable[[], float]) -> timedelta:
    """How long after its ``attempts``-th failed try a delivery is tried again: doubling
    from FIRST_RETRY up to LONGEST_WAIT, each wait drawn between half and all of that
    (``jitter`` returns [0, 1)) so that deliveries failed together do not retry together."""
    ceiling: timedelta = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)
    return ceiling * (0.5 + jitter() / 2)


def after(
    outcome: Outcome, attempts: int, queued_at: datetime, now: datetime, jitter: Callable[[], float]
) -> tuple[Status, datetime | None]:
    """The delivery's status after an attempt, and when it is next tried (None: never)."""
    if outcome.status != Status.pending:
        return outcome.status, None
    retry_at = now + wait(attempts, jitter)
    if outcome.final or retry_at - queued_at > GIVE_UP_AFTER:
        return Status.failed, None
    return Status.pending, retry_at


def public_address(address: str) -> bool:
    """Whether a webhook may reach ``address`` when private networks are not allowed:
    not loopback, private, link-local (cloud metadata), multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
