"""Ledger replay of agency profiles: each declares only what the directory's rule allows."""

from __future__ import annotations

from typing import Any

from techmarket.agencies.rules import profile_error
from techmarket.ledger.replay import RuleViolation


class AgencyProfiles:
    families: tuple[str, ...] = ("agency.",)

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data = body["data"]
        if body["type"] != "agency.profile_updated":
            raise RuleViolation(index, f"unknown agency event {body['type']}")
        categories, regions = data.get("categories"), data.get("regions")
        if not isinstance(categories, list) or not isinstance(regions, list):
            raise RuleViolation(index, "a profile lists its categories and regions")
        if not all(isinstance(item, str) for item in [*categories, *regions]):
            raise RuleViolation(index, "a profile lists its categories and regions")
        error = profile_error(categories, regions)
        if error:
            raise RuleViolation(index, f"agency {data.get('org_id')}: {error}")

    def finish(self) -> None:
        pass
