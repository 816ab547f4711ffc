"""Ledger replay of trades, from the ledger alone. Auctions: every accepted bid obeyed the
increment, the order and the (extended) end time; only committed priority holders matched;
the close names the real leader at the real price; the revealed reserve and priority
holders match their commitments; deposits move as the result says. Agreements: see
``Agreements``.

Entries written before offers and priority holders were committed to carry them openly
(``price_fen`` in an offer, ``priority_right`` in a registration): the ledger is
append-only, so they are replayed as they are.

Every rule is the rule book's (``trading/rules/``), the very functions the engine runs;
this module only reads the ledger into their terms and states."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from techmarket.ledger.replay import RuleViolation
from techmarket.trading.rules import agreement, auction, commitments, competing, listed, withdrawal


@dataclass
class _Auction:
    terms: dict[str, Any]
    commitment: str
    ends_at: datetime  # the listing's end, then the auction's (extended) end
    seq: int
    registered: dict[str, bool] = field(default_factory=dict)  # alias -> priority right
    holders: set[str] = field(default_factory=set)  # priority holders' commitments
    holder_alias: dict[str, str] = field(default_factory=dict)  # commitment -> alias
    state: auction.State = field(default_factory=auction.State)
    closed: dict[str, Any] | None = None
    deposits: dict[str, str] = field(default_factory=dict)
    listing: bool = False  # a listing (挂牌) not (yet) converted to an auction
    closed_at: datetime | None = None
    contract: bool = False
    defaulted: bool = False
    mode: str = "auction"
    seller: int | None = None
    bids: int = 0

    def rules(self, reserve_fen: int | None = None) -> auction.Terms:
        """The auction's rules as the ledger has shown them so far."""
        holders = frozenset(alias for alias, right in self.registered.items() if right)
        return auction.terms_of(self.terms, reserve_fen, holders)


def _ts(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))


def _reveals(index: int, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The reveals an entry lists under ``key`` (none in entries from before them)."""
    reveals = data.get(key, [])
    if not isinstance(reveals, list) or not all(isinstance(r, dict) for r in reveals):
        raise RuleViolation(index, f"{key} is not a list of reveals")
    return reveals


class Auctions:
    families: tuple[str, ...] = ("trade.",)

    def __init__(self) -> None:
        self.trades: dict[int, _Auction] = {}
        self.other_modes: dict[int, tuple[str, int]] = {}  # trade -> (reserve commitment, seller)

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data, kind = body["data"], body["type"]
        trade_id = data.get("trade_id")
        if trade_id in self.other_modes:
            if kind == "trade.converted" and data.get("from") == "agreement":
                self._adopt(trade_id, data)
            return  # ``Agreements`` follows it (and checks the conversion)
        if kind in ("trade.submitted", "trade.approved", "trade.rejected"):
            return  # before opening: to the TTO, and the TTO's decision
        # A take of an express licence opens (and concludes) a deal of its own.
        if kind in ("trade.opened", "trade.express_taken") and data["mode"] not in (
            "auction",
            "listed",
        ):
            self.other_modes[trade_id] = (data.get("reserve_commitment"), data.get("seller_org_id"))
            return
        if kind == "trade.opened":
            listing = data["mode"] == "listed"
            end = data["terms"]["listing_ends_at" if listing else "ends_at"]
            self.trades[trade_id] = _Auction(
                terms=data["terms"],
                commitment=data["reserve_commitment"],
                ends_at=datetime.fromisoformat(end),
                seq=data["seq"],
                listing=listing,
                holders=set(data["terms"].get("priority_holder_commitments", [])),
                mode=data["mode"],
                seller=data["seller_org_id"],
            )
            return
        followed = self.trades.get(trade_id)
        if followed is None:
            raise RuleViolation(index, f"{kind} for trade {trade_id}, which never opened")
        if data["seq"] != followed.seq + 1:
            raise RuleViolation(index, f"trade {trade_id} event {data['seq']} out of sequence")
        followed.seq = data["seq"]
        handler = getattr(self, "_" + kind.removeprefix("trade."), None)
        if handler is None:
            raise RuleViolation(index, f"unknown trade event {kind}")
        handler(index, followed, data, _ts(body))

    def _adopt(self, trade_id: int, data: dict[str, Any]) -> None:
        """An agreement whose notice drew competing offers becomes an auction among the
        buyer (its priority right public) and the competitors, the highest offer its
        opening bid (binding: the trade can no longer be withdrawn)."""
        terms = data["terms"]
        offers = [(o["alias"], o["price_fen"]) for o in data["offers"]]
        opener, price = competing.opening(offers)
        ends_at = datetime.fromisoformat(terms["ends_at"])
        commitment, seller = self.other_modes.pop(trade_id)
        self.trades[trade_id] = _Auction(
            terms=terms,
            commitment=commitment,
            ends_at=ends_at,
            seq=data["seq"],
            registered={alias: alias == data["buyer_alias"] for alias in data["aliases"]},
            state=auction.State(price_fen=price, leader=opener, ends_at=ends_at),
            seller=seller,
            bids=1,
        )

    def _registered(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if a.closed is not None:
            raise RuleViolation(index, "registration after the close")
        alias, holder = data["alias"], data.get("priority_commitment")
        if holder is not None:
            if holder not in a.holders or holder in a.holder_alias:
                raise RuleViolation(index, f"{alias} claims a priority right not in the terms")
            a.holder_alias[holder] = alias
        a.registered[alias] = holder is not None or data.get("priority_right") is True

    def _bid_accepted(
        self, index: int, a: _Auction, data: dict[str, Any], recorded: datetime
    ) -> None:
        """Judged at the bid's receipt time (entries before it was recorded carry none)."""
        alias, amount = data["alias"], data["amount_fen"]
        at = datetime.fromisoformat(data["received_at"]) if "received_at" in data else recorded
        if at > recorded:
            raise RuleViolation(index, f"bid received at {at.isoformat()}, after its entry")
        if a.listing:
            raise RuleViolation(index, "a bid on a listing that never became an auction")
        if alias not in a.registered:
            raise RuleViolation(index, f"bid by {alias}, who never registered")
        if a.closed is not None:
            raise RuleViolation(index, f"bid at {at.isoformat()} after the close")
        step = auction.Accepted(alias, amount, data["kind"])
        outcome = auction.admit(a.rules(), replace(a.state, ends_at=a.ends_at), step, at)
        if outcome.refused is not None:
            raise RuleViolation(index, f"bid {amount} by {alias}: {outcome.reason}")
        a.state = outcome.state
        assert a.state.ends_at is not None
        a.ends_at = a.state.ends_at
        if datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, f"bid says the end is {data['ends_at']}, not {a.ends_at}")
        a.bids += 1

    def _extended(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, f"extended to {data['ends_at']}, the rules say {a.ends_at}")

    def _converted(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        """A listing with two or more intents becomes an auction among exactly them,
        starting at the listed price."""
        intents = sorted(a.registered)
        if not a.listing or at < a.ends_at or listed.outcome_at_end(len(intents)) != "auction":
            raise RuleViolation(index, "converted without two or more intents at its end")
        if sorted(data["aliases"]) != intents or data["terms"] != listed.auction_terms(a.terms, at):
            raise RuleViolation(index, "the auction is not among those buyers from the price")
        a.terms, a.listing = data["terms"], False
        a.ends_at = datetime.fromisoformat(a.terms["ends_at"])

    def _closed(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if a.closed is not None:
            raise RuleViolation(index, f"closed again after {a.closed['result']}")
        if at < a.ends_at or datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, "closed before its (extended) end")
        reserve, salt = data["reserve_fen"], data["reserve_salt"]
        if not commitments.opens(a.commitment, reserve, salt):
            raise RuleViolation(index, "revealed reserve does not match its commitment")
        self._holders_revealed(index, a, _reveals(index, data, "priority_holders"))
        if a.listing:  # ended with one intent (a deal at the listed price) or none
            if listed.outcome_at_end(len(a.registered)) == "auction":
                raise RuleViolation(index, "a listing with several intents must be auctioned")
            winner, price = listed.sale_at_end(a.terms, list(a.registered))
        else:
            result = auction.close(a.rules(reserve), replace(a.state, ends_at=a.ends_at))
            winner, price = result.winner, result.price_fen if result.sold else None
        expected = {
            "result": "sold" if winner else "unsold",
            "final_price_fen": price,
            "winner_alias": winner,
        }
        recorded = {k: data[k] for k in expected}
        if recorded != expected:
            raise RuleViolation(index, f"close recorded {recorded}, the bids say {expected}")
        a.closed, a.closed_at = expected, at

    def _withdrawn(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        """Only the seller, only while nothing binds the trade (the rule book decides);
        every held deposit is then released."""
        status = "closed" if a.closed is not None else "listed" if a.listing else "open"
        standing = withdrawal.Standing(a.mode, status, a.bids, len(a.registered))
        refusal = withdrawal.withdrawal_refusal(standing)
        if refusal or data["by_org_id"] != a.seller:
            raise RuleViolation(index, f"withdrawn, though {refusal or 'not by the seller'}")
        a.closed, a.closed_at = {"result": "withdrawn", "winner_alias": None}, at

    def _holders_revealed(self, index: int, a: _Auction, revealed: list[dict[str, Any]]) -> None:
        """The close opens every priority holder's commitment, naming the alias (if any)
        under which that holder registered."""
        opened: dict[str, str | None] = {}
        for holder in revealed:
            org_id, salt = holder.get("org_id"), holder.get("salt")
            found = next((c for c in a.holders if commitments.opens(c, org_id, salt)), None)
            if found is None or found in opened:
                raise RuleViolation(
                    index, f"revealed priority holder {org_id} matches no commitment of the terms"
                )
            opened[found] = holder.get("alias")
            if opened[found] != a.holder_alias.get(found):
                raise RuleViolation(
                    index,
                    f"priority holder {org_id} revealed behind {opened[found]}, "
                    f"registered as {a.holder_alias.get(found)}",
                )
        if set(opened) != a.holders:
            raise RuleViolation(index, "the close leaves a committed priority holder unrevealed")

    def _deposit(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        alias = data["alias"]
        if data["deposit"] == "forfeited":
            self._forfeit(index, a, alias, at)
            return
        if a.closed is None or alias not in a.registered or alias in a.deposits:
            raise RuleViolation(index, f"deposit of {alias} moved out of turn")
        expected = "applied" if alias == a.closed["winner_alias"] else "released"
        if data["deposit"] != expected:
            raise RuleViolation(
                index, f"deposit of {alias} {data['deposit']}, should be {expected}"
            )
        a.deposits[alias] = expected

    def _forfeit(self, index: int, a: _Auction, alias: str, at: datetime) -> None:
        """Only the winner's deposit, only after the signing period, only unsigned."""
        if a.closed is None or alias != a.closed["winner_alias"] or a.contract:
            raise RuleViolation(
                index, f"deposit of {alias} forfeited though not a defaulting winner"
            )
        assert a.closed_at is not None
        if at < a.closed_at + auction.signing_period(a.terms):
            raise RuleViolation(index, "deposit forfeited before the signing period ended")
        a.deposits[alias] = "forfeited"

    def _defaulted(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if a.deposits.get(data["alias"]) != "forfeited":
            raise RuleViolation(index, "defaulted without the winner's deposit forfeited")
        a.defaulted = True

    def _contract_recorded(
        self, index: int, a: _Auction, data: dict[str, Any], at: datetime
    ) -> None:
        if a.closed is None or a.closed["result"] != "sold" or a.defaulted:
            raise RuleViolation(index, "a contract for an auction without a standing deal")
        a.contract = True

    _contract_registered = _contract_recorded

    def finish(self) -> None:
        pass


@dataclass
class _Agreement:
    seller: int
    buyer: int
    seq: int
    last_offer: tuple[int, int] | None = None  # (org, offer id)
    committed: dict[int, str] = field(default_factory=dict)  # offer id -> price commitment
    prices: dict[int, int] = field(default_factory=dict)  # offer id -> price, once public
    price: int | None = None
    notice_ends_at: datetime | None = None
    objections: dict[int, str] = field(default_factory=dict)
    competition: dict[str, Any] | None = None  # announced with the notice
    competing: dict[str, tuple[int, str]] = field(default_factory=dict)  # alias -> offer
    released: set[str] = field(default_factory=set)
    done: bool = False
    concluded: bool = False
    cancelled: bool = False
    converted: bool = False  # an auction now: ``Auctions`` follows it


class Agreements:
    """Agreement pricing: offers only between the parties, each a commitment to its price;
    acceptance of the other side's latest offer, revealing every offer's price (each
    checked against its commitment); a notice that ran its full period; no upheld
    objection. Competing offers only while the notice runs, each with the announced
    deposit; with any, no conclusion but a conversion into an auction among exactly the
    buyer and the competitors, from the highest competing offer (each revealed price
    above the agreed one and matching its commitment); deposits released on a
    cancellation."""

    families: tuple[str, ...] = ("trade.",)

    def __init__(self) -> None:
        self.trades: dict[int, _Agreement] = {}

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data, kind, at = body["data"], body["type"], _ts(body)
        trade_id = data.get("trade_id")
        if kind == "trade.opened":
            if data["mode"] == "agreement":
                self.trades[trade_id] = _Agreement(
                    data["seller_org_id"], data["buyer_org_id"], data["seq"]
                )
            return
        a = self.trades.get(trade_id)
        if a is None or a.converted:
            return  # another mode's trade (or its approval before opening), or an auction
        a.seq = data["seq"]
        if kind == "trade.deposit":
            self._released(index, a, data)
            return
        if kind in ("trade.contract_recorded", "trade.contract_registered"):
            if not a.concluded:
                raise RuleViolation(index, "a contract for an agreement that was not concluded")
            return
        if a.done:
            raise RuleViolation(index, f"{kind} after trade {trade_id} ended")
        if kind == "trade.offer":
            if a.notice_ends_at is not None or (
                agreement.counterparty(a.seller, a.buyer, data["org_id"]) is None
            ):
                raise RuleViolation(index, "an offer outside the negotiation")
            if "price_commitment" in data:
                a.committed[data["offer_id"]] = data["price_commitment"]
            else:  # written before offers were committed to
                a.prices[data["offer_id"]] = data["price_fen"]
            a.last_offer = (data["org_id"], data["offer_id"])
        elif kind == "trade.accepted":
            by = data["by_org_id"]
            if (
                agreement.counterparty(a.seller, a.buyer, by) is None
                or agreement.acceptance_error(a.last_offer and a.last_offer[0], by) is not None
                or a.last_offer is None
                or data["offer_id"] != a.last_offer[1]
            ):
                raise RuleViolation(index, "accepted other than the other side's latest offer")
            self._offers_revealed(index, a, _reveals(index, data, "offers"))
            if data["price_fen"] != a.prices[a.last_offer[1]]:
                raise RuleViolation(index, "accepted a price nobody offered")
            a.price = data["price_fen"]
        elif kind == "trade.notice_opened":
            if a.price is None or data["price_fen"] != a.price:
                raise RuleViolation(index, "notice of a price that was not agreed")
            a.notice_ends_at = agreement.notice_end(at, agreement.notice_period(data))
            if datetime.fromisoformat(data["notice_ends_at"]) != a.notice_ends_at:
                raise RuleViolation(index, "notice shorter or longer than its period")
            a.competition = data.get("competition")  # none in notices before them
        elif kind == "trade.competing_offer":
            self._competing_offer(index, a, data, at)
        elif kind == "trade.converted":
            self._converted(index, a, data, at)
        elif kind == "trade.objection_raised":
            if not agreement.may_object(a.notice_ends_at, at):
                raise RuleViolation(index, "objection outside the notice period")
            a.objections[data["objection_id"]] = "raised"
        elif kind == "trade.objection_resolved":
            if a.objections.get(data["objection_id"]) != "raised":
                raise RuleViolation(index, "ruling on an objection that was not open")
            a.objections[data["objection_id"]] = data["ruling"]
        elif kind == "trade.cancelled":
            if "upheld" not in a.objections.values():
                raise RuleViolation(index, "cancelled without an upheld objection")
            a.done = a.cancelled = True
        elif kind in ("trade.withdrawn", "trade.ended"):
            standing = withdrawal.Standing(
                "agreement", "open" if a.price is None else "notice", bids=0, intents=0
            )
            who = {a.seller} if kind == "trade.withdrawn" else {a.seller, a.buyer}
            refusal = (
                withdrawal.withdrawal_refusal
                if kind == "trade.withdrawn"
                else withdrawal.ending_refusal
            )(standing)
            if refusal or data["by_org_id"] not in who:
                raise RuleViolation(index, f"{kind}, though {refusal or 'not by a party'}")
            a.done = True
        elif kind == "trade.concluded":
            if a.notice_ends_at is None or not agreement.may_conclude(
                a.notice_ends_at, at, list(a.objections.values())
            ):
                raise RuleViolation(
                    index, "concluded before the notice ran in full, or with an objection standing"
                )
            if data["price_fen"] != a.price:
                raise RuleViolation(index, "concluded at another price than agreed")
            if competing.outcome_at_notice_end(len(a.competing)) != "concluded":
                raise RuleViolation(index, "concluded though competing offers were made")
            a.done = a.concluded = True
        else:
            raise RuleViolation(index, f"{kind} has no place in agreement pricing")

    def _competing_offer(
        self, index: int, a: _Agreement, data: dict[str, Any], at: datetime
    ) -> None:
        """While the notice runs, under the announced terms, one alias each."""
        if a.competition is None or not agreement.may_object(a.notice_ends_at, at):
            raise RuleViolation(index, "a competing offer outside a notice that takes them")
        alias = data["alias"]
        if alias in a.competing:
            raise RuleViolation(index, f"a second competing offer under {alias}")
        if data["deposit_fen"] != a.competition["deposit_fen"] or data["deposit"] != "held":
            raise RuleViolation(index, f"competing offer of {alias} without the deposit held")
        a.competing[alias] = (data["offer_id"], data["price_commitment"])

    def _converted(self, index: int, a: _Agreement, data: dict[str, Any], at: datetime) -> None:
        """The notice's end with competing offers: an auction among exactly the buyer and
        the competitors, from the highest competing offer, every offer opened."""
        assert a.price is not None
        if (
            a.notice_ends_at is None
            or not agreement.may_conclude(a.notice_ends_at, at, list(a.objections.values()))
            or competing.outcome_at_notice_end(len(a.competing)) != "auction"
        ):
            raise RuleViolation(
                index, "converted without a competing offer, or before the notice ended"
            )
        revealed = {r.get("alias"): r for r in _reveals(index, data, "offers")}
        if len(revealed) != len(data["offers"]) or set(revealed) != set(a.competing):
            raise RuleViolation(index, "the conversion does not reveal exactly the offers made")
        offers = []
        for alias, (offer_id, committed) in a.competing.items():
            price, salt = revealed[alias].get("price_fen"), revealed[alias].get("salt")
            if revealed[alias].get("offer_id") != offer_id or not commitments.opens(
                committed, price, salt
            ):
                raise RuleViolation(
                    index, f"revealed competing offer of {alias} does not match its commitment"
                )
            assert isinstance(price, int)
            if competing.offer_error(a.price, price) is not None:
                raise RuleViolation(index, f"competing offer of {alias} not above the agreed price")
            offers.append((alias, price))
        assert a.competition is not None
        buyer = data["buyer_alias"]
        if buyer in a.competing or data["aliases"] != competing.participants(buyer, offers):
            raise RuleViolation(index, "the auction is not among the buyer and the competitors")
        opener, start = competing.opening(offers)
        terms = competing.auction_terms(a.competition, a.price, offers, at)
        if data["terms"] != terms or data["opening"] != {"alias": opener, "price_fen": start}:
            raise RuleViolation(index, "the auction does not open at the highest competing offer")
        a.done = a.converted = True

    def _released(self, index: int, a: _Agreement, data: dict[str, Any]) -> None:
        """A cancelled notice releases each competitor's deposit, once."""
        alias = data["alias"]
        if not a.cancelled or alias not in a.competing or alias in a.released:
            raise RuleViolation(index, f"deposit of {alias} moved out of turn")
        if data["deposit"] != "released":
            raise RuleViolation(index, f"deposit of {alias} {data['deposit']}, should be released")
        a.released.add(alias)

    def _offers_revealed(self, index: int, a: _Agreement, revealed: list[dict[str, Any]]) -> None:
        """Acceptance opens the commitment of every offer made in the negotiation."""
        by_id = {r.get("offer_id"): r for r in revealed}
        if len(by_id) != len(revealed) or set(by_id) != set(a.committed):
            raise RuleViolation(index, "the acceptance does not reveal exactly the offers made")
        for offer_id, committed in a.committed.items():
            price, salt = by_id[offer_id].get("price_fen"), by_id[offer_id].get("salt")
            if not commitments.opens(committed, price, salt):
                raise RuleViolation(
                    index, f"revealed price of offer {offer_id} does not match its commitment"
                )
            a.prices[offer_id] = by_id[offer_id]["price_fen"]
        a.committed.clear()

    def finish(self) -> None:
        pass
