"""Deliveries: notifications on their way out by e-mail or webhook, from an outbox in
PostgreSQL; and the webhook endpoints institutions register."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base

URL_LENGTH = 2048


class WebhookEndpoint(Base):
    """Where an organisation's own systems are told of what its users are told, for the
    ``kinds`` it chose; each request signed with ``secret`` (shown once, at registration)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    secret: Mapped[str] = mapped_column(String(64))  # whsec_<base64>, as Standard Webhooks
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_webhook_endpoints_org_id", "org_id", "id"),)


class Delivery(Base):
    """One notification to one e-mail address, or one event to one webhook endpoint.
    ``message_id`` is the same on every attempt, so a receiver can drop a duplicate sent
    again after a crash; ``leased_until`` is a sending process's claim, which lapses if it
    dies."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(16))
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    target: Mapped[str] = mapped_column(String(URL_LENGTH))  # the address or the URL
    event: Mapped[str] = mapped_column(String(240))  # kind:key, one per endpoint
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, server_default=text("gen_random_uuid()"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name="status"),
        CheckConstraint("(channel = 'webhook') = (endpoint_id IS NOT NULL)", name="endpoint"),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index(
            "uq_deliveries_endpoint_event",
            "endpoint_id",
            "event",
            unique=True,
            postgresql_where="endpoint_id IS NOT NULL",
        ),
        Index("ix_deliveries_endpoint_id", "endpoint_id", "id"),
    )


class DeliveryAttempt(Base):
    """One try at a delivery, for its log: the receiver's status code or the error."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_delivery_attempts_delivery_id", "delivery_id", "id"),)
