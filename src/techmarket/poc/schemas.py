"""Request and response shapes of proof-of-concept centres and projects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from techmarket.listings.schemas import Trl
from techmarket.listings.taxonomy import Industry
from techmarket.poc.rules import Outcome, ProjectStatus, Verdict
from techmarket.types import Fen, FenOrZero, Id, Line, Text, UtcDateTime

Service = Annotated[Line, Field(min_length=1, max_length=50)]
LongText = Annotated[Text, Field(min_length=1, max_length=5000)]


class CentreProfileUpdate(BaseModel):
    industries: list[Industry] = Field(min_length=1, max_length=20)
    services: list[Service] = Field(
        min_length=1, max_length=20, description="e.g. 二次开发, 工艺验证, 中试熟化"
    )
    description: Annotated[Text, Field(max_length=5000)] = ""


class FundingLineCreate(BaseModel):
    name: Annotated[Line, Field(min_length=1, max_length=100)]
    amount_fen: Fen


class FundingLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    centre_id: int
    name: str
    amount_fen: int
    declared_at: datetime
    ledger_index: int | None = None


class CentreRead(BaseModel):
    id: int
    name: str
    region_code: str
    industries: list[str]
    services: list[str]
    description: str
    ledger_index: int | None = None


class ProjectCreate(BaseModel):
    centre_id: Id
    achievement_id: Id
    proposal: LongText = Field(description="what the institution asks the centre to verify")


class Screening(BaseModel):
    accept: bool
    reasons: LongText


class MilestonePlan(BaseModel):
    deliverable: LongText = Field(description="what is to be shown")
    due_at: UtcDateTime
    line_id: Id = Field(description="the centre's funding line the tranche comes from")
    tranche_fen: FenOrZero


class PlanCreate(BaseModel):
    milestones: list[MilestonePlan] = Field(min_length=1, max_length=20)


class Judgement(BaseModel):
    evidence: LongText = Field(description="what was shown: a text or a reference")
    verdict: Verdict


class Closing(BaseModel):
    outcome: Outcome
    trl_after: Trl | None = Field(default=None, description="the TRL reached (passed only)")
    public_summary: Annotated[Text, Field(max_length=5000)] | None = Field(
        default=None, description="the report's non-confidential summary (passed only)"
    )

    @model_validator(mode="after")
    def _passed_has_summary(self) -> Closing:
        if self.outcome == Outcome.passed and not self.public_summary:
            raise ValueError("a passed project publishes its report's public summary")
        return self


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    deliverable: str
    due_at: datetime
    line_id: int
    tranche_fen: int
    evidence: str | None
    verdict: Verdict | None
    judged_at: datetime | None


class ProjectRead(BaseModel):
    """A project as its two parties (and the operator) see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    centre_id: int
    applicant_id: int
    achievement_id: int
    proposal: str
    status: ProjectStatus
    screening_reasons: str | None
    outcome: Outcome | None
    trl_before: int | None
    trl_after: int | None
    public_summary: str | None
    applied_at: datetime
    screened_at: datetime | None
    closed_at: datetime | None
    milestones: list[MilestoneRead] = []
    ledger_index: int | None = None


class ResultRead(BaseModel):
    """A passed project as the public sees it: the centre's mark and the public summary."""

    project_id: int
    centre_id: int
    centre_name: str
    achievement_id: int
    achievement_title: str
    trl_before: int
    trl_after: int
    public_summary: str
    closed_at: datetime


class CentreFigures(BaseModel):
    centre_id: int
    centre_name: str
    projects: int
    by_status: dict[str, int]


class FieldFigures(BaseModel):
    industry: str
    projects: int
    by_status: dict[str, int]


class LineFigures(BaseModel):
    line_id: int
    centre_id: int
    name: str
    amount_fen: int
    planned_fen: int = Field(description="tranches agreed in plans")
    granted_fen: int = Field(description="tranches of milestones judged met")


class PocStats(BaseModel):
    """Keys: a centre's id, an industry, a funding line's id."""

    by_centre: dict[str, CentreFigures]
    by_field: dict[str, FieldFigures]
    by_line: dict[str, LineFigures]
    closed: int
    median_days_to_result: float | None = Field(
        description="days from application to the closing result, median of closed projects"
    )
