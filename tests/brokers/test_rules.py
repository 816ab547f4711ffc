"""The pure rules of mandates and contributions, and their replay from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techmarket.brokers import rules
from techmarket.brokers.replay import Mandates
from techmarket.ledger.replay import RuleViolation

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)

brokers = st.sets(st.integers(1, 50), min_size=1, max_size=4)
side = st.dictionaries(st.integers(1, 20), st.tuples(st.integers(0, 100), brokers), min_size=1)
sides = st.dictionaries(st.integers(1, 5), side, max_size=2)


@given(sides)
def test_a_deals_shares_never_pass_the_whole(deal: dict[int, Any]) -> None:
    shares = rules.shares(deal)
    assert sum(shares.values()) <= rules.BASIS
    assert all(share >= 0 for share in shares.values())


def test_one_broker_for_one_side_takes_the_mandates_share() -> None:
    assert rules.shares({7: {1: (100, [3])}}) == {3: 10_000}
    # Both sides served: each side's brokers share half; two brokers split their part.
    assert rules.shares({7: {1: (100, [3])}, 8: {2: (60, [4, 5])}}) == {
        3: 5_000,
        4: 1_500,
        5: 1_500,
    }


def test_the_score_weighs_volume_role_and_feedback() -> None:
    base = rules.points(10_000, 1_000_000, ["register_and_bid"], None)
    assert base == pytest.approx(14.0)  # 10 + log10(10,000 yuan)
    assert rules.points(10_000, 1_000_000, ["respond", "negotiate"], None) == pytest.approx(21.0)
    assert rules.points(10_000, 1_000_000, ["register_and_bid"], 5) == pytest.approx(14 * 1.2)
    assert rules.points(5_000, 1_000_000, ["register_and_bid"], 1) == pytest.approx(7 * 0.8)
    assert rules.score([(10_000, 1_000_000, ["register_and_bid"], None)] * 2) == 28.0


def _entry(kind: str, data: dict[str, Any], at: datetime = T0) -> dict[str, Any]:
    return {"type": kind, "data": data, "ts": at.isoformat()}


def _book_with_mandate() -> Mandates:
    book = Mandates()
    book.feed(
        0,
        _entry(
            "mandate.offered",
            {
                "mandate_id": 1, "agency_org_id": 9, "client_commitment": "c",
                "fee_commitment": "f", "object_kind": "trade", "object_id": 5,
                "scope": ["register_and_bid"], "share_pct": 100,
                "valid_from": T0.isoformat(), "valid_until": (T0 + timedelta(days=1)).isoformat(),
            },
        ),
    )  # fmt: skip
    book.feed(1, _entry("trade.opened", {"trade_id": 5, "achievement_id": 2}))
    return book


def _bid(at: datetime, trade_id: int = 5) -> dict[str, Any]:
    data = {"trade_id": trade_id, "alias": "AB12", "mandate_id": 1, "broker_user_id": 4}
    return _entry("trade.bid_accepted", data, at)


def test_the_replay_refuses_a_brokers_bid_before_acceptance_and_after_revocation() -> None:
    book = _book_with_mandate()
    with pytest.raises(RuleViolation, match="mandate_not_accepted"):
        book.feed(2, _bid(T0 + timedelta(minutes=1)))
    book.feed(2, _entry("mandate.accepted", {"mandate_id": 1}))
    book.feed(3, _bid(T0 + timedelta(minutes=1)))
    with pytest.raises(RuleViolation, match="outside_mandate_object"):
        book.feed(4, _entry("trade.registered", {**_bid(T0)["data"], "trade_id": 6}))
    with pytest.raises(RuleViolation, match="outside_mandate_scope"):
        book.feed(4, _entry("trade.offer", _bid(T0)["data"]))
    with pytest.raises(RuleViolation, match="mandate_expired"):
        book.feed(4, _bid(T0 + timedelta(days=1)))
    book.feed(4, _entry("mandate.revoked", {"mandate_id": 1, "by": "client"}))
    with pytest.raises(RuleViolation, match="mandate_revoked"):
        book.feed(5, _bid(T0 + timedelta(minutes=2)))


def test_the_replay_refuses_shares_above_the_whole_and_brokers_who_never_acted() -> None:
    book = _book_with_mandate()
    book.feed(2, _entry("mandate.accepted", {"mandate_id": 1}))
    book.feed(3, _bid(T0 + timedelta(minutes=1)))

    def recorded(*contributions: tuple[int, int]) -> dict[str, Any]:
        listed = [
            {"contribution_id": n, "broker_user_id": broker, "mandate_id": 1,
             "agency_org_id": 9, "share_bp": share, "roles": ["register_and_bid"]}
            for n, (broker, share) in enumerate(contributions)
        ]  # fmt: skip
        return _entry("contribution.recorded", {"trade_id": 5, "contributions": listed})

    with pytest.raises(RuleViolation, match="never acted"):
        book.feed(4, recorded((8, 10_000)))
    with pytest.raises(RuleViolation, match=r"sum to 110\.0%"):
        book.feed(4, recorded((4, 6_000), (4, 5_000)))
    book.feed(4, recorded((4, 10_000)))
    book.feed(5, _entry("contribution.rated", {"contribution_id": 0, "rating": 5}))
    with pytest.raises(RuleViolation, match="rated"):
        book.feed(6, _entry("contribution.rated", {"contribution_id": 0, "rating": 4}))
