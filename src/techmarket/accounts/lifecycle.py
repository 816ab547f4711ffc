"""The organisation status machine: shared by the service and the ledger replay (pure:
the offline verifier imports it)."""

from __future__ import annotations

from enum import StrEnum


class OrgStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"
    suspended = "suspended"


TRANSITIONS: dict[OrgStatus, frozenset[OrgStatus]] = {
    OrgStatus.pending: frozenset({OrgStatus.verified, OrgStatus.rejected}),
    OrgStatus.verified: frozenset({OrgStatus.suspended}),
    OrgStatus.suspended: frozenset({OrgStatus.verified}),
    OrgStatus.rejected: frozenset(),
}

# Ledger event type of a registration: a new organisation, pending review.
REGISTERED = "org.registered"

# Ledger event type of a review that moves an organisation to a status.
EVENT = {
    OrgStatus.verified: "org.verified",
    OrgStatus.rejected: "org.rejected",
    OrgStatus.suspended: "org.suspended",
}


def allowed(current: OrgStatus, to: OrgStatus) -> bool:
    return to in TRANSITIONS[current]
