"""The Chinese names people read for the platform's fixed vocabularies.

The listing taxonomies keep their own labels (``listings.taxonomy``, also used by the
importer); the rest are named here. ``label(value)`` finds the vocabulary from the enum's
type; a plain string (from a JSON-shaped row) names it: ``label(s, "trade_mode")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from techmarket.listings.taxonomy import (
    INDUSTRY_LABELS,
    IP_TYPE_LABELS,
    TRANSFER_MODE_LABELS,
    CooperationMode,
)
from techmarket.models.listing import AchievementStatus, DemandStatus, ResponseStatus
from techmarket.models.org import OrgKind, OrgStatus, Role
from techmarket.models.subscription import Basis, Target
from techmarket.models.trade import (
    DepositStatus,
    ObjectionStatus,
    PaymentTerms,
    TradeMode,
    TradeStatus,
)
from techmarket.poc.rules import Outcome, ProjectStatus, Verdict
from techmarket.trading.rules import express
from techmarket.trading.rules.express import Pricing

COOPERATION_MODE_LABELS = {
    CooperationMode.transfer: "技术转让",
    CooperationMode.licence: "技术许可",
    CooperationMode.commissioned_development: "委托开发",
    CooperationMode.joint_development: "合作开发",
    CooperationMode.technical_service: "技术服务",
}

ORG_KIND_LABELS = {
    OrgKind.university: "高校",
    OrgKind.institute: "科研院所",
    OrgKind.enterprise: "企业",
    OrgKind.agency: "服务机构",
    OrgKind.operator: "平台运营方",
    OrgKind.auditor: "审计机构",
    OrgKind.poc_centre: "概念验证中心",
}

ORG_STATUS_LABELS = {
    OrgStatus.pending: "待审核",
    OrgStatus.verified: "已认证",
    OrgStatus.rejected: "未通过",
    OrgStatus.suspended: "已暂停",
}

ROLE_LABELS = {
    Role.admin: "管理员",
    Role.member: "成员",
    Role.tto: "成果转化办公室",
    Role.broker: "技术经纪人",
}

ACHIEVEMENT_STATUS_LABELS = {
    AchievementStatus.draft: "草稿",
    AchievementStatus.pending_approval: "待审批",
    AchievementStatus.published: "已发布",
    AchievementStatus.in_trade: "交易中",
    AchievementStatus.transferred: "已转化",
    AchievementStatus.rejected: "已退回",
    AchievementStatus.withdrawn: "已撤回",
}

DEMAND_STATUS_LABELS = {
    DemandStatus.draft: "草稿",
    DemandStatus.published: "征集中",
    DemandStatus.awarded: "已揭榜",
    DemandStatus.closed: "已关闭",
    DemandStatus.expired: "已截止",
}

RESPONSE_STATUS_LABELS = {
    ResponseStatus.submitted: "已提交",
    ResponseStatus.shortlisted: "入围",
    ResponseStatus.accepted: "已采纳",
    ResponseStatus.declined: "未采纳",
    ResponseStatus.withdrawn: "已撤回",
}

TRADE_MODE_LABELS = {
    TradeMode.agreement: "协议定价",
    TradeMode.listed: "挂牌交易",
    TradeMode.auction: "竞价拍卖",
    TradeMode.express_licence: "一键许可",
}

TRADE_STATUS_LABELS = {
    TradeStatus.pending_approval: "待审批",
    TradeStatus.open: "进行中",
    TradeStatus.listed: "挂牌中",
    TradeStatus.notice: "公示中",
    TradeStatus.sold: "已成交",
    TradeStatus.unsold: "流拍",
    TradeStatus.cancelled: "已取消",
    TradeStatus.defaulted: "已违约",
    TradeStatus.rejected: "未获批准",
    TradeStatus.withdrawn: "已撤回",
    TradeStatus.ended: "谈判已结束",
    TradeStatus.stopped: "已停止许可",
}

OBJECTION_STATUS_LABELS = {
    ObjectionStatus.raised: "待裁定",
    ObjectionStatus.upheld: "异议成立",
    ObjectionStatus.dismissed: "异议驳回",
}

DEPOSIT_STATUS_LABELS = {
    DepositStatus.held: "已冻结",
    DepositStatus.released: "已退还",
    DepositStatus.applied: "已抵作价款",
    DepositStatus.forfeited: "已没收",
}

PAYMENT_TERMS_LABELS = {
    PaymentTerms.lump_sum: "一次性支付",
    PaymentTerms.instalments: "分期支付",
    PaymentTerms.royalty: "提成支付",
    PaymentTerms.free_then_royalty: "先免费许可后付费",
}

POC_STATUS_LABELS = {
    ProjectStatus.applied: "已申请",
    ProjectStatus.accepted: "已入选",
    ProjectStatus.declined: "未入选",
    ProjectStatus.active: "验证中",
    ProjectStatus.passed: "验证通过",
    ProjectStatus.failed: "验证未通过",
    ProjectStatus.stopped: "已终止",
}

POC_VERDICT_LABELS = {Verdict.met: "达成", Verdict.not_met: "未达成"}

POC_OUTCOME_LABELS = {
    Outcome.passed: "验证通过",
    Outcome.failed: "验证未通过",
    Outcome.stopped: "终止",
}

EXPRESS_PRICING_LABELS = {
    Pricing.fixed: "固定许可费",
    Pricing.free_then_royalty: "先免费许可后付费（转化后按提成付费）",
}

ROYALTY_BASE_LABELS = dict(express.ROYALTY_BASES)

SUBSCRIPTION_TARGET_LABELS = {
    Target.achievement: "新发布的科技成果",
    Target.demand: "新发布的企业需求",
    Target.trade: "新开始的交易",
}

SUBSCRIPTION_BASIS_LABELS = {
    Basis.filters: "按条件",
    Basis.our_achievements: "与本机构已发布成果匹配的需求",
    Basis.our_demands: "与本机构开放需求匹配的成果",
}

# Every vocabulary by name. A StrEnum member equals its string value, so a plain string
# (from a JSON-shaped row) finds its label too.
VOCABULARIES: dict[str, Mapping[Any, str]] = {
    "ip_type": IP_TYPE_LABELS,
    "industry": INDUSTRY_LABELS,
    "transfer_mode": TRANSFER_MODE_LABELS,
    "cooperation_mode": COOPERATION_MODE_LABELS,
    "org_kind": ORG_KIND_LABELS,
    "org_status": ORG_STATUS_LABELS,
    "role": ROLE_LABELS,
    "achievement_status": ACHIEVEMENT_STATUS_LABELS,
    "demand_status": DEMAND_STATUS_LABELS,
    "response_status": RESPONSE_STATUS_LABELS,
    "trade_mode": TRADE_MODE_LABELS,
    "trade_status": TRADE_STATUS_LABELS,
    "objection_status": OBJECTION_STATUS_LABELS,
    "deposit_status": DEPOSIT_STATUS_LABELS,
    "payment_terms": PAYMENT_TERMS_LABELS,
    "poc_status": POC_STATUS_LABELS,
    "poc_verdict": POC_VERDICT_LABELS,
    "poc_outcome": POC_OUTCOME_LABELS,
    "express_pricing": EXPRESS_PRICING_LABELS,
    "royalty_base": ROYALTY_BASE_LABELS,
    "subscription_target": SUBSCRIPTION_TARGET_LABELS,
    "subscription_basis": SUBSCRIPTION_BASIS_LABELS,
}
_BY_ENUM: dict[type, str] = {type(next(iter(v))): name for name, v in VOCABULARIES.items()}


def label(value: StrEnum | str | None, vocabulary: str | None = None) -> str:
    """The Chinese label of ``value``; an unknown value is shown as it is."""
    if value is None:
        return ""
    name = vocabulary or _BY_ENUM.get(type(value))
    if name is None:
        raise KeyError(f"no labels for {value!r}: name its vocabulary, e.g. label(v, 'role')")
    return VOCABULARIES[name].get(value, str(value))


def options(vocabulary: str) -> list[tuple[str, str]]:
    """(value, label) pairs of a vocabulary, in its own order: for <select> and checkboxes."""
    return [(str(value), text) for value, text in VOCABULARIES[vocabulary].items()]
