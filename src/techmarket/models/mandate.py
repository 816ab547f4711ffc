"""Mandates (a client organisation's authority for an agency's brokers to act for it) and
the contributions their brokers made to concluded deals."""

from __future__ import annotations

from datetime import datetime

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
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

# Defined with the pure rules, which the offline verifier imports without models.
from techmarket.brokers.rules import MandateStatus, ObjectKind
from techmarket.db import Base
from techmarket.models.org import _enum


class Mandate(Base):
    """What an agency's brokers may do for a client: on one object (a demand, an
    achievement or a trade), within a scope, for a fee, from ``valid_from`` until
    ``valid_until``. Offered by the client's admin, accepted by the agency's admin."""

    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    object_kind: Mapped[ObjectKind] = mapped_column(_enum(ObjectKind, "mandate_object_kind"))
    object_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    fee_terms: Mapped[str] = mapped_column(Text)  # between client and agency: committed only
    share_pct: Mapped[int] = mapped_column(SmallInteger)  # the brokers' credit for a deal
    salt: Mapped[str] = mapped_column(String(64))  # of the client's commitment
    fee_salt: Mapped[str] = mapped_column(String(64))  # of the fee terms' commitment
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[MandateStatus] = mapped_column(_enum(MandateStatus, "mandate_status"))
    given_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("share_pct BETWEEN 0 AND 100", name="share_pct_range"),
        CheckConstraint("valid_until > valid_from", name="validity_order"),
        CheckConstraint(
            "scope <@ ARRAY['respond','negotiate','register_and_bid']::varchar[]"
            " AND cardinality(scope) > 0",
            name="known_scope",
        ),
    )


class Contribution(Base):
    """A broker's part in a concluded deal: the agreed share of the deal's credit, the
    roles played, the client's feedback."""

    __tablename__ = "broker_contributions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"))
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandates.id"))
    broker_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    share_bp: Mapped[int] = mapped_column(SmallInteger)  # basis points of the deal's credit
    volume_fen: Mapped[int] = mapped_column(BigInteger)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    rating: Mapped[int | None] = mapped_column(SmallInteger)  # the client's, 1-5
    concluded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("trade_id", "broker_user_id", name="uq_broker_contributions_trade_broker"),
        CheckConstraint("share_bp BETWEEN 0 AND 10000", name="share_bp_range"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_broker_contributions_trade_id", "trade_id"),
    )
