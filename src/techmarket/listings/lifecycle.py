"""Listing status machines: which transitions exist and which records may be edited."""

from __future__ import annotations

from techmarket.models.listing import AchievementStatus as A
from techmarket.models.listing import DemandStatus as D
from techmarket.models.listing import ResponseStatus as R
from techmarket.models.org import OrgKind

ACHIEVEMENT: dict[A, frozenset[A]] = {
    A.draft: frozenset({A.pending_approval, A.published}),
    A.pending_approval: frozenset({A.published, A.rejected}),
    A.rejected: frozenset({A.pending_approval, A.published}),
    A.withdrawn: frozenset({A.pending_approval, A.published}),
    A.published: frozenset({A.withdrawn, A.in_trade}),
    A.in_trade: frozenset({A.published, A.transferred}),
    A.transferred: frozenset(),
}
ACHIEVEMENT_EDITABLE = frozenset({A.draft, A.rejected, A.withdrawn})
# What the public may read; searches default to what is on offer now.
ACHIEVEMENT_PUBLIC = frozenset({A.published, A.in_trade, A.transferred})

# Organisations whose achievements pass their TTO before publication (内部审批).
NEEDS_TTO_APPROVAL = frozenset({OrgKind.university, OrgKind.institute})

DEMAND: dict[D, frozenset[D]] = {
    D.draft: frozenset({D.published, D.closed}),
    D.published: frozenset({D.awarded, D.closed, D.expired}),
    D.awarded: frozenset(),
    D.closed: frozenset(),
    D.expired: frozenset(),
}
DEMAND_PUBLIC = frozenset({D.published, D.awarded, D.closed, D.expired})

RESPONSE: dict[R, frozenset[R]] = {
    R.submitted: frozenset({R.shortlisted, R.accepted, R.declined, R.withdrawn}),
    R.shortlisted: frozenset({R.accepted, R.declined, R.withdrawn}),
    R.accepted: frozenset(),
    R.declined: frozenset(),
    R.withdrawn: frozenset(),
}
