"""Ledger replay of payments received (实际到账): a payment is recorded by a party of a
registered contract, for an amount above zero, to the other party, who alone confirms it,
once (``trading/rules/payments``). What an auditor checks from the ledger alone: the
seller from the trade's opening, the buyer too for agreements (an auction's winner is an
alias there, so its payments need only name the seller as one side)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from techmarket.ledger.replay import RuleViolation
from techmarket.trading.rules import payments as rules


@dataclass
class _Contract:
    seller: object  # as the opening has it: an id, if well formed
    buyer: object
    registered: bool = False
    payments: dict[int, rules.Payment] = field(default_factory=dict)


def _id(index: int, data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleViolation(index, f"{key} is not an id")
    return value


class Payments:
    families: tuple[str, ...] = ("trade.opened", "trade.contract_registered", "payment.")

    def __init__(self) -> None:
        self.trades: dict[object, _Contract] = {}
        self.payment_trade: dict[int, int] = {}

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data, kind = body["data"], body["type"]
        if kind == "trade.opened":  # its shape is the trade rule books' to judge
            self.trades[data.get("trade_id")] = _Contract(
                data.get("seller_org_id"), data.get("buyer_org_id")
            )
            return
        trade_id = _id(index, data, "trade_id")
        contract = self.trades.get(trade_id)
        if kind == "trade.contract_registered":  # whether it may be: the trade rule books'
            if contract is not None:
                contract.registered = True
            return
        if contract is None:
            raise RuleViolation(index, f"{kind} for trade {trade_id}, which never opened")
        if kind == "payment.recorded":
            self._recorded(index, trade_id, contract, data)
        elif kind == "payment.confirmed":
            self._confirmed(index, trade_id, contract, data)
        else:
            raise RuleViolation(index, f"unknown payment event {kind}")

    def _recorded(self, index: int, trade_id: int, c: _Contract, data: dict[str, Any]) -> None:
        by, to = _id(index, data, "by_org_id"), _id(index, data, "to_org_id")
        payment_id = _id(index, data, "payment_id")
        if payment_id in self.payment_trade:
            raise RuleViolation(index, f"payment {payment_id} recorded twice")
        buyer = c.buyer if c.buyer is not None else (to if by == c.seller else by)
        if not isinstance(c.seller, int) or not isinstance(buyer, int):
            raise RuleViolation(index, f"payment on trade {trade_id}, whose parties are unknown")
        parties = (c.seller, buyer)
        refusal = rules.record_error(parties, c.registered, by, data.get("amount_fen"))
        if refusal is None and (by == to or to != rules.other_party(parties, by)):
            refusal = rules.Refusal.not_a_party
        if refusal is not None:
            raise RuleViolation(index, f"payment {payment_id} on trade {trade_id}: {refusal}")
        c.payments[payment_id] = rules.Payment(by, to, data["amount_fen"])
        self.payment_trade[payment_id] = trade_id

    def _confirmed(self, index: int, trade_id: int, c: _Contract, data: dict[str, Any]) -> None:
        payment_id, by = _id(index, data, "payment_id"), _id(index, data, "by_org_id")
        payment = c.payments.get(payment_id)
        if payment is None:
            raise RuleViolation(index, f"confirms payment {payment_id}, not recorded on the trade")
        refusal = rules.confirm_error(payment, by)
        if refusal is not None:
            raise RuleViolation(index, f"payment {payment_id} confirmed by {by}: {refusal}")
        c.payments[payment_id] = replace(payment, confirmed=True)

    def finish(self) -> None:
        pass
