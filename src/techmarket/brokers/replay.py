"""Ledger replay of mandates and brokers' actions, from the ledger alone: a mandate moves
offered -> accepted -> revoked (or offered -> revoked); every trade event a broker caused
(it names ``mandate_id``) comes after its mandate's events, at a time the mandate was in
force, on the mandate's object (the trade or its achievement) and within its scope; a
deal's contributions name known mandates, brokers who acted for the deal under them (but
for responses to demands, which are not ledgered), and shares summing to at most the
whole; a contribution is rated once, 1 to 5. The rules are ``brokers/rules.py``'s."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from techmarket.brokers import rules
from techmarket.brokers.rules import Grant, MandateStatus, ObjectKind, Scope
from techmarket.ledger.replay import RuleViolation

# The scope under which a broker may cause each trade event.
SCOPE_OF_EVENT: dict[str, Scope] = {
    "trade.registered": Scope.register_and_bid,
    "trade.bid_accepted": Scope.register_and_bid,
    "trade.offer": Scope.negotiate,
    "trade.accepted": Scope.negotiate,
}
MOVES: dict[str, tuple[frozenset[MandateStatus], MandateStatus]] = {
    "mandate.accepted": (frozenset({MandateStatus.offered}), MandateStatus.accepted),
    "mandate.revoked": (
        frozenset({MandateStatus.offered, MandateStatus.accepted}),
        MandateStatus.revoked,
    ),
}


def _ts(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))


class Mandates:
    families: tuple[str, ...] = ("mandate.", "trade.", "contribution.")

    def __init__(self) -> None:
        self.grants: dict[int, Grant] = {}
        self.achievement_of: dict[int, int] = {}  # trade -> its achievement
        self.acted: dict[int, set[tuple[int, int]]] = {}  # trade -> (mandate, broker)
        self.rated: dict[int, bool] = {}  # contribution -> rated yet

    def feed(self, index: int, body: dict[str, Any]) -> None:
        kind, data = body["type"], body["data"]
        try:
            if kind == "mandate.offered":
                self._offered(index, data)
            elif kind in MOVES:
                self._move(index, kind, data)
            elif kind == "trade.opened":
                self.achievement_of[data["trade_id"]] = data["achievement_id"]
            elif kind.startswith("trade.") and "mandate_id" in data:
                self._acted(index, kind, data, _ts(body))
            elif kind == "contribution.recorded":
                self._recorded(index, data)
            elif kind == "contribution.rated":
                self._rated(index, data)
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleViolation(index, f"malformed {kind}: {exc}") from None

    def _offered(self, index: int, data: dict[str, Any]) -> None:
        mandate_id = data["mandate_id"]
        if mandate_id in self.grants:
            raise RuleViolation(index, f"mandate {mandate_id} offered twice")
        self.grants[mandate_id] = Grant(
            id=mandate_id,
            client_org_id=0,  # committed, not named
            agency_org_id=data["agency_org_id"],
            object_kind=ObjectKind(data["object_kind"]),
            object_id=data["object_id"],
            scope=frozenset(Scope(s) for s in data["scope"]),
            valid_from=datetime.fromisoformat(data["valid_from"]),
            valid_until=datetime.fromisoformat(data["valid_until"]),
            status=MandateStatus.offered,
        )

    def _grant(self, index: int, mandate_id: Any) -> Grant:
        grant = self.grants.get(mandate_id)
        if grant is None:
            raise RuleViolation(index, f"mandate {mandate_id} was never offered")
        return grant

    def _move(self, index: int, kind: str, data: dict[str, Any]) -> None:
        grant = self._grant(index, data["mandate_id"])
        sources, to = MOVES[kind]
        if grant.status not in sources:
            raise RuleViolation(index, f"mandate {grant.id} is {grant.status}: cannot {kind}")
        self.grants[grant.id] = replace(grant, status=to)

    def _acted(self, index: int, kind: str, data: dict[str, Any], at: datetime) -> None:
        grant = self._grant(index, data["mandate_id"])
        trade_id = data["trade_id"]
        objects = [(ObjectKind.trade, trade_id)]
        if trade_id in self.achievement_of:
            objects.append((ObjectKind.achievement, self.achievement_of[trade_id]))
        why = rules.refusal(grant, at, objects, SCOPE_OF_EVENT.get(kind))
        if why is not None:
            raise RuleViolation(index, f"{kind} by a broker outside mandate {grant.id}: {why}")
        self.acted.setdefault(trade_id, set()).add((grant.id, data["broker_user_id"]))

    def _recorded(self, index: int, data: dict[str, Any]) -> None:
        trade_id, total = data["trade_id"], 0
        for c in data["contributions"]:
            grant = self._grant(index, c["mandate_id"])
            if not 0 <= c["share_bp"] <= rules.BASIS:
                raise RuleViolation(index, f"share {c['share_bp']} out of range")
            total += c["share_bp"]
            acted = (grant.id, c["broker_user_id"]) in self.acted.get(trade_id, set())
            if not acted and Scope.respond not in {Scope(r) for r in c["roles"]}:
                raise RuleViolation(
                    index, f"broker {c['broker_user_id']} never acted on trade {trade_id}"
                )
            self.rated[c["contribution_id"]] = False
        if total > rules.BASIS:
            raise RuleViolation(index, f"the shares of trade {trade_id} sum to {total / 100}%")

    def _rated(self, index: int, data: dict[str, Any]) -> None:
        contribution_id = data["contribution_id"]
        if self.rated.get(contribution_id) is not False:
            raise RuleViolation(index, f"contribution {contribution_id} unknown or rated")
        if not 1 <= data["rating"] <= 5:
            raise RuleViolation(index, f"rating {data['rating']} out of 1-5")
        self.rated[contribution_id] = True

    def finish(self) -> None:
        pass
