"""Closing trades, the scheduler's jobs: a listing ends (unsold, sold or converted to an
auction), an auction closes at its (extended) end and settles its deposits, a winner who
did not sign in time forfeits the deposit. Each runs with the trade locked and stages its
ledger entries in the transaction's ``Journal``, which its owner writes just before commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.brokers import contributions
from techmarket.listings import achievements
from techmarket.models.trade import DepositStatus, Registration, Trade, TradeStatus
from techmarket.trading import repository as repo
from techmarket.trading.bidding import state_of
from techmarket.trading.lifecycle import Journal, TradeEvents
from techmarket.trading.rules import auction, listed

# How long after its end an auction stays open to the bids that arrived before the end and
# still wait for the trade's lock (at a desk, or an HTTP request): they are judged at their
# receipt time, so one received after the end is refused all the same.
BID_GRACE = timedelta(seconds=2)


async def close_trade(session: AsyncSession, trade: Trade, now: datetime, journal: Journal) -> None:
    """At the auction's (extended) end, the trade locked: sold to the leader if the price
    reaches the reserve, else unsold (流拍). The scheduler closes each auction whose end
    has passed (at start-up too, catching up on whatever ended while no process ran)."""
    registrations = await repo.registrations(session, trade.id)
    terms, state = state_of(trade, registrations)
    result = auction.close(terms, state)
    winner = next((r for r in registrations if r.alias == result.winner), None)
    await _settle(session, trade, registrations, winner, result.price_fen, now, journal)


async def end_listing(session: AsyncSession, trade: Trade, now: datetime, journal: Journal) -> None:
    """At a listing's end, the trade locked: unsold with no intent, a deal at the listed
    price with one, an auction among exactly those buyers with two or more."""
    registrations = await repo.registrations(session, trade.id)
    if listed.outcome_at_end(len(registrations)) != "auction":
        buyer, trade.price_fen = listed.sale_at_end(trade.terms, [r.alias for r in registrations])
        sole = next((r for r in registrations if r.alias == buyer), None)
        await _settle(session, trade, registrations, sole, trade.price_fen, now, journal)
        return
    trade.terms = listed.auction_terms(trade.terms, now)
    trade.ends_at = datetime.fromisoformat(trade.terms["ends_at"])
    trade.status = TradeStatus.open
    events = TradeEvents(session, trade, now, journal)
    events.record(
        "trade.converted",
        {"terms": trade.terms, "aliases": sorted(r.alias for r in registrations)},
    )
    await session.flush()


async def _settle(
    session: AsyncSession,
    trade: Trade,
    registrations: list[Registration],
    winner: Registration | None,
    price_fen: int | None,
    now: datetime,
    journal: Journal,
) -> None:
    """The close: the reserve and the priority holders behind their aliases revealed,
    the winner's deposit applied and the others released, the achievement transferred or
    on offer again."""
    trade.status = TradeStatus.sold if winner else TradeStatus.unsold
    trade.closed_at = now
    if winner:  # the deal's buyer: the winner's organisation
        trade.buyer_org_id = winner.org_id
    alias_of = {r.org_id: r.alias for r in registrations}
    events = TradeEvents(session, trade, now, journal)
    events.record(
        "trade.closed",
        {
            "result": "sold" if winner else "unsold",
            "final_price_fen": price_fen if winner else None,
            "winner_alias": winner.alias if winner else None,
            "ends_at": trade.ends_at.isoformat(),
            "reserve_fen": trade.reserve_fen or 0,
            "reserve_salt": trade.reserve_salt,
            "priority_holders": [
                {"org_id": h["org_id"], "salt": h["salt"], "alias": alias_of.get(h["org_id"])}
                for h in trade.priority_holders
            ],
        },
    )
    for registration in registrations:
        won = registration is winner
        registration.deposit_status = DepositStatus.applied if won else DepositStatus.released
        events.record(
            "trade.deposit",
            {
                "alias": registration.alias,
                "deposit_fen": registration.deposit_fen,
                "deposit": registration.deposit_status.value,
            },
        )
    if winner is None:  # on offer again; a deal waits for its contract
        await achievements.move_out_of_trade(session, trade.achievement_id, False, now)
    await session.flush()
    if winner is not None and price_fen is not None:
        await contributions.record_deal(session, journal.appender, trade, price_fen, now)


async def forfeit(session: AsyncSession, trade: Trade, now: datetime, journal: Journal) -> None:
    """A winner who did not record the contract within the signing period (the trade
    locked) forfeits the deposit; the achievement is on offer again."""
    registrations = await repo.registrations(session, trade.id)
    winner = next(r for r in registrations if r.org_id == trade.buyer_org_id)
    winner.deposit_status = DepositStatus.forfeited
    trade.status = TradeStatus.defaulted
    events = TradeEvents(session, trade, now, journal)
    events.record(
        "trade.deposit",
        {"alias": winner.alias, "deposit_fen": winner.deposit_fen, "deposit": "forfeited"},
    )
    events.record("trade.defaulted", {"alias": winner.alias})
    await achievements.move_out_of_trade(session, trade.achievement_id, False, now)
    await session.flush()
