"""When a trade may come off the market early: the seller withdraws it before anything
binds it, or a party ends a negotiation. The service and the ledger replay both ask here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Standing:
    """Where a trade stands, as far as taking it off the market goes."""

    mode: str  # agreement | listed | auction | express_licence
    status: str  # the trade's status (open: bidding or negotiating; listed: taking intents)
    bids: int  # bids accepted so far
    intents: int  # buyers registered to buy (a listing's intents)


def withdrawal_refusal(standing: Standing) -> str | None:
    """Why the seller may not withdraw the trade now, or None if it may: only while it is
    on the market and nothing binds it yet (an auction without an accepted bid, a listing
    without an intent, a negotiation before an acceptance)."""
    if standing.mode == "express_licence":  # its licences taken stand: it is stopped
        return "an express licence is stopped, not withdrawn"
    if standing.status not in ("open", "listed"):
        return f"the trade is {standing.status}"
    if standing.bids:
        return "a bid has been accepted: bids are binding"
    if standing.mode == "listed" and standing.intents:
        return "a buyer has registered its intent"
    return None


def ending_refusal(standing: Standing) -> str | None:
    """Why a party may not end the negotiation now, or None if it may: while the two
    parties still negotiate (an accepted price is on public notice and runs its course)."""
    if standing.mode != "agreement":
        return "only a negotiation can be ended"
    if standing.status != "open":
        return f"the trade is {standing.status}, no longer in negotiation"
    return None
