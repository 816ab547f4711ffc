"""Express licence rules (一键许可): pure, no I/O; the service and the ledger replay use them.

A seller offers a standard non-exclusive licence of a published achievement at fixed
terms: a price, or free now with a royalty on conversion (rate and base fixed in advance).
Once offered (at universities and institutes: once their TTO approved it), any verified
enterprise other than the seller takes it in one step, at most once; each take is a deal
of its own, with a contract generated from the standard text below. The seller may stop
offering it; the licences granted stand."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import date
from enum import StrEnum
from typing import Any


class Pricing(StrEnum):
    fixed = "fixed"  # a licence fee, paid once
    free_then_royalty = "free_then_royalty"  # 先免费许可后付费: royalty on conversion


class RoyaltyBase(StrEnum):
    sales_revenue = "sales_revenue"  # 销售收入
    net_profit = "net_profit"  # 净利润


ROYALTY_BASES = {RoyaltyBase.sales_revenue: "销售收入", RoyaltyBase.net_profit: "净利润"}

OFFERED = "open"  # the trade status of an offer that may be taken
# Achievement statuses in which it is on offer (in an auction too: the licence is not
# exclusive); withdrawn by its owner, or suspended by the operator, it is not.
ACHIEVEMENT_ON_OFFER = frozenset({"published", "in_trade"})
STOPPED = "stopped"
TAKER_KIND = "enterprise"


class Refusal(StrEnum):
    """Why a take is refused (each the code of the service's error)."""

    not_offered = "express_not_offered"
    stopped = "express_stopped"
    own_offer = "own_trade"
    not_enterprise = "wrong_org_kind"
    taken_already = "express_taken_already"


def take_refusal(
    status: str,
    achievement_on_offer: bool,
    seller_org_id: int,
    taker_org_id: int,
    taker_kind: str,
    takers: Collection[int],
) -> Refusal | None:
    """Why ``taker_org_id`` may not take an offer in ``status`` now (its achievement
    withdrawn or suspended is no longer on offer; ``takers``: the organisations that took
    it already), or None if it may."""
    if status == STOPPED:
        return Refusal.stopped
    if status != OFFERED or not achievement_on_offer:
        return Refusal.not_offered
    if taker_org_id == seller_org_id:
        return Refusal.own_offer
    if taker_kind != TAKER_KIND:
        return Refusal.not_enterprise
    if taker_org_id in takers:
        return Refusal.taken_already
    return None


def may_stop(status: str) -> bool:
    """The seller stops an offer that is being offered."""
    return status == OFFERED


def price_fen(terms: dict[str, Any]) -> int:
    """What a take costs now: the fee, or nothing (the royalty comes on conversion)."""
    return int(terms["price_fen"]) if terms["pricing"] == Pricing.fixed else 0


def payment_terms(terms: dict[str, Any]) -> str:
    """The contract's payment terms (``models.trade.PaymentTerms`` values)."""
    return "lump_sum" if terms["pricing"] == Pricing.fixed else "free_then_royalty"


def contract_number(offer_id: int, deal_id: int) -> str:
    return f"TM-YJXK-{offer_id}-{deal_id}"


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _percent(basis_points: int) -> str:
    whole, part = divmod(basis_points, 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") + "%"


def fee_clause(terms: dict[str, Any]) -> str:
    """The licence fee as the contract (and the offer's page) states it."""
    if terms["pricing"] == Pricing.fixed:
        return (
            f"乙方自本合同成立之日起三十日内一次性向甲方支付许可费人民币 "
            f"{_yuan(terms['price_fen'])} 元。"
        )
    base = ROYALTY_BASES[RoyaltyBase(terms["royalty_base"])]
    return (
        "先免费许可后付费：乙方在许可期限内免费实施本成果；实施本成果产生"
        f"{base}后，按该{base}的 {_percent(terms['royalty_rate_bp'])} 向甲方支付提成，"
        "按年结算。"
    )


def contract_text(
    terms: dict[str, Any],
    *,
    number: str,
    signed_on: date,
    title: str,
    achievement_id: int,
    seller: str,
    buyer: str,
) -> str:
    """The standard licence contract with both parties, the object and the price filled in."""
    return "\n".join(
        [
            "技术许可合同（一键许可标准文本）",
            f"合同编号：{number}",
            f"许可方（甲方）：{seller}",
            f"被许可方（乙方）：{buyer}",
            f"成立日期：{signed_on.isoformat()}",
            "",
            f"第一条 许可标的：甲方的科技成果“{title}”（技术市场成果编号 {achievement_id}）。",
            "第二条 许可方式：普通许可（非独占）。甲方可以自行实施，也可以许可第三方实施本成果。",
            f"第三条 许可期限：自本合同成立之日起 {terms['term_years']} 年。",
            f"第四条 许可费用：{fee_clause(terms)}",
            "第五条 乙方不得转让本许可，也不得许可第三方实施本成果。",
            "第六条 本合同依甲方在技术市场发布、经其成果转化办公室批准的一键许可标准条款生成，"
            "自乙方确认之时成立，记入技术市场账本存证。",
            "第七条 因本合同发生的争议，双方协商解决；协商不成的，依法向甲方所在地人民法院起诉。",
        ]
    )


def digest(text: str) -> str:
    """The contract's SHA-256 (hex of its UTF-8), as the ledger carries it."""
    return hashlib.sha256(text.encode()).hexdigest()
