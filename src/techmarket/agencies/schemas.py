"""The agency directory's shapes on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from techmarket.agencies.rules import CATEGORIES, MAX_REGIONS
from techmarket.listings.schemas import RegionCode
from techmarket.types import Line, Text


def _known(category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"one of {', '.join(CATEGORIES)}")
    return category


Category = Annotated[
    Line,
    AfterValidator(_known),
    Field(json_schema_extra={"enum": list(CATEGORIES)}, description="服务类别"),
]


class AgencyProfileUpdate(BaseModel):
    categories: list[Category] = Field(min_length=1, max_length=len(CATEGORIES))
    regions: list[RegionCode] = Field(
        min_length=1,
        max_length=MAX_REGIONS,
        description="region codes served: a province serves its cities and counties",
    )
    description: Text = Field(default="", max_length=2000)


class BrokerRead(BaseModel):
    """A user of the agency with the broker role (技术经纪人)."""

    user_id: int
    display_name: str


class AgencyRead(BaseModel):
    org_id: int
    name: str
    region_code: str = Field(description="where the agency is registered")
    categories: list[str]
    regions: list[str] = Field(description="regions served")
    description: str
    broker_count: int = Field(description="its brokers: GET /agencies/{id}/brokers")
    updated_at: datetime | None = Field(description="last profile change; null: none declared")


class AgencyProfileRead(AgencyRead):
    ledger_index: int = Field(description="the agency.profile_updated entry")
