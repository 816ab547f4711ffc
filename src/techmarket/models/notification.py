"""Notifications: what a user is told, the feed's place in the ledger, and preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base


class Notification(Base):
    """One thing told to one user, in Chinese, with a link to what it is about. ``key``
    makes telling idempotent: the same event never reaches the same user twice."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))  # as the ledger names it: "trade/12"
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))
    reasons: Mapped[list[Any]] = mapped_column(JSONB, default=list)  # why a push matched
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)  # the event told of
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_id_desc", "user_id", "id"),
        Index("ix_notifications_unread", "user_id", postgresql_where="read_at IS NULL"),
        # The scheduler's look for deals whose parties were reminded to sign.
        Index("ix_notifications_signing_subject", "subject", postgresql_where="kind = 'signing'"),
    )


class NotificationPreference(Base):
    """A user's choice for one kind; without a row, the kind's default applies."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[bool]


class NotificationFeed(Base):
    """How far the ledger has been told: one row, locked by the process telling it, so
    each entry is told once however many processes serve."""

    __tablename__ = "notification_feed"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger)  # entries below it are told

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
