"""Achievements (科技成果), enterprise demands (企业需求) and responses to demands (揭榜)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base
from techmarket.listings.taxonomy import CooperationMode, Industry, IpType
from techmarket.models.org import _enum

# A listing's recency tier: the week it was published in, counted from 2000 (unpublished
# ones: the newest tier). The search indexes pair each record's words with its tier, so
# the newest matches of a broad term are read a few tiers at a time, not all of them.
TIER_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TIER_LENGTH = timedelta(weeks=1)
UNPUBLISHED_TIER = 2**31 - 1
# The same expression in the index and in the queries, constants inline, so they match.
RECENCY_TIER = (
    "(ARRAY[COALESCE(floor(extract(epoch FROM published_at - '2000-01-01 00:00:00+00'"
    "::timestamptz) / 604800)::integer, 2147483647)])"
)


def recency_tier(published_at: datetime | None) -> int:
    """The tier RECENCY_TIER gives a record published at ``published_at``."""
    if published_at is None:
        return UNPUBLISHED_TIER
    return (published_at - TIER_EPOCH) // TIER_LENGTH


class AchievementStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    published = "published"
    in_trade = "in_trade"
    transferred = "transferred"
    rejected = "rejected"
    withdrawn = "withdrawn"


class DemandStatus(StrEnum):
    draft = "draft"
    published = "published"
    awarded = "awarded"
    closed = "closed"
    expired = "expired"


class ResponseStatus(StrEnum):
    submitted = "submitted"
    shortlisted = "shortlisted"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class Achievement(Base):
    __tablename__ = "achievements"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    ip_type: Mapped[IpType] = mapped_column(_enum(IpType, "ip_type"))
    patent_numbers: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    industry: Mapped[Industry] = mapped_column(_enum(Industry, "industry", length=40))
    region_code: Mapped[str] = mapped_column(String(6))
    trl: Mapped[int] = mapped_column(SmallInteger)
    transfer_modes: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    asking_price_fen: Mapped[int | None] = mapped_column(BigInteger)  # None: negotiable
    inventors: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    keywords: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    proof_of_concept: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[AchievementStatus] = mapped_column(
        _enum(AchievementStatus, "achievement_status")
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[str] = mapped_column(TSVECTOR, deferred=True)  # read only by the database

    __table_args__ = (
        CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),
        CheckConstraint("asking_price_fen IS NULL OR asking_price_fen > 0", name="price_positive"),
        CheckConstraint("region_code ~ '^[0-9]{6}$'", name="region_code_digits"),
        Index("ix_achievements_search", "search", text(RECENCY_TIER), postgresql_using="gin"),
        Index("ix_achievements_org_id_status", "org_id", "status"),
        Index("ix_achievements_published", "status", "published_at", "id"),
        Index("ix_achievements_industry_status", "industry", "status", "published_at"),
        # Price sorts, cheapest and dearest first, negotiable (NULL) last in both.
        Index("ix_achievements_price_asc", "status", "asking_price_fen", "id"),
        Index(
            "ix_achievements_price_desc",
            "status",
            text("asking_price_fen DESC NULLS LAST"),
            text("id DESC"),
        ),
        Index(
            "ix_achievements_region_code",
            "region_code",
            postgresql_ops={"region_code": "text_pattern_ops"},
        ),
    )


class AchievementEvent(Base):
    """Every status change of an achievement: what, who, when, why."""

    __tablename__ = "achievement_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the platform
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)


class Demand(Base):
    __tablename__ = "demands"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    industry: Mapped[Industry] = mapped_column(_enum(Industry, "industry", length=40))
    region_code: Mapped[str] = mapped_column(String(6))
    budget_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    budget_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cooperation_mode: Mapped[CooperationMode] = mapped_column(
        _enum(CooperationMode, "cooperation_mode", length=30)
    )
    is_challenge: Mapped[bool] = mapped_column(Boolean, default=False)
    reward_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[DemandStatus] = mapped_column(_enum(DemandStatus, "demand_status"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[str] = mapped_column(TSVECTOR, deferred=True)  # read only by the database

    __table_args__ = (
        CheckConstraint(
            "budget_min_fen IS NULL OR budget_max_fen IS NULL OR budget_min_fen <= budget_max_fen",
            name="budget_order",
        ),
        CheckConstraint("NOT is_challenge OR reward_fen > 0", name="challenge_reward"),
        CheckConstraint("region_code ~ '^[0-9]{6}$'", name="region_code_digits"),
        Index("ix_demands_search", "search", text(RECENCY_TIER), postgresql_using="gin"),
        Index("ix_demands_org_id_status", "org_id", "status"),
        Index("ix_demands_published", "status", "published_at", "id"),
        Index("ix_demands_deadline", "status", "deadline"),
        Index(
            "ix_demands_region_code",
            "region_code",
            postgresql_ops={"region_code": "text_pattern_ops"},
        ),
    )


class DemandResponse(Base):
    """A proposal (揭榜) by an institution, broker or agency to solve a demand."""

    __tablename__ = "demand_responses"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    quoted_price_fen: Mapped[int] = mapped_column(BigInteger)
    achievement_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    status: Mapped[ResponseStatus] = mapped_column(_enum(ResponseStatus, "response_status"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A broker who acted for the organisation, under which mandate (both null: its own).
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    broker_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("quoted_price_fen > 0", name="price_positive"),
        Index(
            "uq_demand_responses_one_accepted",
            "demand_id",
            unique=True,
            postgresql_where="status = 'accepted'",
        ),
    )
