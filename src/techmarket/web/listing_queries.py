"""What a search page's address asks for: the query string read into the filters of
``listings.search`` (prices typed in yuan, the region as a select per level).

The address carries the whole search, so a result page can be bookmarked and shared and
its "next" link keeps the query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from techmarket.listings import search
from techmarket.listings.schemas import Sort
from techmarket.listings.taxonomy import CooperationMode, Industry, IpType, TransferMode
from techmarket.web import forms, places
from techmarket.web.money import YuanBound

PAGE_SIZE = 20

TRL_LEVELS = [(str(level), f"{level} 级") for level in range(1, 10)]
SORTS = (
    ("relevance", "相关度"),
    ("newest", "最新发布"),
    ("price_asc", "价格从低到高"),
    ("price_desc", "价格从高到低"),
)


class ListingQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(default=None, max_length=100)
    industry: Industry | None = None
    province: str | None = Field(default=None, max_length=6)
    city: str | None = Field(default=None, max_length=6)
    district: str | None = Field(default=None, max_length=6)
    org_id: int | None = None
    sort: Sort = "relevance"
    cursor: str | None = Field(default=None, max_length=500)

    @property
    def region(self) -> str | None:
        return places.pick(self.province, self.city, self.district)


class AchievementQuery(ListingQuery):
    ip_type: IpType | None = None
    trl_min: int | None = Field(default=None, ge=1, le=9)
    trl_max: int | None = Field(default=None, ge=1, le=9)
    transfer_mode: TransferMode | None = None
    price_min: YuanBound | None = None
    price_max: YuanBound | None = None
    verified: bool | None = None

    def filters(self) -> search.AchievementFilters:
        return search.AchievementFilters(
            q=self.q,
            industry=self.industry,
            region=self.region,
            org_id=self.org_id,
            ip_type=self.ip_type,
            trl_min=self.trl_min,
            trl_max=self.trl_max,
            transfer_mode=self.transfer_mode,
            price_min_fen=self.price_min,
            price_max_fen=self.price_max,
            verified=self.verified,
        )


class DemandQuery(ListingQuery):
    cooperation_mode: CooperationMode | None = None
    challenge: bool | None = None

    def filters(self) -> search.DemandFilters:
        return search.DemandFilters(
            q=self.q,
            industry=self.industry,
            region=self.region,
            org_id=self.org_id,
            cooperation_mode=self.cooperation_mode,
            challenge=self.challenge,
        )


Query = TypeVar("Query", bound=ListingQuery)


def read(
    request: Request, model: type[Query]
) -> tuple[Query | None, dict[str, str], forms.FieldErrors]:
    """The query (None if invalid), what was typed (to show it again) and the messages
    by field."""
    typed = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    try:
        return model.model_validate(typed), typed, {}
    except ValidationError as exc:
        return None, typed, forms.field_errors(exc)


def region_of(typed: Mapping[str, str]) -> places.RegionSelects:
    return places.RegionSelects.of(
        places.pick(typed.get("province"), typed.get("city"), typed.get("district"))
    )
