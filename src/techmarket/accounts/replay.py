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
        if body["type"] == lifecycle.REGISTERED:
            self._registered(index, data)
            return
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

    def _registered(self, index: int, data: dict[str, Any]) -> None:
        """A registration comes first, once: the organisation is pending."""
        org_id = data.get("org_id")
        if not isinstance(org_id, int) or org_id in self.status or data.get("to") != "pending":
            raise RuleViolation(index, f"org {org_id} registered twice, or not pending")
        self.status[org_id] = OrgStatus.pending

    def finish(self) -> None:
        pass
