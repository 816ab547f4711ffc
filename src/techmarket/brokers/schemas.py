"""What the mandate and contribution routes take and give."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from techmarket.brokers.rules import MandateStatus, ObjectKind, Scope
from techmarket.types import Id, Text, UtcDateTime


class MandateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_org_id: Id
    object_kind: ObjectKind = Field(description="what the mandate is for")
    object_id: Id
    scope: list[Scope] = Field(min_length=1, max_length=3)
    fee_terms: Text = Field(
        min_length=1, max_length=2000, description="private to client and agency"
    )
    share_pct: int = Field(
        default=100,
        ge=0,
        le=100,
        description="the part of the client's credit for a deal its brokers earn",
    )
    valid_from: UtcDateTime | None = Field(default=None, description="default: now")
    valid_until: UtcDateTime


class MandateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    client_org_id: int
    agency_org_id: int
    object_kind: ObjectKind
    object_id: int
    scope: list[Scope]
    fee_terms: str
    share_pct: int
    valid_from: datetime
    valid_until: datetime
    status: MandateStatus
    in_force: bool = Field(description="accepted, not revoked, and valid at this moment")
    salt: str = Field(description="opens the ledger's client_commitment (to the parties)")
    fee_salt: str = Field(description="opens the ledger's fee_commitment")
    ledger_index: int | None = None


class ContributionRead(BaseModel):
    id: int
    trade_id: int
    broker_user_id: int
    agency_org_id: int
    share_pct: float = Field(description="the broker's agreed share of the deal's credit")
    volume_fen: int
    roles: list[Scope]
    rating: int | None
    points: float
    concluded_at: datetime


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, description="the client's feedback, 1 (poor) to 5")


class RecordRead(BaseModel):
    """A contribution record: a broker's or an agency's deals and score (the
    contributions themselves: ``GET /api/v1/brokers/{id}/contributions``)."""

    name: str
    agency_org_id: int
    agency_name: str
    deals: int
    volume_fen: int
    roles: dict[str, int] = Field(description="deals in which each role was played")
    average_rating: float | None
    score: float
