"""The agreement-pricing rules, as the ledger replay applies them, against a reference model
of the design on random negotiations: offers only between the two parties and only before
acceptance; acceptance of the other side's latest offer; objections only while the notice
runs; a ruling only on an open objection, an upheld one cancelling the trade; the deal
concluded only once the notice ran its full period with no objection open or upheld."""

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from techmarket.ledger.replay import RuleViolation
from techmarket.trading.replay import Agreements
from techmarket.trading.rules import commitments

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
SELLER, BUYER, OUTSIDER = 1, 2, 3
NOTICE = timedelta(days=15)
TRADE = 7

ORGS = st.sampled_from([SELLER, BUYER, OUTSIDER])
ACTIONS = st.one_of(
    st.tuples(st.just("offer"), ORGS, st.integers(1, 100)),
    st.tuples(st.just("accept"), ORGS, st.just(0)),
    st.tuples(st.just("object"), ORGS, st.just(0)),
    st.tuples(st.just("rule"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("conclude"), st.just(0), st.just(0)),
)
# Pauses around the notice period's length, so that its end is crossed often.
PAUSES = st.sampled_from([timedelta(0), timedelta(hours=1), timedelta(days=8), timedelta(days=16)])
STEPS = st.lists(st.tuples(ACTIONS, PAUSES), max_size=12)


@dataclass
class Reference:
    """The design's rules, stated directly."""

    offers: list[tuple[int, int, int]] = field(default_factory=list)  # (id, org, price)
    accepted_at: datetime | None = None
    price: int | None = None
    objections: list[str] = field(default_factory=list)  # by id: raised, upheld, dismissed
    ended: bool = False

    def allows(self, action: tuple[Any, Any, Any], at: datetime) -> bool:
        kind, who, _ = action
        if self.ended:
            return False
        if kind == "offer":
            return self.accepted_at is None and who in (SELLER, BUYER)
        if kind == "accept":
            return (
                self.accepted_at is None
                and who in (SELLER, BUYER)
                and bool(self.offers)
                and self.offers[-1][1] != who
            )
        notice_runs = self.accepted_at is not None and at < self.accepted_at + NOTICE
        if kind == "object":
            return notice_runs
        if kind == "rule":
            return who < len(self.objections) and self.objections[who] == "raised"
        return (  # conclude
            self.accepted_at is not None
            and at >= self.accepted_at + NOTICE
            and not {"raised", "upheld"} & set(self.objections)
        )


class Ledger:
    """The events the services write for each action, numbered as the trade's sequence."""

    def __init__(self) -> None:
        self.seq = 0

    def entries(
        self, ref: Reference, action: tuple[Any, Any, Any], at: datetime
    ) -> list[dict[str, Any]]:
        kind, who, value = action
        if kind == "offer":
            offer_id = len(ref.offers) + 1
            salt = f"{offer_id:064x}"
            return [
                self._entry(
                    "trade.offer",
                    at,
                    offer_id=offer_id,
                    org_id=who,
                    price_commitment=commitments.offer(value * 1000, salt),
                )
            ]
        if kind == "accept":
            latest = ref.offers[-1] if ref.offers else (0, 0, 0)
            revealed = [
                {"offer_id": i, "price_fen": p, "salt": f"{i:064x}"} for i, _, p in ref.offers
            ]
            return [
                self._entry(
                    "trade.accepted",
                    at,
                    offer_id=latest[0],
                    by_org_id=who,
                    price_fen=latest[2],
                    offers=revealed,
                ),
                self._entry(
                    "trade.notice_opened",
                    at,
                    price_fen=latest[2],
                    notice_period="P15D",
                    notice_ends_at=(at + NOTICE).isoformat(),
                ),
            ]
        if kind == "object":
            return [self._entry("trade.objection_raised", at, objection_id=len(ref.objections))]
        if kind == "rule":
            ruling = "upheld" if value else "dismissed"
            entries = [self._entry("trade.objection_resolved", at, objection_id=who, ruling=ruling)]
            if value:
                entries.append(self._entry("trade.cancelled", at, objection_id=who))
            return entries
        return [self._entry("trade.concluded", at, price_fen=ref.price)]

    def _entry(self, kind: str, at: datetime, **data: Any) -> dict[str, Any]:
        self.seq += 1
        ts = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"type": kind, "ts": ts, "data": {"trade_id": TRADE, "seq": self.seq, **data}}


def _apply(ref: Reference, action: tuple[Any, Any, Any], at: datetime) -> None:
    kind, who, value = action
    if kind == "offer":
        ref.offers.append((len(ref.offers) + 1, who, value * 1000))
    elif kind == "accept":
        ref.accepted_at, ref.price = at, ref.offers[-1][2]
    elif kind == "object":
        ref.objections.append("raised")
    elif kind == "rule":
        ref.objections[who] = "upheld" if value else "dismissed"
        ref.ended = bool(value)
    else:
        ref.ended = True


@settings(max_examples=300, deadline=None)
@given(steps=STEPS)
def test_the_replay_allows_exactly_what_the_design_allows(
    steps: list[tuple[tuple[Any, Any, Any], timedelta]],
) -> None:
    book, ref, ledger = Agreements(), Reference(), Ledger()
    opened = {"mode": "agreement", "seller_org_id": SELLER, "buyer_org_id": BUYER}
    book.feed(0, ledger._entry("trade.opened", T0, **opened))
    at = T0
    for action, pause in steps:
        at += pause
        allowed = ref.allows(action, at)
        trial, seq = copy.deepcopy(book), ledger.seq
        try:
            for entry in ledger.entries(ref, action, at):
                trial.feed(entry["data"]["seq"], entry)
        except RuleViolation:
            assert not allowed, (action, at - T0, ref)
            ledger.seq = seq  # never written
            continue
        assert allowed, (action, at - T0, ref)
        book = trial
        _apply(ref, action, at)
