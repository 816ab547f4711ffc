"""The organisation status machine: shared by the service and the ledger replay."""

from __future__ import annotations

from techmarket.models.org import OrgStatus

TRANSITIONS: dict[OrgStatus, frozenset[OrgStatus]] = {
    OrgStatus.pending: frozenset({OrgStatus.verified, OrgStatus.rejected}),
    OrgStatus.verified: frozenset({OrgStatus.suspended}),
    OrgStatus.suspended: frozenset({OrgStatus.verified}),
    OrgStatus.rejected: frozenset(),
}

# Ledger event type of a review that moves an organisation to a status.
EVENT = {
    OrgStatus.verified: "org.verified",
    OrgStatus.rejected: "org.rejected",
    OrgStatus.suspended: "org.suspended",
}


def allowed(current: OrgStatus, to: OrgStatus) -> bool:
    return to in TRANSITIONS[current]
