"""The engine and the auditor's replay run one rule book: change a rule and both change."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.models.org import OrgKind
from techmarket.trading.rules import auction
from tests.factories import account
from tests.ledger.helpers import export_lines, public_key
from tests.trading.helpers import bid, open_auction

M = 100_000  # one increment


async def test_a_changed_rule_changes_the_live_outcome_and_the_replay_verdict(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seller = await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))
    trade = await open_auction(client, seller, seller)
    a, b = await account(session, client), await account(session, client)
    for bidder in (a, b):
        registered = await client.post(
            f"/api/v1/trades/{trade['id']}/registrations", headers=bidder.headers
        )
        assert registered.status_code == 201, registered.text
    clock.advance(timedelta(minutes=15))
    assert (await bid(client, a, trade["id"], 10 * M)).status_code == 200
    assert (await bid(client, b, trade["id"], 11 * M)).status_code == 200  # one increment up
    lines, verifier = await export_lines(client), Verifier.parse(await public_key(client))
    verify_export(lines, verifier, rule_books=rule_books())

    # A test-only change of one rule: the next bid must beat the price by two increments.
    one_increment = auction.minimum_next
    monkeypatch.setattr(
        auction,
        "minimum_next",
        lambda terms, state: one_increment(terms, state) + (0 if state.price_fen is None else M),
    )

    live = await bid(client, a, trade["id"], 12 * M)
    assert live.json()["code"] == "too_low", live.text
    with pytest.raises(VerificationFailed) as replayed:
        verify_export(lines, verifier, rule_books=rule_books())
    assert "business rule" in replayed.value.message
    assert "bid 1100000" in replayed.value.message  # b's, accepted live before the change
