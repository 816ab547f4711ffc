"""Listing payloads for tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import START

# A valid current-form application number (check character 6) and an old-form one
# (97 10 1765.4, the published example of the older format).
PATENT = "ZL 2023 1 0123456.6"
OLD_PATENT = "97101765.4"


def achievement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "高能量密度锂离子电池正极材料及其制备方法",
        "summary": (
            "本成果提供一种高镍三元正极材料，显著提高电池循环寿命和能量密度，"
            "适用于新能源汽车动力电池。"
        ),
        "ip_type": "invention_patent",
        "patent_numbers": [PATENT],
        "industry": "new_materials",
        "region_code": "330106",
        "trl": 6,
        "transfer_modes": ["assignment", "ordinary_licence"],
        "asking_price_fen": 50_000_000,
        "inventors": ["张三", "李四"],
        "keywords": ["正极材料", "锂电池"],
    }
    body.update(overrides)
    return body


def demand(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "寻求动力电池正极材料技术",
        "description": (
            "我公司需要提高动力电池能量密度和循环寿命的正极材料技术，可技术转让或合作开发。"
        ),
        "industry": "new_materials",
        "region_code": "330100",
        "budget_min_fen": 10_000_000,
        "budget_max_fen": 80_000_000,
        "deadline": (START + timedelta(days=30)).isoformat(),
        "cooperation_mode": "transfer",
    }
    body.update(overrides)
    return body
