"""Ledger replay of express licences (一键许可), from the ledger alone: a take only of an
offer that opened (at universities and institutes that is their TTO's approval) and was not
stopped, of an achievement not withdrawn or suspended since its publication; by an
enterprise, not the seller, verified as far as the ledger's organisation reviews show; each
enterprise once; at the offered terms, price and payment terms, under the standard contract
number. The rules are the rule book's (``trading/rules/express``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from techmarket.ledger.replay import RuleViolation
from techmarket.trading.rules import express


@dataclass
class _Offer:
    seller: int
    achievement_id: int
    terms: dict[str, Any]
    seq: int
    status: str = express.OFFERED
    takers: set[int] = field(default_factory=set)


class ExpressLicences:
    families: tuple[str, ...] = ("org.", "achievement.", "trade.")

    def __init__(self) -> None:
        self.offers: dict[int, _Offer] = {}
        self.deals: set[int] = set()
        self.orgs: dict[int, tuple[str, str]] = {}  # org id -> (kind, status), as reviewed
        self.withdrawn: set[int] = set()  # achievements withdrawn (or suspended), not since

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data, kind = body["data"], body["type"]
        if kind.startswith("org."):
            self.orgs[data["org_id"]] = (data["kind"], data["to"])
            return
        if kind == "achievement.withdrawn":
            self.withdrawn.add(data["achievement_id"])
        elif kind == "achievement.published":
            self.withdrawn.discard(data["achievement_id"])
        if kind.startswith("achievement."):
            return
        trade_id = data.get("trade_id")
        if kind == "trade.opened" and data["mode"] == "express_licence":
            self.offers[trade_id] = _Offer(
                data["seller_org_id"], data["achievement_id"], data["terms"], data["seq"]
            )
        elif kind == "trade.express_stopped":
            self._stopped(index, trade_id, data)
        elif kind == "trade.express_taken":
            self._taken(index, trade_id, data)
        elif trade_id in self.deals and kind != "trade.contract_registered":
            raise RuleViolation(index, f"{kind} has no place in an express licence deal")
        elif trade_id in self.offers and kind not in ("trade.opened", "trade.approved"):
            raise RuleViolation(index, f"{kind} has no place in an express licence offer")

    def _stopped(self, index: int, trade_id: int, data: dict[str, Any]) -> None:
        offer = self.offers.get(trade_id)
        if offer is None or not express.may_stop(offer.status):
            raise RuleViolation(index, f"stopped express licence {trade_id}, which was not offered")
        if data["by_org_id"] != offer.seller or data["seq"] != offer.seq + 1:
            raise RuleViolation(index, "an express licence stopped by another than its seller")
        offer.status, offer.seq = express.STOPPED, data["seq"]

    def _taken(self, index: int, deal_id: int, data: dict[str, Any]) -> None:
        offer_id, buyer = data["offer_trade_id"], data["buyer_org_id"]
        offer = self.offers.get(offer_id)
        if offer is None:
            raise RuleViolation(index, f"took express licence {offer_id}, which never opened")
        reviewed_kind, status = self.orgs.get(buyer, (data["buyer_kind"], "verified"))
        if reviewed_kind != data["buyer_kind"] or status != "verified":
            raise RuleViolation(index, f"taken by org {buyer}, not a verified {data['buyer_kind']}")
        refusal = express.take_refusal(
            offer.status,
            offer.achievement_id not in self.withdrawn,
            offer.seller,
            buyer,
            data["buyer_kind"],
            offer.takers,
        )
        if refusal is not None:
            raise RuleViolation(index, f"express licence {offer_id} taken by {buyer}: {refusal}")
        expected = {
            "seq": 1,
            "achievement_id": offer.achievement_id,
            "seller_org_id": offer.seller,
            "terms": offer.terms,
            "price_fen": express.price_fen(offer.terms),
            "payment_terms": express.payment_terms(offer.terms),
            "contract_number": express.contract_number(offer_id, deal_id),
        }
        recorded = {k: data.get(k) for k in expected}
        if recorded != expected or deal_id in self.deals:
            raise RuleViolation(index, f"taken at {recorded}, the offer says {expected}")
        offer.takers.add(buyer)
        self.deals.add(deal_id)

    def finish(self) -> None:
        pass
