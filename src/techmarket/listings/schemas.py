"""Request and response shapes for achievements, demands and responses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from techmarket.listings.patent_numbers import normalise as normalise_patent_number
from techmarket.listings.taxonomy import (
    PATENT_TYPES,
    CooperationMode,
    Industry,
    IpType,
    TransferMode,
)
from techmarket.models.listing import AchievementStatus, DemandStatus, ResponseStatus
from techmarket.regions import validate_region_code
from techmarket.types import Fen, Id, Line, Patch, Text, UtcDateTime

RegionCode = Annotated[Line, AfterValidator(validate_region_code)]
PatentNumber = Annotated[Line, AfterValidator(normalise_patent_number)]
Title = Annotated[Line, Field(min_length=2, max_length=200)]
ShortText = Annotated[Line, Field(min_length=1, max_length=50)]
Summary = Annotated[Text, Field(min_length=1, max_length=5000)]
Description = Annotated[Text, Field(min_length=1, max_length=10000)]
Trl = Annotated[int, Field(ge=1, le=9, description="technology readiness level")]


class ProofOfConcept(BaseModel):
    """概念验证: where and when the technology was shown to work, and how it went."""

    centre: Line = Field(min_length=1, max_length=200)
    date: date
    result: Text = Field(min_length=1, max_length=2000)


class AchievementFields(BaseModel):
    title: Title
    summary: Summary = Field(description="non-confidential summary")
    ip_type: IpType
    # Validated even when left out: a patent needs its number (AchievementCreate).
    patent_numbers: list[PatentNumber] = Field(
        default_factory=list, max_length=50, validate_default=True
    )
    industry: Industry
    region_code: RegionCode
    trl: Trl
    transfer_modes: list[TransferMode] = Field(min_length=1)
    asking_price_fen: Fen | None = Field(default=None, description="null means negotiable")
    inventors: list[ShortText] = Field(default_factory=list, max_length=50)
    keywords: list[ShortText] = Field(default_factory=list, max_length=20)
    proof_of_concept: ProofOfConcept | None = None


class AchievementCreate(AchievementFields):
    # A field validator (ip_type is validated before it), so the error names the field.
    @field_validator("patent_numbers")
    @classmethod
    def _patents_have_numbers(cls, numbers: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("ip_type") in PATENT_TYPES and not numbers:
            raise ValueError("a patent needs its application number")
        return numbers


class AchievementUpdate(BaseModel):
    """Fields left out keep their value; ``null`` only where a value may be absent."""

    title: Patch[Title] = None
    summary: Patch[Summary] = None
    ip_type: Patch[IpType] = None
    patent_numbers: Patch[Annotated[list[PatentNumber], Field(max_length=50)]] = None
    industry: Patch[Industry] = None
    region_code: Patch[RegionCode] = None
    trl: Patch[Trl] = None
    transfer_modes: Patch[Annotated[list[TransferMode], Field(min_length=1)]] = None
    asking_price_fen: Fen | None = None
    negotiable: Patch[bool] = Field(default=None, description="true clears the asking price")
    inventors: Patch[Annotated[list[ShortText], Field(max_length=50)]] = None
    keywords: Patch[Annotated[list[ShortText], Field(max_length=20)]] = None
    proof_of_concept: ProofOfConcept | None = None


class AchievementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    title: str
    summary: str
    ip_type: IpType
    patent_numbers: list[str]
    industry: Industry
    region_code: str
    trl: int
    transfer_modes: list[TransferMode]
    asking_price_fen: int | None
    inventors: list[str]
    keywords: list[str]
    proof_of_concept: ProofOfConcept | None
    status: AchievementStatus
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    ledger_index: int | None = Field(
        default=None, description="ledger entry of the action that returned this record"
    )


class Reason(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000)


class OptionalReason(BaseModel):
    reason: Text | None = Field(default=None, max_length=2000)


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    by_user_id: int | None = Field(description="null: done by the platform (e.g. a close)")
    from_status: str | None
    to_status: str
    reason: str | None
    ledger_index: int | None


class DemandFields(BaseModel):
    title: Title
    description: Description
    industry: Industry
    region_code: RegionCode
    budget_min_fen: Fen | None = None
    budget_max_fen: Fen | None = None
    deadline: UtcDateTime = Field(description="RFC 3339 with a timezone")
    cooperation_mode: CooperationMode
    is_challenge: bool = Field(default=False, description="揭榜挂帅: an open challenge")
    reward_fen: Fen | None = Field(default=None, description="the challenge's reward")


class DemandCreate(DemandFields):
    @model_validator(mode="after")
    def _consistent(self) -> DemandCreate:
        check_demand(self.budget_min_fen, self.budget_max_fen, self.is_challenge, self.reward_fen)
        return self


def check_demand(
    budget_min: int | None, budget_max: int | None, is_challenge: bool, reward: int | None
) -> None:
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        raise ValueError("budget_min_fen is above budget_max_fen")
    if is_challenge and reward is None:
        raise ValueError("reward_fen: an open challenge states its reward")


class DemandUpdate(BaseModel):
    """Fields left out keep their value; ``null`` only where a value may be absent."""

    title: Patch[Title] = None
    description: Patch[Description] = None
    industry: Patch[Industry] = None
    region_code: Patch[RegionCode] = None
    budget_min_fen: Fen | None = None
    budget_max_fen: Fen | None = None
    deadline: Patch[UtcDateTime] = None
    cooperation_mode: Patch[CooperationMode] = None
    is_challenge: Patch[bool] = None
    reward_fen: Fen | None = None


class DemandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    title: str
    description: str
    industry: Industry
    region_code: str
    budget_min_fen: int | None
    budget_max_fen: int | None
    deadline: datetime
    cooperation_mode: CooperationMode
    is_challenge: bool
    reward_fen: int | None
    status: DemandStatus
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    ledger_index: int | None = None


class ResponseCreate(BaseModel):
    text: Description
    quoted_price_fen: Fen
    achievement_ids: list[Id] = Field(default_factory=list, max_length=20)


class ResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    demand_id: int
    org_id: int
    text: str
    quoted_price_fen: int
    achievement_ids: list[int]
    status: ResponseStatus
    created_at: datetime
    decided_at: datetime | None
    ledger_index: int | None = None


Sort = Literal["relevance", "newest", "price_asc", "price_desc"]


class MatchReason(BaseModel):
    code: Literal[
        "shared_terms",
        "same_industry",
        "same_region",
        "same_city",
        "same_province",
        "within_budget",
        "negotiable",
    ]
    detail: str


class MatchRead(BaseModel):
    id: int
    title: str
    score: float
    reasons: list[MatchReason]


class ImportRow(BaseModel):
    row: int
    id: int | None = Field(description="the draft created (null: the row was refused)")
    errors: list[str]


class ImportReport(BaseModel):
    """A bulk import's per-row report."""

    total: int
    created: int
    failed: int
    rows: list[ImportRow]
