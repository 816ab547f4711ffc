"""Service agencies' directory profiles: the categories of service they offer and the
regions they serve (their brokers are their users with the ``broker`` role)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base


class AgencyProfile(Base):
    __tablename__ = "agency_profiles"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(40)))  # agencies.rules.CATEGORIES
    description: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencyRegion(Base):
    """A region an agency serves. ``prefix`` is what the code covers (a province its
    cities and counties), kept so that a search matches in both directions by LIKE."""

    __tablename__ = "agency_regions"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(6))
