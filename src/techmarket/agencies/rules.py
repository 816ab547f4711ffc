"""What an agency's directory profile may say: pure, no I/O; the service and the ledger
replay use it."""

from __future__ import annotations

from techmarket.regions import validate_region_code

# The nine categories of service agency the provincial plans name (服务机构九大类).
CATEGORIES: dict[str, str] = {
    "technology_transfer": "技术转移",
    "finance": "科技金融",
    "intellectual_property": "知识产权",
    "testing": "检验检测",
    "tax": "财税",
    "legal": "法律",
    "evaluation": "技术评估",
    "incubation": "创业孵化",
    "consulting": "科技咨询",
}
MAX_REGIONS = 50


def profile_error(categories: list[str], regions: list[str]) -> str | None:
    """Why a profile of these categories and regions is not one an agency may declare,
    or None: at least one known category and one valid region, none twice."""
    if not categories:
        return "an agency declares at least one service category"
    unknown = sorted(set(categories) - CATEGORIES.keys())
    if unknown:
        return f"unknown service categories: {', '.join(unknown)}"
    if not regions or len(regions) > MAX_REGIONS:
        return f"an agency serves between 1 and {MAX_REGIONS} regions"
    for code in regions:
        try:
            validate_region_code(code)
        except (ValueError, TypeError):
            return f"{code!r} is not a region code"
    if len(set(categories)) != len(categories) or len(set(regions)) != len(regions):
        return "a category or region is listed twice"
    return None
