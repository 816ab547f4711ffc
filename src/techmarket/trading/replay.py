"""Ledger replay of auctions, from the ledger alone: every accepted bid obeyed the
increment, the order and the (extended) end time; the close names the real leader at the
real price; the revealed reserve matches its commitment; deposits move as the result says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from techmarket.ledger.replay import RuleViolation, register
from techmarket.trading.auctions import reserve_commitment


@dataclass
class _Auction:
    terms: dict[str, Any]
    commitment: str
    ends_at: datetime
    seq: int
    registered: dict[str, bool] = field(default_factory=dict)  # alias -> priority right
    price: int | None = None
    leader: str | None = None
    closed: dict[str, Any] | None = None
    deposits: dict[str, str] = field(default_factory=dict)
    listing: bool = False  # a listing (挂牌) not (yet) converted to an auction
    closed_at: datetime | None = None
    contract: bool = False
    defaulted: bool = False


def _ts(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))


@register
class Auctions:
    families: tuple[str, ...] = ("trade.",)

    def __init__(self) -> None:
        self.trades: dict[int, _Auction] = {}
        self.other_modes: set[int] = set()

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data, kind = body["data"], body["type"]
        trade_id = data.get("trade_id")
        if kind in ("trade.approved", "trade.rejected") or trade_id in self.other_modes:
            return  # before opening: the TTO's decision
        if kind == "trade.opened" and data["mode"] not in ("auction", "listed"):
            self.other_modes.add(trade_id)
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
            )
            return
        auction = self.trades.get(trade_id)
        if auction is None:
            raise RuleViolation(index, f"{kind} for trade {trade_id}, which never opened")
        if data["seq"] != auction.seq + 1:
            raise RuleViolation(index, f"trade {trade_id} event {data['seq']} out of sequence")
        auction.seq = data["seq"]
        handler = getattr(self, "_" + kind.removeprefix("trade."), None)
        if handler is None:
            raise RuleViolation(index, f"unknown trade event {kind}")
        handler(index, auction, data, _ts(body))

    def _registered(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if a.closed is not None:
            raise RuleViolation(index, "registration after the close")
        a.registered[data["alias"]] = bool(data["priority_right"])

    def _bid_accepted(
        self, index: int, a: _Auction, data: dict[str, Any], recorded: datetime
    ) -> None:
        """Judged at the bid's receipt time (entries before it was recorded carry none)."""
        alias, amount, terms = data["alias"], data["amount_fen"], a.terms
        at = datetime.fromisoformat(data["received_at"]) if "received_at" in data else recorded
        if at > recorded:
            raise RuleViolation(index, f"bid received at {at.isoformat()}, after its entry")
        if a.listing:
            raise RuleViolation(index, "a bid on a listing that never became an auction")
        if alias not in a.registered:
            raise RuleViolation(index, f"bid by {alias}, who never registered")
        if a.closed is not None or at >= a.ends_at:
            raise RuleViolation(index, f"bid at {at.isoformat()} after the end")
        if at < datetime.fromisoformat(terms["starts_at"]):
            raise RuleViolation(index, "bid before the start")
        start, step = terms["start_price_fen"], terms["increment_fen"]
        if amount < start or (amount - start) % step:
            raise RuleViolation(index, f"bid {amount} is not the start plus whole increments")
        if data["kind"] == "match":
            if not (
                a.registered[alias]
                and amount == a.price
                and a.leader is not None
                and not a.registered[a.leader]
            ):
                raise RuleViolation(index, f"{alias} matched without a priority right to")
        elif amount < (start if a.price is None else a.price + step):
            raise RuleViolation(index, f"bid {amount} does not beat {a.price} by an increment")
        a.price, a.leader = amount, alias
        extension = timedelta(seconds=terms["extension_seconds"])
        if a.ends_at - at <= extension:
            a.ends_at = max(a.ends_at, at + extension)
        if datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, f"bid says the end is {data['ends_at']}, not {a.ends_at}")

    def _extended(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, f"extended to {data['ends_at']}, the rules say {a.ends_at}")

    def _converted(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        """A listing with two or more intents becomes an auction among exactly them,
        starting at the listed price."""
        terms = data["terms"]
        if not a.listing or at < a.ends_at or len(a.registered) < 2:
            raise RuleViolation(index, "converted without two or more intents at its end")
        if sorted(data["aliases"]) != sorted(a.registered) or (
            terms["start_price_fen"] != a.terms["listed_price_fen"]
        ):
            raise RuleViolation(index, "the auction is not among those buyers from the price")
        a.terms, a.listing = terms, False
        a.ends_at = datetime.fromisoformat(terms["ends_at"])

    def _closed(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if at < a.ends_at or datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, "closed before its (extended) end")
        reserve, salt = data["reserve_fen"], data["reserve_salt"]
        if reserve_commitment(reserve, salt) != a.commitment:
            raise RuleViolation(index, "revealed reserve does not match its commitment")
        if a.listing:  # ended with one intent (a deal at the listed price) or none
            if len(a.registered) > 1:
                raise RuleViolation(index, "a listing with several intents must be auctioned")
            (a.leader,) = a.registered or (None,)
            a.price = a.terms["listed_price_fen"] if a.leader else None
        sold = a.leader is not None and a.price is not None and a.price >= reserve
        expected = {
            "result": "sold" if sold else "unsold",
            "final_price_fen": a.price if sold else None,
            "winner_alias": a.leader if sold else None,
        }
        recorded = {k: data[k] for k in expected}
        if recorded != expected:
            raise RuleViolation(index, f"close recorded {recorded}, the bids say {expected}")
        a.closed, a.closed_at = expected, at

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
        if at < a.closed_at + timedelta(days=a.terms["signing_days"]):
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
    last_offer: tuple[int, int] | None = None  # (org, price)
    price: int | None = None
    notice_ends_at: datetime | None = None
    objections: dict[int, str] = field(default_factory=dict)
    done: bool = False
    concluded: bool = False


@register
class Agreements:
    """Agreement pricing: offers only between the parties, acceptance of the other side's
    latest offer at its price, a notice that ran its full period, no upheld objection."""

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
        if a is None:
            return  # another mode's trade (or its approval before opening)
        a.seq = data["seq"]
        if kind in ("trade.contract_recorded", "trade.contract_registered"):
            if not a.concluded:
                raise RuleViolation(index, "a contract for an agreement that was not concluded")
            return
        if a.done:
            raise RuleViolation(index, f"{kind} after trade {trade_id} ended")
        if kind == "trade.offer":
            if a.notice_ends_at is not None or data["org_id"] not in (a.seller, a.buyer):
                raise RuleViolation(index, "an offer outside the negotiation")
            a.last_offer = (data["org_id"], data["price_fen"])
        elif kind == "trade.accepted":
            by = data["by_org_id"]
            if a.last_offer is None or by == a.last_offer[0] or by not in (a.seller, a.buyer):
                raise RuleViolation(index, "accepted other than the other side's latest offer")
            if data["price_fen"] != a.last_offer[1]:
                raise RuleViolation(index, "accepted a price nobody offered")
            a.price = data["price_fen"]
        elif kind == "trade.notice_opened":
            if a.price is None or data["price_fen"] != a.price:
                raise RuleViolation(index, "notice of a price that was not agreed")
            a.notice_ends_at = at + timedelta(days=data["notice_days"])
            if datetime.fromisoformat(data["notice_ends_at"]) != a.notice_ends_at:
                raise RuleViolation(index, "notice shorter or longer than its period")
        elif kind == "trade.objection_raised":
            if a.notice_ends_at is None or at >= a.notice_ends_at:
                raise RuleViolation(index, "objection outside the notice period")
            a.objections[data["objection_id"]] = "raised"
        elif kind == "trade.objection_resolved":
            if a.objections.get(data["objection_id"]) != "raised":
                raise RuleViolation(index, "ruling on an objection that was not open")
            a.objections[data["objection_id"]] = data["ruling"]
        elif kind == "trade.cancelled":
            if "upheld" not in a.objections.values():
                raise RuleViolation(index, "cancelled without an upheld objection")
            a.done = True
        elif kind == "trade.concluded":
            if a.notice_ends_at is None or at < a.notice_ends_at:
                raise RuleViolation(index, "concluded before the notice ran in full")
            if any(v in ("raised", "upheld") for v in a.objections.values()):
                raise RuleViolation(index, "concluded with an objection open or upheld")
            if data["price_fen"] != a.price:
                raise RuleViolation(index, "concluded at another price than agreed")
            a.done = a.concluded = True
        else:
            raise RuleViolation(index, f"{kind} has no place in agreement pricing")

    def finish(self) -> None:
        pass
