"""The express licence rules, as the ledger replay applies them, against a reference model
of the design on random histories: a take only of an opened, unstopped offer of an
achievement on offer (not withdrawn or suspended since its publication), by an
enterprise other than the seller that is verified as far as the ledger's reviews show,
once per enterprise, at the offered terms; a stop only by the seller, once."""

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmarket.ledger.replay import RuleViolation
from techmarket.trading.express_replay import ExpressLicences
from techmarket.trading.rules import express

SELLER, ENTERPRISES, INSTITUTE = 1, (2, 3, 4), 5
KINDS = {SELLER: "university", 2: "enterprise", 3: "enterprise", 4: "enterprise", 5: "institute"}
OFFER = 100
TERMS = {
    "licence": "non_exclusive",
    "pricing": "fixed",
    "price_fen": 5_000_000,
    "royalty_rate_bp": None,
    "royalty_base": None,
    "term_years": 5,
}
ORGS = st.sampled_from(sorted(KINDS))
ACTIONS = st.one_of(
    st.tuples(st.just("take"), ORGS, st.sampled_from(["as_is", "cheaper", "other_terms"])),
    st.tuples(st.just("stop"), ORGS, st.just("")),
    st.tuples(st.just("suspend"), st.sampled_from(ENTERPRISES), st.just("")),
    st.tuples(st.sampled_from(["withdraw", "republish"]), st.just(SELLER), st.just("")),
)


@dataclass
class Reference:
    """The design's rules, stated directly."""

    stopped: bool = False
    takers: set[int] = field(default_factory=set)
    suspended: set[int] = field(default_factory=set)
    withdrawn: bool = False  # the achievement

    def allows(self, action: tuple[str, int, str]) -> bool:
        kind, who, how = action
        if kind in ("suspend", "withdraw", "republish"):
            return True  # reviews and listings' events, not an express licence's
        if kind == "stop":
            return not self.stopped and who == SELLER
        return (
            not self.stopped
            and not self.withdrawn
            and who != SELLER
            and KINDS[who] == "enterprise"
            and who not in self.suspended
            and who not in self.takers
            and how == "as_is"
        )

    def apply(self, action: tuple[str, int, str]) -> None:
        kind, who, _ = action
        if kind == "suspend":
            self.suspended.add(who)
        elif kind in ("withdraw", "republish"):
            self.withdrawn = kind == "withdraw"
        elif kind == "stop":
            self.stopped = True
        else:
            self.takers.add(who)


class Ledger:
    """The entries the services write for each action."""

    def __init__(self) -> None:
        self.offer_seq = 1
        self.deals = 0

    def entry(self, action: tuple[str, int, str]) -> dict[str, Any]:
        kind, who, how = action
        if kind == "suspend":
            data = {"org_id": who, "kind": KINDS[who], "from": "verified", "to": "suspended"}
            return {"type": "org.suspended", "data": data}
        if kind in ("withdraw", "republish"):
            event = "achievement.withdrawn" if kind == "withdraw" else "achievement.published"
            return {"type": event, "data": {"achievement_id": 7, "org_id": SELLER}}
        if kind == "stop":
            self.offer_seq += 1
            data = {"trade_id": OFFER, "seq": self.offer_seq, "by_org_id": who}
            return {"type": "trade.express_stopped", "data": data}
        self.deals += 1
        deal = OFFER + self.deals
        terms = {**TERMS, "term_years": 10} if how == "other_terms" else TERMS
        price = TERMS["price_fen"] // 2 if how == "cheaper" else TERMS["price_fen"]
        data = {
            "trade_id": deal,
            "seq": 1,
            "mode": "express_licence",
            "offer_trade_id": OFFER,
            "achievement_id": 7,
            "seller_org_id": SELLER,
            "buyer_org_id": who,
            "buyer_kind": KINDS[who],
            "terms": terms,
            "price_fen": price,
            "contract_number": express.contract_number(OFFER, deal),
            "signed_on": "2026-11-23",
            "payment_terms": "lump_sum",
            "contract_sha256": "0" * 64,
        }
        return {"type": "trade.express_taken", "data": data}


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(ACTIONS, max_size=12))
def test_the_replay_allows_exactly_what_the_design_allows(
    steps: list[tuple[str, int, str]],
) -> None:
    book, ref, ledger = ExpressLicences(), Reference(), Ledger()
    for org, kind in KINDS.items():
        verified = {"org_id": org, "kind": kind, "from": "pending", "to": "verified"}
        book.feed(0, {"type": "org.verified", "data": verified})
    opened = {
        "trade_id": OFFER,
        "seq": 1,
        "mode": "express_licence",
        "seller_org_id": SELLER,
        "achievement_id": 7,
        "terms": TERMS,
    }
    book.feed(1, {"type": "trade.opened", "data": opened})
    for index, action in enumerate(steps, start=2):
        allowed = ref.allows(action)
        trial, saved = copy.deepcopy(book), copy.deepcopy(ledger)
        try:
            trial.feed(index, ledger.entry(action))
        except RuleViolation:
            assert not allowed, (action, ref)
            ledger = saved  # never written
            continue
        assert allowed, (action, ref)
        book = trial
        ref.apply(action)


def test_a_take_of_an_offer_that_never_opened_is_reported() -> None:
    take = Ledger().entry(("take", 2, "as_is"))
    with pytest.raises(RuleViolation, match="never opened"):
        ExpressLicences().feed(0, take)
