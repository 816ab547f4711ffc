"""Every table, imported here so that ``Base.metadata`` is complete."""

from techmarket.models.agency import AgencyProfile, AgencyRegion
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
from techmarket.models.trade import (
    Bid,
    BidRequest,
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
    "Contract",
    "ContractPayment",
    "Demand",
    "DemandResponse",
    "DemandStatus",
    "DepositStatus",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerNode",
    "LoginFailure",
    "Objection",
    "ObjectionStatus",
    "Offer",
    "OrgKind",
    "OrgStatus",
    "Organisation",
    "PaymentTerms",
    "Registration",
    "ResponseStatus",
    "Role",
    "Trade",
    "TradeMode",
    "TradeStatus",
    "User",
]
