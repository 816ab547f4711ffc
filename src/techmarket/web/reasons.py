"""Why a listing matched, as people read it: the matching engine's reasons in Chinese,
on the market pages, in the inbox and in e-mails alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from techmarket.web import places


def describe(code: str, detail: str) -> str:
    match code:
        case "shared_terms":
            return f"共同关键词：{detail}"
        case "same_industry":
            return f"同一行业：{detail}"
        case "same_region":
            return f"同一地区：{places.name(detail)}"
        case "same_city":
            return f"同一城市：{places.name(detail)}"
        case "same_province":
            return f"同一省份：{places.name(detail)}"
        case "within_budget":
            return "报价在预算之内"
        case "negotiable":
            return "价格面议"
        case "poc_verified":
            return f"经{detail}概念验证"
        case "your_achievement":
            return f"与贵单位成果相符：{detail}"
        case "your_demand":
            return f"与贵单位需求相符：{detail}"
    return detail


def text(reason: Any) -> str:
    """A reason as the engine gives it (``.code``, ``.detail``) or as stored (a mapping)."""
    if isinstance(reason, Mapping):
        return describe(reason["code"], reason["detail"])
    return describe(reason.code, reason.detail)
