"""Subscriptions (需求推送): what a user wants to hear of when it is published, the
institutions that switched off their standing push, and matches kept for a digest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, TSQUERY
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base
from techmarket.listings.taxonomy import Industry, IpType
from techmarket.models.org import _enum


class Target(StrEnum):
    """What is pushed: a published achievement, a published demand, an opening trade."""

    achievement = "achievement"
    demand = "demand"
    trade = "trade"


class Basis(StrEnum):
    """How a subscription matches: its own filters, or the matching engine against the
    organisation's own listings."""

    filters = "filters"
    our_achievements = "our_achievements"  # demands matching our published achievements
    our_demands = "our_demands"  # achievements matching our open demands


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    target: Mapped[Target] = mapped_column(_enum(Target, "subscription_target"))
    basis: Mapped[Basis] = mapped_column(_enum(Basis, "subscription_basis"))
    keywords: Mapped[str | None] = mapped_column(String(200))
    # The keywords as the search box reads them, so a saved search matches what it found.
    query: Mapped[str | None] = mapped_column(TSQUERY)
    industry: Mapped[Industry | None] = mapped_column(_enum(Industry, "industry", length=40))
    region_code: Mapped[str | None] = mapped_column(String(6))
    region_prefix: Mapped[str | None] = mapped_column(String(6))
    ip_type: Mapped[IpType | None] = mapped_column(_enum(IpType, "ip_type"))
    price_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)  # daily, not at once
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_subscriptions_org_id", "org_id", "id"),
        Index("ix_subscriptions_target_basis", "target", "basis"),
    )


class StandingPushOff(Base):
    """An institution whose admin switched off the standing push of matching demands to
    its TTO (no row: on)."""

    __tablename__ = "standing_push_off"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PendingPush(Base):
    """A match kept for the user's daily digest: asked for, or beyond the day's cap.
    ``digest_key`` is set when a digest told it."""

    __tablename__ = "pending_pushes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ledger_index: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(300))
    reasons: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    digest_key: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("user_id", "ledger_index", name="uq_pending_pushes_user_entry"),
        Index("ix_pending_pushes_waiting", "matched_at", postgresql_where="digest_key IS NULL"),
    )
