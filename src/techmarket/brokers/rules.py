"""The pure rules of mandates and contributions (no I/O): whether a mandate covers an
action at a moment, how a deal's credit is shared among the brokers who served it, and
the contribution score. The engine and the offline verifier run these same functions."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ObjectKind(StrEnum):
    demand = "demand"
    achievement = "achievement"
    trade = "trade"


class Scope(StrEnum):
    respond = "respond"  # respond to a demand (揭榜)
    negotiate = "negotiate"  # offers and acceptance in agreement pricing
    register_and_bid = "register_and_bid"  # register (deposit, alias) and bid


class MandateStatus(StrEnum):
    offered = "offered"  # given by the client, not yet accepted by the agency
    accepted = "accepted"
    revoked = "revoked"  # by either side; an offered mandate revoked was never in force


class Refusal(StrEnum):
    """Why a mandate does not cover an action: the codes the broker is refused with."""

    not_accepted = "mandate_not_accepted"
    revoked = "mandate_revoked"
    not_yet_valid = "mandate_not_yet_valid"
    expired = "mandate_expired"
    wrong_object = "outside_mandate_object"
    wrong_scope = "outside_mandate_scope"


@dataclass(frozen=True)
class Grant:
    """A mandate as the rules see it."""

    id: int
    client_org_id: int
    agency_org_id: int
    object_kind: ObjectKind
    object_id: int
    scope: frozenset[Scope]
    valid_from: datetime
    valid_until: datetime
    status: MandateStatus


def refusal(
    grant: Grant, at: datetime, objects: Iterable[tuple[ObjectKind, int]], scope: Scope | None
) -> Refusal | None:
    """Why ``grant`` does not let its brokers act at ``at`` on one of ``objects`` (an
    action names its object and what it belongs to, e.g. a trade and its achievement)
    within ``scope`` (None: no scope covers the action), or None if it does."""
    if grant.status == MandateStatus.revoked:
        return Refusal.revoked
    if grant.status != MandateStatus.accepted:
        return Refusal.not_accepted
    if at < grant.valid_from:
        return Refusal.not_yet_valid
    if at >= grant.valid_until:
        return Refusal.expired
    if scope is None or scope not in grant.scope:
        return Refusal.wrong_scope
    if (grant.object_kind, grant.object_id) not in set(objects):
        return Refusal.wrong_object
    return None


def in_force(grant: Grant, at: datetime) -> bool:
    """Accepted, not revoked, and valid at ``at``."""
    return grant.status == MandateStatus.accepted and grant.valid_from <= at < grant.valid_until


def fee_commitment(fee_terms: str, salt: str) -> str:
    """The commitment to a mandate's fee terms (text, so UTF-8): the hex SHA-256 of
    ``<fee terms>:<salt>``, as ``ledger.commitment`` commits to numbers."""
    return hashlib.sha256(f"{fee_terms}:{salt}".encode()).hexdigest()


BASIS = 10_000  # a deal's whole credit, in basis points


def shares(sides: Mapping[int, Mapping[int, tuple[int, Iterable[int]]]]) -> dict[int, int]:
    """The brokers' shares of one deal, in basis points, summing to at most the whole.

    ``sides`` maps each party served by brokers to its mandates that were acted under:
    mandate id -> (the mandate's ``share_pct``, the brokers who acted). The credit is
    split equally among the sides; a side's mandates split its part equally, each
    granting its ``share_pct`` of that; a mandate's brokers split its grant equally (the
    remainder, a few basis points, to the lowest user ids)."""
    out: dict[int, int] = {}
    if not sides:
        return out
    side_credit = BASIS // len(sides)
    for mandates in sides.values():
        for share_pct, brokers in mandates.values():
            grant = side_credit * share_pct // 100 // len(mandates)
            ids = sorted(set(brokers))
            each, rest = divmod(grant, len(ids))
            for i, user_id in enumerate(ids):
                out[user_id] = out.get(user_id, 0) + each + (1 if i < rest else 0)
    return out


# Points of a role: answering the demand that led to the deal weighs most, negotiating
# the price next, registering and bidding least (the auction sets the price).
ROLE_WEIGHT: dict[Scope, float] = {
    Scope.respond: 1.5,
    Scope.negotiate: 1.2,
    Scope.register_and_bid: 1.0,
}


def points(share_bp: int, volume_fen: int, roles: Iterable[str], rating: int | None) -> float:
    """One contribution's points: share × (10 + log10(volume in yuan, at least 1)) × the
    weight of the highest role played × (0.7 + 0.1 × the client's rating; 1 unrated)."""
    weight = max((ROLE_WEIGHT[Scope(r)] for r in roles), default=1.0)
    feedback = 1.0 if rating is None else 0.7 + 0.1 * rating
    volume = 10 + math.log10(max(volume_fen / 100, 1))
    return share_bp / BASIS * volume * weight * feedback


def score(contributions: Iterable[tuple[int, int, Iterable[str], int | None]]) -> float:
    """The contribution score: the sum of the contributions' points, to two decimals."""
    return round(sum(points(*c) for c in contributions), 2)
