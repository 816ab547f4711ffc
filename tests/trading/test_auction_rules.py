"""The auction rules against a simple reference model, on random bid sequences."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from techmarket.trading.rules import auction

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
START, STEP = 1000, 100
BIDDERS = ["a", "b", "c", "h1", "h2"]
HOLDERS = frozenset({"h1", "h2"})


def terms(reserve: int | None) -> auction.Terms:
    return auction.Terms(
        start_price_fen=START,
        increment_fen=STEP,
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=30),
        extension=timedelta(minutes=5),
        reserve_fen=reserve,
        priority_holders=HOLDERS,
    )


@dataclass
class Reference:
    """The rules as the design states them, recomputed from the bidders' maxima."""

    reserve: int | None
    price: int | None = None
    leader: str | None = None
    ends_at: datetime = T0 + timedelta(minutes=30)
    maxima: dict[str, int] = field(default_factory=dict)  # insertion order = time set

    def offer(self, bidder: str, amount: int, maximum: int | None, at: datetime) -> bool:
        if not T0 <= at < self.ends_at or (amount - START) % STEP or amount < START:
            return False
        if maximum is not None and (maximum < amount or (maximum - START) % STEP):
            return False
        matching = (
            bidder in HOLDERS
            and self.price == amount
            and self.leader != bidder
            and self.leader not in HOLDERS
        )
        floor = START if self.price is None else self.price + STEP
        if not matching and amount < floor:
            return False
        self.price, self.leader = amount, bidder
        best = max(amount, maximum or 0)
        if self.maxima.get(bidder, 0) < best:
            self.maxima.pop(bidder, None)
            self.maxima[bidder] = best
        self._settle()
        if self.ends_at - at <= timedelta(minutes=5):
            self.ends_at = max(self.ends_at, at + timedelta(minutes=5))
        return True

    def _settle(self) -> None:
        """Proxy rule, stated directly: if anyone else's maximum beats the price, the
        highest maximum leads (earlier on a tie) at the runner-up's maximum plus one
        increment, never above its own maximum."""
        assert self.price is not None and self.leader is not None
        if not any(m >= self.price + STEP for b, m in self.maxima.items() if b != self.leader):
            return
        order = list(self.maxima)
        ranked = sorted(
            (b for b, m in self.maxima.items() if m >= self.price),
            key=lambda b: (-self.maxima[b], order.index(b)),
        )
        top, second = ranked[0], ranked[1]
        top_max, second_max = self.maxima[top], self.maxima[second]
        self.leader = top
        self.price = top_max if top_max == second_max else min(top_max, second_max + STEP)

    def result(self) -> tuple[bool, str | None, int | None]:
        if self.leader is None:
            return False, None, None
        if self.reserve is not None and self.price is not None and self.price < self.reserve:
            return False, None, self.price
        return True, self.leader, self.price


bids = st.lists(
    st.tuples(
        st.sampled_from(BIDDERS),
        st.integers(-1, 30),  # amount as increments over the start (−1: below it)
        st.one_of(st.none(), st.integers(0, 40)),  # maximum as increments, if any
        st.integers(0, 2400),  # seconds after the start
        st.booleans(),  # off the grid by a little
    ),
    max_size=25,
)


@settings(max_examples=600, deadline=None)
@given(bids, st.one_of(st.none(), st.integers(0, 30)))
def test_engine_agrees_with_the_reference(
    sequence: list[tuple[str, int, int | None, int, bool]], reserve_steps: int | None
) -> None:
    reserve = None if reserve_steps is None else START + reserve_steps * STEP
    t = terms(reserve)
    state = auction.opening(t)
    ref = Reference(reserve)
    sequence = sorted(sequence, key=lambda s: s[3])  # the server sees them in time order
    for bidder, steps, max_steps, seconds, off_grid in sequence:
        at = T0 + timedelta(seconds=seconds)
        amount = START + steps * STEP + (7 if off_grid else 0)
        maximum = None if max_steps is None else amount + max_steps * STEP
        before = state
        outcome = auction.bid(t, state, bidder, amount, at, maximum)
        accepted = ref.offer(bidder, amount, maximum, at)
        assert (outcome.refused is None) == accepted, (outcome, ref)
        if outcome.refused:
            assert outcome.state == before  # a refused bid changes nothing
            continue
        state = outcome.state
        _check_accepted(t, before, outcome)
        assert (state.leader, state.price_fen, state.ends_at) == (
            ref.leader,
            ref.price,
            ref.ends_at,
        )
    result = auction.close(t, state)
    assert (result.sold, result.winner, result.price_fen) == ref.result()


def _check_accepted(t: auction.Terms, before: auction.State, outcome: auction.Outcome) -> None:
    """Every accepted bid is on the grid and beats the price by an increment, or is a
    holder's match of it; nobody is bid for beyond their maximum."""
    price = before.price_fen
    for accepted in outcome.accepted:
        assert t.on_grid(accepted.amount_fen)
        if accepted.kind == "match":
            assert accepted.amount_fen == price and accepted.bidder in HOLDERS
        else:
            assert accepted.amount_fen >= (START if price is None else price + STEP)
        if accepted.kind == "proxy":
            assert accepted.amount_fen <= (outcome.state.maximum(accepted.bidder) or 0)
        price = accepted.amount_fen


def test_a_late_bid_extends_and_a_refused_one_does_not() -> None:
    t = terms(None)
    state = auction.opening(t)
    early = auction.bid(t, state, "a", START, T0 + timedelta(minutes=1))
    assert early.extended_to is None
    late_at = T0 + timedelta(minutes=28)
    refused = auction.bid(t, early.state, "b", START, late_at)  # not above the price
    assert refused.refused == auction.Refusal.too_low
    assert refused.state.ends_at == T0 + timedelta(minutes=30)
    late = auction.bid(t, early.state, "b", START + STEP, late_at)
    assert late.extended_to == late_at + timedelta(minutes=5)
    after = auction.bid(t, late.state, "c", START + 2 * STEP, T0 + timedelta(minutes=31))
    assert after.refused is None  # still open: the end moved
    closed = auction.bid(t, late.state, "c", START + 3 * STEP, late_at + timedelta(minutes=5))
    assert closed.refused == auction.Refusal.closed


def test_proxy_bidding_bids_only_what_is_needed() -> None:
    t = terms(None)
    s = auction.bid(t, auction.opening(t), "a", START, T0, max_amount_fen=START + 10 * STEP)
    s2 = auction.bid(t, s.state, "b", START + 3 * STEP, T0 + timedelta(seconds=1))
    assert (s2.state.leader, s2.state.price_fen) == ("a", START + 4 * STEP)
    assert [(x.bidder, x.amount_fen, x.kind) for x in s2.accepted] == [
        ("b", START + 3 * STEP, "bid"),
        ("a", START + 4 * STEP, "proxy"),
    ]


def test_priority_holder_matches_and_leads() -> None:
    t = terms(None)
    s = auction.bid(t, auction.opening(t), "a", START + 2 * STEP, T0)
    matched = auction.bid(t, s.state, "h1", START + 2 * STEP, T0 + timedelta(seconds=1))
    assert (matched.state.leader, matched.state.price_fen) == ("h1", START + 2 * STEP)
    second = auction.bid(t, matched.state, "h2", START + 2 * STEP, T0 + timedelta(seconds=2))
    assert second.refused == auction.Refusal.too_low  # the earlier match leads
    plain = auction.bid(t, s.state, "b", START + 2 * STEP, T0 + timedelta(seconds=1))
    assert plain.refused == auction.Refusal.too_low  # no right, no match
