"""Who may do what: every authorisation rule of the platform, in one place.

Routers declare the caller they accept with the dependencies in ``deps``; object-level
checks (same organisation, role, operator) go through ``authorize``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from techmarket.errors import Forbidden
from techmarket.models.org import Organisation, OrgKind, OrgStatus, Role, User


class OrgNotVerified(Forbidden):
    code = "org_not_verified"
    title = "Your organisation is not verified"


class NotOperator(Forbidden):
    code = "operator_only"
    title = "Only the platform operator may do this"


class NotYourOrg(Forbidden):
    code = "not_your_org"
    title = "This belongs to another organisation"


class MissingRole(Forbidden):
    code = "missing_role"
    title = "Your role does not allow this"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user acting for their organisation."""

    user: User
    org: Organisation

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.user.roles)

    @property
    def verified(self) -> bool:
        return self.org.status == OrgStatus.verified

    @property
    def is_operator(self) -> bool:
        return self.verified and self.org.kind == OrgKind.operator


class Action(StrEnum):
    org_read_private = "org.read_private"  # members, pending status details
    org_manage_users = "org.manage_users"
    org_review = "org.review"  # verify, reject, suspend
    listing_read_private = "listing.read_private"  # drafts, history, responses received
    listing_manage = "listing.manage"  # create, edit, submit, withdraw, respond, decide
    listing_approve = "listing.approve"  # the TTO's internal approval (安心屋)
    listing_moderate = "listing.moderate"  # the operator suspends a listing


class WrongKind(Forbidden):
    code = "wrong_org_kind"
    title = "Your kind of organisation cannot do this"


def _require_verified(principal: Principal) -> None:
    if not principal.verified:
        raise OrgNotVerified(f"organisation status is {principal.org.status}")


def _same_org(principal: Principal, owner_org_id: int) -> None:
    if principal.org.id != owner_org_id:
        raise NotYourOrg()


def may_see(principal: Principal | None, owner_org_id: int, *, public: bool) -> bool:
    """Public records are for everyone; the rest for the owning organisation's members
    and the platform operator (to others they do not exist)."""
    if public:
        return True
    return principal is not None and (principal.is_operator or principal.org.id == owner_org_id)


def _member_or_operator(principal: Principal, owner_org_id: int) -> None:
    if not may_see(principal, owner_org_id, public=False):
        raise NotYourOrg()


def _org_admin(principal: Principal, owner_org_id: int) -> None:
    _same_org(principal, owner_org_id)
    _require_verified(principal)
    if Role.admin not in principal.roles:
        raise MissingRole("only an administrator of the organisation may do this")


def _verified_member(principal: Principal, owner_org_id: int) -> None:
    _same_org(principal, owner_org_id)
    _require_verified(principal)


def _tto(principal: Principal, owner_org_id: int) -> None:
    _verified_member(principal, owner_org_id)
    if Role.tto not in principal.roles:
        raise MissingRole("only the technology transfer office (TTO) may approve")


def _operator(principal: Principal, owner_org_id: int) -> None:
    if not principal.is_operator:
        raise NotOperator()


_RULES: dict[Action, Callable[[Principal, int], None]] = {
    Action.org_read_private: _member_or_operator,
    Action.org_manage_users: _org_admin,
    Action.org_review: _operator,
    Action.listing_read_private: _member_or_operator,
    Action.listing_manage: _verified_member,
    Action.listing_approve: _tto,
    Action.listing_moderate: _operator,
}


def authorize(principal: Principal, action: Action, owner_org_id: int) -> None:
    """Raise a Forbidden subclass unless ``principal`` may do ``action`` on an object
    owned by organisation ``owner_org_id``."""
    _RULES[action](principal, owner_org_id)


def require_verified(principal: Principal) -> None:
    _require_verified(principal)


def require_operator(principal: Principal) -> None:
    _operator(principal, principal.org.id)


def require_kind(principal: Principal, kinds: frozenset[OrgKind], what: str) -> None:
    if principal.org.kind not in kinds:
        allowed = ", ".join(sorted(kinds))
        raise WrongKind(f"{what} is for organisations of kind {allowed}")
