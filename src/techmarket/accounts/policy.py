"""Who may do what: every authorisation rule of the platform, in one table.

``RULES`` says, for each action, which kinds of organisation, which roles of their users
and whose objects; ``authorize`` applies it at the moment of the action, from every door
(HTTP routes, the websocket, the bidding engine). Routers declare the caller they accept
with the dependencies in ``deps``; what a caller may see is ``may_see``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from techmarket.brokers import rules as mandates
from techmarket.errors import Forbidden
from techmarket.listings import lifecycle
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


class WrongKind(Forbidden):
    code = "wrong_org_kind"
    title = "Your kind of organisation cannot do this"


class NoMandate(Forbidden):
    code = "no_mandate"
    title = "No mandate of this organisation lets you act for it"


class MandateRefusal(Forbidden):
    """A mandate that does not cover the action; one subclass per ``mandates.Refusal``."""


class MandateNotAccepted(MandateRefusal):
    code = mandates.Refusal.not_accepted.value
    title = "The agency has not accepted this mandate"


class MandateRevoked(MandateRefusal):
    code = mandates.Refusal.revoked.value
    title = "This mandate has been revoked"


class MandateNotYetValid(MandateRefusal):
    code = mandates.Refusal.not_yet_valid.value
    title = "This mandate is not valid yet"


class MandateExpired(MandateRefusal):
    code = mandates.Refusal.expired.value
    title = "This mandate has expired"


class OutsideMandateObject(MandateRefusal):
    code = mandates.Refusal.wrong_object.value
    title = "The mandate is for another demand, achievement or trade"


class OutsideMandateScope(MandateRefusal):
    code = mandates.Refusal.wrong_scope.value
    title = "The mandate's scope does not cover this action"


MANDATE_REFUSALS: dict[mandates.Refusal, type[MandateRefusal]] = {
    mandates.Refusal(cls.code): cls
    for cls in (
        MandateNotAccepted,
        MandateRevoked,
        MandateNotYetValid,
        MandateExpired,
        OutsideMandateObject,
        OutsideMandateScope,
    )
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user acting for their organisation, with the hash of
    the token it presented (None for the platform's own jobs), so that the token can be
    checked again at the moment of each bid.

    A broker acting for a client under a mandate is the broker's user with the client's
    organisation (what it does is the client's), the mandate as read at ``acting_at``."""

    user: User
    org: Organisation
    token_hash: bytes | None = None
    mandate: mandates.Grant | None = None
    acting_at: datetime | None = None

    @property
    def on_behalf(self) -> dict[str, int]:
        """What a record of an action says of a broker who acted for the client: the
        mandate and the broker's user (nothing when the organisation acted itself)."""
        if self.mandate is None:
            return {}
        return {"mandate_id": self.mandate.id, "broker_user_id": self.user.id}

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
    listing_manage = "listing.manage"  # achievements: create, import, edit, submit, withdraw
    listing_approve = "listing.approve"  # the TTO's approval (安心屋) of achievements and trades
    listing_moderate = "listing.moderate"  # the operator suspends a listing
    demand_manage = "demand.manage"  # post, edit, publish, close; decide on responses
    demand_respond = "demand.respond"  # respond (揭榜), withdraw the response
    trade_open = "trade.open"  # auction, listing or agreement on one's own achievement
    trade_register = "trade.register"  # register to bid / intent to buy; deposit held
    trade_bid = "trade.bid"
    trade_negotiate = "trade.negotiate"  # offers and acceptance, as seller or named buyer
    trade_object = "trade.object"  # objection during public notice
    trade_compete = "trade.compete"  # a competing offer during public notice, with a deposit
    trade_withdraw = "trade.withdraw"  # the seller takes its trade off the market
    trade_end = "trade.end"  # a party ends a negotiation
    objection_rule = "objection.rule"  # uphold or dismiss
    contract_record = "contract.record"  # contract and its registration, by a deal's party
    contract_payment = "contract.payment"  # record or confirm a payment received, by a party
    agency_profile = "agency.profile"  # an agency's directory profile: categories, regions
    poc_profile = "poc.profile"  # a centre's fields, services and funding lines
    poc_apply = "poc.apply"  # an institution applies to a centre with its own achievement
    poc_run = "poc.run"  # the centre screens, plans, judges milestones and closes projects
    mandate_give = "mandate.give"  # a client gives an agency a mandate, or revokes it
    mandate_accept = "mandate.accept"  # the agency accepts it, or revokes it
    mandate_read = "mandate.read"  # the mandates one's organisation gave or holds
    contribution_rate = "contribution.rate"  # the client's feedback on a broker's part
    contribution_export = "contribution.export"  # every broker's record, as CSV
    express_take = "express.take"  # take an express licence (一键许可): a deal at once
    webhook_manage = "webhook.manage"  # register and remove webhooks, read their delivery log
    subscription_manage = "subscription.manage"  # subscribe to pushes, save a search, delete
    standing_push = "standing.push"  # an institution's TTO pushed matching demands, or not


class Whose(StrEnum):
    own = "own"  # objects of the user's own organisation
    any = "any"  # anyone's (the user acts for its organisation on another's object)


ALL_KINDS = frozenset(OrgKind)
ALL_ROLES = frozenset(Role)
# The market's participants; the operator runs the market and the auditor reads it.
MARKET = frozenset({OrgKind.university, OrgKind.institute, OrgKind.enterprise, OrgKind.agency})
OPERATOR = frozenset({OrgKind.operator})
POC_CENTRE = frozenset({OrgKind.poc_centre})
INSTITUTIONS = frozenset({OrgKind.university, OrgKind.institute})


@dataclass(frozen=True)
class Rule:
    """Users with one of ``roles``, of a verified (unless not ``verified``) organisation
    of one of ``kinds``, on objects of ``whose`` organisation."""

    kinds: frozenset[OrgKind]
    whose: Whose = Whose.own
    roles: frozenset[Role] = ALL_ROLES
    verified: bool = True


_MEMBERS = Rule(ALL_KINDS, verified=False)  # any member, whatever the organisation's status
_OPERATOR = Rule(OPERATOR, Whose.any)

# The one table: an action is allowed if any of its rules allows it; when none does, the
# first rule says why. Auditors write nothing (but their own users); the operator reviews
# organisations, moderates listings and rules on objections, and never trades.
RULES: dict[Action, tuple[Rule, ...]] = {
    Action.org_read_private: (_MEMBERS, _OPERATOR),
    Action.org_manage_users: (Rule(ALL_KINDS, roles=frozenset({Role.admin})),),
    Action.org_review: (_OPERATOR,),
    Action.listing_read_private: (_MEMBERS, _OPERATOR),
    Action.listing_manage: (Rule(MARKET),),
    Action.listing_approve: (Rule(lifecycle.NEEDS_TTO_APPROVAL, roles=frozenset({Role.tto})),),
    Action.listing_moderate: (_OPERATOR,),
    Action.demand_manage: (Rule(frozenset({OrgKind.enterprise})),),
    Action.demand_respond: (Rule(MARKET - {OrgKind.enterprise}),),
    Action.trade_open: (Rule(MARKET),),
    Action.trade_register: (Rule(MARKET, Whose.any),),
    Action.trade_bid: (Rule(MARKET, Whose.any),),
    Action.trade_negotiate: (Rule(MARKET, Whose.any),),
    Action.trade_object: (Rule(MARKET, Whose.any),),
    Action.trade_compete: (Rule(MARKET, Whose.any),),
    # The TTO approved the trade's mode and price, so at its institutions it alone may
    # take the trade back off the market.
    Action.trade_withdraw: (
        Rule(lifecycle.NEEDS_TTO_APPROVAL, roles=frozenset({Role.tto})),
        Rule(MARKET - lifecycle.NEEDS_TTO_APPROVAL),
    ),
    Action.trade_end: (Rule(MARKET, Whose.any),),
    Action.objection_rule: (_OPERATOR,),
    Action.contract_record: (Rule(MARKET, Whose.any),),
    Action.contract_payment: (Rule(MARKET, Whose.any),),
    Action.agency_profile: (Rule(frozenset({OrgKind.agency}), roles=frozenset({Role.admin})),),
    Action.poc_profile: (Rule(POC_CENTRE, roles=frozenset({Role.admin})),),
    Action.poc_apply: (Rule(INSTITUTIONS, roles=frozenset({Role.admin, Role.tto})),),
    Action.poc_run: (Rule(POC_CENTRE, roles=frozenset({Role.admin, Role.member})),),
    Action.mandate_give: (Rule(MARKET, roles=frozenset({Role.admin})),),
    Action.mandate_accept: (Rule(frozenset({OrgKind.agency}), roles=frozenset({Role.admin})),),
    Action.mandate_read: (Rule(MARKET), _OPERATOR),
    Action.contribution_rate: (Rule(MARKET, roles=frozenset({Role.admin})),),
    Action.contribution_export: (_OPERATOR,),
    Action.express_take: (Rule(frozenset({OrgKind.enterprise}), Whose.any),),
    Action.webhook_manage: (Rule(ALL_KINDS, roles=frozenset({Role.admin})),),
    Action.subscription_manage: (Rule(MARKET),),
    Action.standing_push: (Rule(INSTITUTIONS, roles=frozenset({Role.admin})),),
}

# What a broker may do for a client: the actions each scope of a mandate covers. Under a
# mandate, no other action is allowed (the broker is not a member of the client).
SCOPE_OF: dict[Action, mandates.Scope] = {
    Action.demand_respond: mandates.Scope.respond,
    Action.trade_negotiate: mandates.Scope.negotiate,
    Action.trade_register: mandates.Scope.register_and_bid,
    Action.trade_bid: mandates.Scope.register_and_bid,
}


def _refusal(
    principal: Principal, rule: Rule, action: Action, owner_org_id: int | None
) -> Forbidden | None:
    """Why ``rule`` does not let ``principal`` do ``action``, or None if it does."""
    if rule.whose == Whose.own and principal.org.id != owner_org_id:
        return NotYourOrg()
    if principal.org.kind not in rule.kinds:
        if rule.kinds == OPERATOR:
            return NotOperator()
        allowed = ", ".join(sorted(rule.kinds))
        return WrongKind(f"{action} is for organisations of kind {allowed}")
    if rule.verified and not principal.verified:
        return OrgNotVerified(f"organisation status is {principal.org.status}")
    if not principal.roles & rule.roles:
        return MissingRole(f"{action} needs the role {' or '.join(sorted(rule.roles))}")
    return None


def _mandate_refusal(
    principal: Principal, action: Action, objects: Iterable[tuple[mandates.ObjectKind, int]]
) -> Forbidden | None:
    """Why a broker acting under a mandate may not do ``action`` on ``objects``."""
    grant = principal.mandate
    assert grant is not None and principal.acting_at is not None
    if (
        principal.user.org_id != grant.agency_org_id
        or Role.broker not in principal.roles
        or principal.org.id != grant.client_org_id
    ):
        return NoMandate()
    why = mandates.refusal(grant, principal.acting_at, objects, SCOPE_OF.get(action))
    return None if why is None else MANDATE_REFUSALS[why](f"{action} under mandate {grant.id}")


def authorize(
    principal: Principal,
    action: Action,
    owner_org_id: int | None = None,
    objects: Iterable[tuple[mandates.ObjectKind, int]] = (),
) -> None:
    """Raise a Forbidden subclass unless ``principal`` may do ``action`` on an object
    owned by organisation ``owner_org_id`` (None: acting for itself on another's). A
    broker under a mandate also needs the mandate to cover the action on one of
    ``objects`` (what the action is on, and what that belongs to) at this moment."""
    if principal.mandate is not None:
        refused = _mandate_refusal(principal, action, objects)
        if refused is not None:
            raise refused
    first: Forbidden | None = None
    for rule in RULES[action]:
        refusal = _refusal(principal, rule, action, owner_org_id)
        if refusal is None:
            return
        first = first or refusal
    assert first is not None
    raise first


def within_mandate(
    principal: Principal, action: Action, objects: Iterable[tuple[mandates.ObjectKind, int]]
) -> None:
    """For reads that go with an action (a negotiation's offers, one's responses): a broker
    acting for a client sees them only where its mandate covers ``action`` on ``objects``;
    anyone else as before."""
    if principal.mandate is not None:
        refused = _mandate_refusal(principal, action, objects)
        if refused is not None:
            raise refused


def open_to(principal: Principal) -> frozenset[Action]:
    """The actions some rule gives ``principal``'s kind of organisation and roles, verified
    or not yet: what its pages offer. ``authorize`` still decides at each action."""
    return frozenset(
        action
        for action, rules in RULES.items()
        if any(principal.org.kind in r.kinds and principal.roles & r.roles for r in rules)
    )


def may_take_part(org: Organisation) -> bool:
    """Whether ``org`` may be a party to a trade (e.g. be named as the buyer)."""
    return org.status == OrgStatus.verified and org.kind in MARKET


def may_see(principal: Principal | None, owner_org_id: int, *, public: bool) -> bool:
    """Public records are for everyone; the rest for the owning organisation's members
    and the platform operator (to others they do not exist). A broker acting for a client
    is no member of it: it sees what the actions of its mandate show it, nothing else."""
    if public:
        return True
    return principal is not None and (
        principal.is_operator or (principal.org.id == owner_org_id and principal.mandate is None)
    )


def require_verified(principal: Principal) -> None:
    if not principal.verified:
        raise OrgNotVerified(f"organisation status is {principal.org.status}")


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise NotOperator()
