"""What the subscriptions API reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from techmarket.listings.schemas import RegionCode
from techmarket.listings.taxonomy import Industry, IpType
from techmarket.models.subscription import Basis, Target
from techmarket.types import FenOrZero, Line

Name = Annotated[Line, Field(min_length=1, max_length=100)]
Keywords = Annotated[Line, Field(min_length=1, max_length=200)]


class SubscriptionCreate(BaseModel):
    """What to push: ``target`` by ``basis``. With basis ``filters``, every filter given
    must fit (keywords as the search box reads them, region by prefix: a province covers
    its cities); ``our_achievements`` (target demand) and ``our_demands`` (target
    achievement) ask the matching engine against the organisation's own listings."""

    name: Name
    target: Target
    basis: Basis = Basis.filters
    keywords: Keywords | None = None
    industry: Industry | None = None
    region_code: RegionCode | None = None
    ip_type: IpType | None = None
    price_min_fen: FenOrZero | None = None
    price_max_fen: FenOrZero | None = None
    digest: bool = Field(default=False, description="a daily digest instead of at once")


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    user_id: int
    name: str
    target: Target
    basis: Basis
    keywords: str | None
    industry: Industry | None
    region_code: str | None
    ip_type: IpType | None
    price_min_fen: int | None
    price_max_fen: int | None
    digest: bool
    created_at: datetime


class StandingPush(BaseModel):
    """Whether the institution's TTO is pushed the demands matching its achievements."""

    enabled: bool
