"""Organisations, their users, access tokens and failed logins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Defined with the status machine, which the offline verifier imports without models.
from techmarket.accounts.lifecycle import OrgStatus as OrgStatus
from techmarket.db import Base

EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path


class OrgKind(StrEnum):
    university = "university"
    institute = "institute"
    enterprise = "enterprise"
    agency = "agency"
    operator = "operator"
    auditor = "auditor"
    # A proof-of-concept centre (概念验证中心): verifies others' achievements, never trades.
    poc_centre = "poc_centre"


class Role(StrEnum):
    admin = "admin"
    member = "member"
    tto = "tto"
    broker = "broker"


def _enum(cls: type[StrEnum], name: str, length: int = 20) -> Enum:
    """A string column limited to an enum's values by a CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    region_code: Mapped[str] = mapped_column(String(6))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    status: Mapped[OrgStatus] = mapped_column(_enum(OrgStatus, "org_status"), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    users: Mapped[list[User]] = relationship(back_populates="org", lazy="raise")

    __table_args__ = (CheckConstraint("region_code ~ '^[0-9]{6}$'", name="region_code_digits"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    org: Mapped[Organisation] = relationship(back_populates="users", lazy="raise")

    __table_args__ = (
        CheckConstraint(
            "roles <@ ARRAY['admin','member','tto','broker']::varchar[]", name="known_roles"
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )


class AccessToken(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """One failed password login, kept for throttling across all server processes.

    It is written when the attempt starts and deleted if the password was right, so that
    attempts running at the same time count against each other."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    address: Mapped[str] = mapped_column(String(64))  # see accounts.throttle.client_key
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_address_email_at", "address", "email", "at"),
    )
