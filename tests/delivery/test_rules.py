"""Retries: waits that double with jitter, up to a cap, and a delivery given up after a
bounded time."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from techmarket.delivery.rules import (
    FIRST_RETRY,
    GIVE_UP_AFTER,
    LONGEST_WAIT,
    Outcome,
    Status,
    after,
    public_address,
)
from tests.conftest import START

DOWN = Outcome(Status.pending, error="connection refused")


@given(st.integers(min_value=0, max_value=2**32))
def test_a_failing_delivery_is_retried_ever_later_and_given_up_within_a_day(seed: int) -> None:
    jitter = random.Random(seed).random
    now, attempts, waits = START, 0, []
    status: Status = Status.pending
    while status == Status.pending:
        attempts += 1
        status, retry_at = after(DOWN, attempts, START, now, jitter)
        if retry_at is not None:
            waits.append(retry_at - now)
            now = retry_at
    assert status == Status.failed
    assert GIVE_UP_AFTER - LONGEST_WAIT <= now - START <= GIVE_UP_AFTER
    assert FIRST_RETRY / 2 <= waits[0] <= FIRST_RETRY and max(waits) <= LONGEST_WAIT
    assert waits[5] > waits[0] * 8  # doubling, whatever the jitter


def test_a_refused_recipient_is_given_up_at_once() -> None:
    refused = Outcome(Status.pending, 550, "no such user", final=True)
    assert after(refused, 1, START, START, random.random) == (Status.failed, None)


def test_webhooks_stay_off_loopback_private_and_metadata_addresses() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fd00::1"):
        assert not public_address(address), address
    assert not public_address("::ffff:127.0.0.1")  # IPv4 inside IPv6
    assert public_address("93.184.216.34") and public_address("2606:4700::1111")
