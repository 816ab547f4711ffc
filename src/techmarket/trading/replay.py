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


def _ts(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))


@register
class Auctions:
    families: tuple[str, ...] = ("trade.",)

    def __init__(self) -> None:
        self.trades: dict[int, _Auction] = {}

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data, kind = body["data"], body["type"]
        trade_id = data.get("trade_id")
        if kind == "trade.approved":
            return
        if kind == "trade.opened":
            self.trades[trade_id] = _Auction(
                terms=data["terms"],
                commitment=data["reserve_commitment"],
                ends_at=datetime.fromisoformat(data["terms"]["ends_at"]),
                seq=data["seq"],
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

    def _bid_accepted(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        alias, amount, terms = data["alias"], data["amount_fen"], a.terms
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

    def _closed(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        if at < a.ends_at or datetime.fromisoformat(data["ends_at"]) != a.ends_at:
            raise RuleViolation(index, "closed before its (extended) end")
        reserve, salt = data["reserve_fen"], data["reserve_salt"]
        if reserve_commitment(reserve, salt) != a.commitment:
            raise RuleViolation(index, "revealed reserve does not match its commitment")
        sold = a.leader is not None and a.price is not None and a.price >= reserve
        expected = {
            "result": "sold" if sold else "unsold",
            "final_price_fen": a.price if sold else None,
            "winner_alias": a.leader if sold else None,
        }
        recorded = {k: data[k] for k in expected}
        if recorded != expected:
            raise RuleViolation(index, f"close recorded {recorded}, the bids say {expected}")
        a.closed = expected

    def _deposit(self, index: int, a: _Auction, data: dict[str, Any], at: datetime) -> None:
        alias = data["alias"]
        if a.closed is None or alias not in a.registered or alias in a.deposits:
            raise RuleViolation(index, f"deposit of {alias} moved out of turn")
        expected = "applied" if alias == a.closed["winner_alias"] else "released"
        if data["deposit"] != expected:
            raise RuleViolation(
                index, f"deposit of {alias} {data['deposit']}, should be {expected}"
            )
        a.deposits[alias] = expected

    def finish(self) -> None:
        pass
