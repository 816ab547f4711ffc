"""Bidding: every bid, from HTTP (``place_bid``) or a websocket (in batches, through the
process's bidding desk, ``desk.py``), goes through ``place_bids`` under the trade's row
lock and is judged by the rule book (``rules/auction.py``). Closing is in ``closing.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Action, MandateRefusal, NoMandate, Principal, authorize
from techmarket.brokers import mandates
from techmarket.clock import Clock
from techmarket.errors import DomainError, Forbidden
from techmarket.ledger import service as ledger
from techmarket.models.trade import Bid, BidRequest, Registration, Trade, TradeStatus
from techmarket.trading import broadcast, lifecycle
from techmarket.trading import repository as repo
from techmarket.trading.lifecycle import TradeNotFound, load
from techmarket.trading.rules import auction


class BidRefused(DomainError):
    """A refused bid; ``code`` is one of the protocol's error codes. The refusal of a
    request with an idempotency key is kept, so a retry gets the same answer."""

    status = 409
    keeps_changes = True
    STATUS: ClassVar[dict[str, int]] = {
        "invalid": 422, "not_registered": 403, "own_trade": 403, "too_low": 409,
        "not_open": 409, "closed": 409, "unauthorized": 401, "rate_limited": 429,
    }  # fmt: skip

    def __init__(self, code: str, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.code = code  # type: ignore[misc]
        self.status = status or self.STATUS[code]  # type: ignore[misc]


def state_of(
    trade: Trade, registrations: list[Registration]
) -> tuple[auction.Terms, auction.State]:
    """The auction's rules and where it stands, from the stored trade (bidders by alias)."""
    holders = frozenset(r.alias for r in registrations if r.priority_right)
    terms = auction.terms_of(trade.terms, trade.reserve_fen, holders)
    with_max = sorted(
        (r for r in registrations if r.max_amount_fen is not None),
        key=lambda r: r.max_set_seq or 0,
    )
    state = auction.State(
        price_fen=trade.price_fen,
        leader=trade.leader_alias,
        ends_at=trade.ends_at,
        maxima=tuple((r.alias, r.max_amount_fen or 0) for r in with_max),
    )
    return terms, state


@dataclass(frozen=True)
class BidOrder:
    """One bid as received: who, how much, up to what maximum, under which idempotency key,
    and when it arrived (its receipt time decides; None: as it is placed)."""

    principal: Principal
    amount_fen: int
    max_amount_fen: int | None = None
    key: str | None = None
    received_at: datetime | None = None


async def place_bid(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    amount_fen: int,
    max_amount_fen: int | None,
    key: str | None,
    received_at: datetime,
    clock: Clock,
) -> dict[str, Any]:
    """Apply one bid received at ``received_at``. Returns the outcome (see
    schemas.BidResult) once the caller commits; raises BidRefused with the protocol's error
    code otherwise."""
    await load(session, principal, trade_id)  # one it may not see does not exist for it
    order = BidOrder(principal, amount_fen, max_amount_fen, key, received_at)
    [result] = await place_bids(session, trade_id, [order], clock)
    if isinstance(result, BidRefused):
        raise result
    return result


@dataclass
class _Placed:
    """An accepted bid before its rows are written: the bids it caused (each with its
    ledger entry, numbered once written) and the standing after."""

    bids: list[tuple[Bid, ledger.Staged]]
    standing: dict[str, Any]


@dataclass
class _Judged:
    """One trade's bids judged, in order: what each came to (an accepted bid, a refusal,
    an earlier outcome of its key, or the position of the same key before it)."""

    trade_id: int
    orders: list[BidOrder]
    placed: list[_Placed | dict[str, Any] | BidRefused | int]
    first: dict[tuple[int, str], int]  # where each key first came in this batch
    now: datetime


async def place_bids(
    session: AsyncSession, trade_id: int, orders: list[BidOrder], clock: Clock
) -> list[dict[str, Any] | BidRefused]:
    """Apply bids, one after another in the given order, under the trade's row lock (bids
    on one trade go one at a time), and write them all in this transaction. Each is judged
    at its receipt time, however long it waited, by a bidder valid at this moment. Each gets
    its outcome (final once the caller commits) or its refusal; a retried idempotency key
    gets the outcome it got before."""
    return (await place_batches(session, {trade_id: orders}, clock))[trade_id]


async def place_batches(
    session: AsyncSession,
    orders: dict[int, list[BidOrder]],
    clock: Clock,
    *,
    skip_locked: bool = False,
) -> dict[int, list[dict[str, Any] | BidRefused]]:
    """``place_bids`` on several trades in one transaction (group commit): the trades
    locked in id order (so two such transactions never wait on each other in a cycle) and
    read together, all judged and their rows written, and only then the ledger written,
    its head lock taken last, and one notification queued for all their watchers. The
    statements are as many however many trades. With ``skip_locked``, the trades another
    transaction holds (or that do not exist) are left out of the outcomes, untouched."""
    trades = await repo.lock_trades(session, orders, skip_locked=skip_locked)
    if len(trades) < len(orders) and not skip_locked:
        raise TradeNotFound()
    orders = {t: batch for t, batch in orders.items() if t in trades}
    keys = {(t, *_key(o)) for t, batch in orders.items() for o in batch if o.key is not None}
    earlier: dict[int, dict[tuple[int, str], dict[str, Any]]] = {t: {} for t in orders}
    for (trade_id, user_id, key), outcome in (await repo.bid_requests(session, keys)).items():
        earlier[trade_id][user_id, key] = outcome
    registrations = await repo.registrations_of(session, orders)
    now = clock.now()
    everyone = [o.principal for t in sorted(orders) for o in orders[t]]
    current = iter(await accounts.as_they_stand(session, everyone, now))
    journal = lifecycle.Journal(session)
    judged = []
    for trade_id in sorted(orders):
        trade, batch = trades[trade_id], orders[trade_id]
        as_they_stand = [next(current) for _ in batch]
        unauthorised = await _unauthorised(session, trade, batch, as_they_stand, now)
        events = lifecycle.TradeEvents(session, trade, now, journal)
        judged.append(
            _judge(events, registrations[trade_id], batch, earlier[trade_id], unauthorised)
        )
    bids = [b for j in judged for p in j.placed if isinstance(p, _Placed) for b in p.bids]
    for (bid, _), bid_id in zip(bids, await repo.next_bid_ids(session, len(bids)), strict=True):
        bid.id = bid_id
    await session.flush()  # the trades' and bidders' rows, before the ledger's lock
    # The ledger's head is locked from here to the commit: two statements in between.
    payloads = await journal.write_ledger()
    for bid, entry in bids:
        bid.ledger_index = entry.index
    outcomes = {j.trade_id: _outcomes(j) for j in judged}
    requests = [request for j in judged for request in _requests(j, outcomes[j.trade_id])]
    bid_rows = [bid for bid, _ in bids]
    await repo.record_bids(session, bid_rows, requests, broadcast.CHANNEL, payloads)
    return outcomes


def _judge(
    events: lifecycle.TradeEvents,
    registrations: list[Registration],
    orders: list[BidOrder],
    earlier: dict[tuple[int, str], dict[str, Any]],
    unauthorised: dict[int, BidRefused],
) -> _Judged:
    """Judge one trade's bids in order, at each one's receipt time."""
    judged = _Judged(events.trade.id, orders, [], {}, events.now)
    with events.session.no_autoflush:  # the rows are written together, once
        for i, order in enumerate(orders):
            key = _key(order) if order.key is not None else None
            if i in unauthorised:  # not an outcome of the bid: a retry is judged afresh
                judged.placed.append(unauthorised[i])
            elif key in earlier:
                judged.placed.append(_replay(earlier[key]))
            elif key in judged.first:
                judged.placed.append(judged.first[key])
            else:
                if key is not None:
                    judged.first[key] = len(judged.placed)
                try:
                    judged.placed.append(_bid(events, registrations, order))
                except BidRefused as refused:
                    judged.placed.append(refused)
    return judged


def _outcomes(judged: _Judged) -> list[dict[str, Any] | BidRefused]:
    """Each order's outcome, its bids numbered."""
    outcomes: list[dict[str, Any] | BidRefused] = []
    for p in judged.placed:
        if isinstance(p, _Placed):
            outcomes.append(_result(p))
        elif isinstance(p, int):  # the same key as an order before it
            outcomes.append(outcomes[p])
        else:
            outcomes.append(p)
    return outcomes


def _requests(judged: _Judged, outcomes: list[dict[str, Any] | BidRefused]) -> list[BidRequest]:
    """The outcome of each new idempotency key, to keep."""
    kept = []
    for i in judged.first.values():
        given, order = outcomes[i], judged.orders[i]
        stored = (
            given if isinstance(given, dict) else {"refused": given.code, "detail": given.detail}
        )
        kept.append(
            BidRequest(
                trade_id=judged.trade_id,
                user_id=order.principal.user.id,
                key=order.key,
                org_id=order.principal.org.id,
                outcome=stored,
                at=judged.now,
            )
        )
    return kept


async def _unauthorised(
    session: AsyncSession,
    trade: Trade,
    orders: list[BidOrder],
    current: list[Principal | None],
    now: datetime,
) -> dict[int, BidRefused]:
    """The orders whose bidder may not bid at this moment, by position: its token revoked
    or expired, its user deactivated (401: ``current``, each bidder as it stands now, is
    None), its organisation no longer verified or not of a kind that trades (403), a
    broker's mandate revoked, expired or not covering this trade (403, the mandate's
    code). Checked under the lock."""
    refused: dict[int, BidRefused] = {}
    for i, (order, principal) in enumerate(zip(orders, current, strict=True)):
        if principal is None:
            refused[i] = BidRefused("unauthorized", "your login has ended; log in again")
            continue
        try:
            if order.principal.mandate is not None:  # the mandate as it stands, too
                principal = await mandates.act_under(
                    session, principal, order.principal.mandate.id, now
                )
            authorize(principal, Action.trade_bid, objects=lifecycle.mandate_objects(trade))
        except (NoMandate, MandateRefusal) as exc:
            refused[i] = BidRefused(exc.code, exc.detail, exc.status)
        except Forbidden as exc:
            refused[i] = BidRefused("unauthorized", exc.detail, exc.status)
    return refused


def _key(order: BidOrder) -> tuple[int, str]:
    """An idempotency key is the user's own (and, as every record here, per trade)."""
    assert order.key is not None
    return order.principal.user.id, order.key


def _replay(outcome: dict[str, Any]) -> dict[str, Any] | BidRefused:
    if "refused" in outcome:
        return BidRefused(outcome["refused"], outcome["detail"])
    return outcome


def _result(placed: _Placed) -> dict[str, Any]:
    accepted = [
        {
            "bid_id": b.id,
            "seq": b.seq,
            "alias": b.alias,
            "amount_fen": b.amount_fen,
            "kind": b.kind,
            "ledger_index": b.ledger_index,
        }
        for b, _ in placed.bids
    ]
    return {"accepted": accepted, **placed.standing}


def _bid(
    events: lifecycle.TradeEvents, registrations: list[Registration], order: BidOrder
) -> _Placed:
    trade, now = events.trade, order.received_at or events.now
    if order.principal.org.id == trade.seller_org_id:
        raise BidRefused("own_trade", "the seller's organisation may not bid")
    if trade.status in (TradeStatus.pending_approval, TradeStatus.listed):
        raise BidRefused("not_open", "the auction is not open")
    if trade.status != TradeStatus.open:
        raise BidRefused("closed", "the auction has closed")
    mine = next((r for r in registrations if r.org_id == order.principal.org.id), None)
    if mine is None:
        raise BidRefused("not_registered", "register and pay the deposit before bidding")
    terms, state = state_of(trade, registrations)
    outcome = auction.bid(terms, state, mine.alias, order.amount_fen, now, order.max_amount_fen)
    if outcome.refused is not None:
        raise BidRefused(outcome.refused.value, outcome.reason)
    by_alias = {r.alias: r for r in registrations}
    bids = []
    for step in outcome.accepted:
        # A broker placed its client's bid, not the proxy bids it drew from others.
        on_behalf = order.principal.on_behalf if step.bidder == mine.alias else {}
        entry = events.record(
            "trade.bid_accepted",
            {
                "alias": step.bidder,
                "amount_fen": step.amount_fen,
                "kind": step.kind,
                "ends_at": outcome.state.ends_at.isoformat(),  # type: ignore[union-attr]
                "received_at": now.isoformat(),
                **on_behalf,
            },
        )
        bid = Bid(  # written once the ledger has numbered its entry
            trade_id=trade.id,
            registration_id=by_alias[step.bidder].id,
            alias=step.bidder,
            amount_fen=step.amount_fen,
            kind=step.kind,
            seq=trade.seq,
            at=now,
            **on_behalf,
        )
        bids.append((bid, entry))
    if outcome.extended_to is not None:
        events.record("trade.extended", {"ends_at": outcome.extended_to.isoformat()})
    new = outcome.state
    assert new.price_fen is not None and new.leader is not None and new.ends_at is not None
    trade.price_fen, trade.leader_alias, trade.ends_at = new.price_fen, new.leader, new.ends_at
    for alias, maximum in new.maxima:
        registration = by_alias[alias]
        if registration.max_amount_fen != maximum:
            registration.max_set_seq = registration.max_set_seq or trade.seq
            registration.max_amount_fen = maximum
    standing = {
        "current_price_fen": trade.price_fen,
        "leader_alias": trade.leader_alias,
        "ends_at": trade.ends_at.isoformat(),
        "seq": trade.seq,
    }
    return _Placed(bids, standing)
