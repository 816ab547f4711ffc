"""Ledger replay of organisation reviews: each follows the status machine."""

from __future__ import annotations

from typing import Any

from techmarket.accounts import lifecycle
from techmarket.accounts.lifecycle import OrgStatus
from techmarket.ledger.replay import RuleViolation


class OrgReviews:
    families: tuple[str, ...] = ("org.",)

    def __init__(self) -> None:
        self.status: dict[int, OrgStatus] = {}

    def feed(self, index: int, body: dict[str, Any]) -> None:
        data = body["data"]
        try:
            org_id, before, to = data["org_id"], OrgStatus(data["from"]), OrgStatus(data["to"])
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleViolation(index, f"malformed organisation review: {exc}") from None
        if body["type"] != lifecycle.EVENT.get(to):
            raise RuleViolation(index, f"event {body['type']} does not move to {to}")
        known = self.status.get(org_id, OrgStatus.pending)
        if before != known:
            raise RuleViolation(index, f"org {org_id} was {known}, entry says {before}")
        if not lifecycle.allowed(before, to):
            raise RuleViolation(index, f"org {org_id} cannot go from {before} to {to}")
        self.status[org_id] = to

    def finish(self) -> None:
        pass
