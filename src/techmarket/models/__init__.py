"""Every table, imported here so that ``Base.metadata`` is complete."""

from techmarket.models.agency import AgencyProfile, AgencyRegion
from techmarket.models.delivery import Delivery, DeliveryAttempt, WebhookEndpoint
from techmarket.models.ledger import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from techmarket.models.listing import (
    Achievement,
    AchievementEvent,
    AchievementStatus,
    Demand,
    DemandResponse,
    DemandStatus,
    ResponseStatus,
)
from techmarket.models.mandate import Contribution, Mandate
from techmarket.models.notification import Notification, NotificationFeed, NotificationPreference
from techmarket.models.org import (
    AccessToken,
    LoginFailure,
    Organisation,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from techmarket.models.payment import ContractPayment
from techmarket.models.poc import PocCentreProfile, PocFundingLine, PocMilestone, PocProject
from techmarket.models.subscription import PendingPush, StandingPushOff, Subscription
from techmarket.models.trade import (
    Bid,
    BidRequest,
    CompetingOffer,
    Contract,
    DepositStatus,
    Objection,
    ObjectionStatus,
    Offer,
    PaymentTerms,
    Registration,
    Trade,
    TradeMode,
    TradeStatus,
)

__all__ = [
    "AccessToken",
    "Achievement",
    "AchievementEvent",
    "AchievementStatus",
    "AgencyProfile",
    "AgencyRegion",
    "Bid",
    "BidRequest",
    "CompetingOffer",
    "Contract",
    "ContractPayment",
    "Contribution",
    "Delivery",
    "DeliveryAttempt",
    "Demand",
    "DemandResponse",
    "DemandStatus",
    "DepositStatus",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerNode",
    "LoginFailure",
    "Mandate",
    "Notification",
    "NotificationFeed",
    "NotificationPreference",
    "Objection",
    "ObjectionStatus",
    "Offer",
    "OrgKind",
    "OrgStatus",
    "Organisation",
    "PaymentTerms",
    "PendingPush",
    "PocCentreProfile",
    "PocFundingLine",
    "PocMilestone",
    "PocProject",
    "Registration",
    "ResponseStatus",
    "Role",
    "StandingPushOff",
    "Subscription",
    "Trade",
    "TradeMode",
    "TradeStatus",
    "User",
    "WebhookEndpoint",
]
