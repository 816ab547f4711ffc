"""English ascending auction rules (竞价拍卖): pure, no I/O.

The engine applies these under the trade's row lock; the ledger verifier replays them.

- Amounts are the start price plus whole multiples of the increment. The first bid is at
  least the start price, every later one at least the current price plus one increment.
- A bidder may give a maximum: the engine then bids for them, the minimum needed, up to
  it (proxy bidding). The highest maximum leads; equal maxima go to the earlier one.
- A holder of a priority purchase right (优先购买权) may match the current price and then
  leads; among holders, the one who matched (or bid) first keeps the lead.
- A bid accepted within the last extension period moves the end to its time plus the
  extension period. The server's receipt time decides; a rejected bid changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from techmarket import periods


class Refusal(StrEnum):
    """Why a bid was refused (the websocket error codes)."""

    too_low = "too_low"
    not_open = "not_open"
    closed = "closed"
    invalid = "invalid"


@dataclass(frozen=True)
class Terms:
    start_price_fen: int
    increment_fen: int
    starts_at: datetime
    ends_at: datetime
    extension: timedelta = timedelta(seconds=300)
    reserve_fen: int | None = None
    priority_holders: frozenset[str] = frozenset()

    def on_grid(self, amount: int) -> bool:
        over = amount - self.start_price_fen
        return over >= 0 and over % self.increment_fen == 0


@dataclass(frozen=True)
class State:
    price_fen: int | None = None
    leader: str | None = None
    ends_at: datetime | None = None
    maxima: tuple[tuple[str, int], ...] = ()  # (bidder, maximum) in the order first set

    def maximum(self, bidder: str) -> int | None:
        return next((m for b, m in self.maxima if b == bidder), None)


@dataclass(frozen=True)
class Accepted:
    """One accepted bid: the bidder's own, one the engine placed for a maximum, or a
    priority-right match."""

    bidder: str
    amount_fen: int
    kind: str  # "bid" | "proxy" | "match"


@dataclass(frozen=True)
class Outcome:
    state: State
    accepted: tuple[Accepted, ...] = ()
    extended_to: datetime | None = None
    refused: Refusal | None = None
    reason: str = ""


def terms_of(
    public: dict[str, Any], reserve_fen: int | None, priority_holders: frozenset[str]
) -> Terms:
    """The rules of an auction from its public terms (as stored and on the ledger), its
    reserve and its priority holders' aliases."""
    return Terms(
        start_price_fen=public["start_price_fen"],
        increment_fen=public["increment_fen"],
        starts_at=datetime.fromisoformat(public["starts_at"]),
        ends_at=datetime.fromisoformat(public["ends_at"]),
        extension=timedelta(seconds=public["extension_seconds"]),
        reserve_fen=reserve_fen,
        priority_holders=priority_holders,
    )


def opening(terms: Terms) -> State:
    return State(ends_at=terms.ends_at)


def minimum_next(terms: Terms, state: State) -> int:
    if state.price_fen is None:
        return terms.start_price_fen
    return state.price_fen + terms.increment_fen


def _refuse(state: State, code: Refusal, reason: str) -> Outcome:
    return Outcome(state, refused=code, reason=reason)


def _untimely_or_off_grid(
    terms: Terms, state: State, amount_fen: int, at: datetime
) -> Outcome | None:
    """A bid's refusal for its receipt time or its amount's place on the grid, if any."""
    assert state.ends_at is not None
    if at < terms.starts_at:
        return _refuse(state, Refusal.not_open, "the auction has not started")
    if at >= state.ends_at:
        return _refuse(state, Refusal.closed, "the auction has ended")
    if not terms.on_grid(amount_fen):
        return _refuse(
            state, Refusal.invalid, "amount must be the start price plus whole increments"
        )
    return None


def bid(
    terms: Terms,
    state: State,
    bidder: str,
    amount_fen: int,
    at: datetime,
    max_amount_fen: int | None = None,
) -> Outcome:
    """Apply one bid received at ``at``; the outcome says what was accepted or why not."""
    refused = _untimely_or_off_grid(terms, state, amount_fen, at)
    if refused is not None:
        return refused
    if max_amount_fen is not None and (
        max_amount_fen < amount_fen or not terms.on_grid(max_amount_fen)
    ):
        return _refuse(state, Refusal.invalid, "maximum must be on the grid, at least the bid")
    if may_match(terms, state, bidder, amount_fen):
        accepted = [Accepted(bidder, amount_fen, "match")]
    elif amount_fen < minimum_next(terms, state):
        return _refuse(state, Refusal.too_low, f"the minimum bid is {minimum_next(terms, state)}")
    else:
        accepted = [Accepted(bidder, amount_fen, "bid")]
    new = replace(state, price_fen=amount_fen, leader=bidder)
    new = _with_maximum(new, bidder, max(amount_fen, max_amount_fen or 0))
    new = _resolve_maxima(terms, new, accepted)
    return _extend(terms, new, tuple(accepted), at)


def admit(terms: Terms, state: State, step: Accepted, at: datetime) -> Outcome:
    """One accepted bid as the ledger shows it, received at ``at`` (the replay's view:
    the maxima behind proxy bids stay private): in time, on the grid, a match only by a
    priority holder, anything else at least the minimum; it leads and may extend the end."""
    refused = _untimely_or_off_grid(terms, state, step.amount_fen, at)
    if refused is not None:
        return refused
    if step.kind == "match":
        if not may_match(terms, state, step.bidder, step.amount_fen):
            return _refuse(state, Refusal.invalid, "a match without a priority right to it")
    elif step.amount_fen < minimum_next(terms, state):
        return _refuse(state, Refusal.too_low, f"the minimum bid is {minimum_next(terms, state)}")
    new = replace(state, price_fen=step.amount_fen, leader=step.bidder)
    return _extend(terms, new, (step,), at)


def may_match(terms: Terms, state: State, bidder: str, amount: int) -> bool:
    """A priority holder matching the current price takes the lead, unless a holder
    already leads at that price (the earlier match leads)."""
    return (
        bidder in terms.priority_holders
        and state.price_fen is not None
        and amount == state.price_fen
        and state.leader != bidder
        and state.leader not in terms.priority_holders
    )


def _with_maximum(state: State, bidder: str, maximum: int) -> State:
    current = state.maximum(bidder)
    if current is not None and current >= maximum:
        return state
    kept = tuple((b, m) for b, m in state.maxima if b != bidder)
    return replace(state, maxima=(*kept, (bidder, maximum)))


def _resolve_maxima(terms: Terms, state: State, accepted: list[Accepted]) -> State:
    """Let standing maxima answer: the highest maximum ends up leading (the earlier one
    on a tie), at the least amount that beats every other maximum."""
    assert state.price_fen is not None and state.leader is not None
    price, leader, step = state.price_fen, state.leader, terms.increment_fen
    order = {b: i for i, (b, _) in enumerate(state.maxima)}
    able = [(b, m) for b, m in state.maxima if b != leader and m >= price + step]
    if not able:
        return state
    leader_max = state.maximum(leader) or price
    contenders = [*able, (leader, leader_max)]
    top, top_max = min(contenders, key=lambda bm: (-bm[1], order[bm[0]]))
    rest = [(b, m) for b, m in contenders if b != top]
    second, second_max = min(rest, key=lambda bm: (-bm[1], order[bm[0]]))
    if top_max == second_max:  # a tie: the earlier maximum leads, at that amount
        final = top_max
    else:
        final = min(top_max, second_max + step)
        if second != leader or second_max > price:
            accepted.append(Accepted(second, second_max, "proxy"))
    if top != leader or final != price:
        accepted.append(Accepted(top, final, "proxy"))
    return replace(state, price_fen=final, leader=top)


def _extend(terms: Terms, state: State, accepted: tuple[Accepted, ...], at: datetime) -> Outcome:
    assert state.ends_at is not None
    new_end = extended_end(terms, state.ends_at, at)
    if new_end != state.ends_at:
        return Outcome(replace(state, ends_at=new_end), accepted, extended_to=new_end)
    return Outcome(state, accepted)


def extended_end(terms: Terms, ends_at: datetime, at: datetime) -> datetime:
    """A bid extends the auction: one accepted at ``at`` within the last extension period
    moves the end to ``at`` plus the extension period (never earlier)."""
    if ends_at - at <= terms.extension:
        return max(ends_at, at + terms.extension)
    return ends_at


@dataclass(frozen=True)
class Result:
    sold: bool
    winner: str | None
    price_fen: int | None


def close(terms: Terms, state: State) -> Result:
    """At the (extended) end: sold to the leader if the price reaches the reserve."""
    if state.leader is None or state.price_fen is None:
        return Result(False, None, None)
    if terms.reserve_fen is not None and state.price_fen < terms.reserve_fen:
        return Result(False, None, state.price_fen)
    return Result(True, state.leader, state.price_fen)


def signing_period(terms: dict[str, Any]) -> timedelta:
    """How long the winner has to record the contract, from a trade's public terms
    (trades opened before periods were durations gave whole days)."""
    if "signing_period" in terms:
        return periods.parse(terms["signing_period"])
    return timedelta(days=terms["signing_days"])
