"""Proof-of-concept centres' profiles and funding lines, their projects and milestones."""

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
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base
from techmarket.models.org import _enum
from techmarket.poc.rules import Outcome, ProjectStatus, Verdict


class PocCentreProfile(Base):
    """What a centre (an organisation of kind ``poc_centre``) verifies and in which fields."""

    __tablename__ = "poc_centre_profiles"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    industries: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    services: Mapped[list[str]] = mapped_column(ARRAY(String(50)))  # 二次开发, 工艺验证, 中试熟化
    description: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PocFundingLine(Base):
    """A pot a centre grants milestone tranches from (a public verification fund, an
    investment fund); declared once, never removed: tranches refer to it."""

    __tablename__ = "poc_funding_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)


class PocProject(Base):
    __tablename__ = "poc_projects"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    applied_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposal: Mapped[str] = mapped_column(Text)  # confidential to the two parties
    status: Mapped[ProjectStatus] = mapped_column(_enum(ProjectStatus, "poc_project_status"))
    screening_reasons: Mapped[str | None] = mapped_column(Text)
    screening_salt: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "poc_outcome"))
    trl_before: Mapped[int | None] = mapped_column(SmallInteger)
    trl_after: Mapped[int | None] = mapped_column(SmallInteger)
    public_summary: Mapped[str | None] = mapped_column(Text)  # the report's public part
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    screened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_poc_projects_centre_id_id", "centre_id", "id"),
        Index("ix_poc_projects_applicant_id_id", "applicant_id", "id"),
        # An achievement is in at most one open project at a time.
        Index(
            "uq_poc_projects_one_open",
            "achievement_id",
            unique=True,
            postgresql_where="status IN ('applied', 'accepted', 'active')",
        ),
    )


class PocMilestone(Base):
    __tablename__ = "poc_milestones"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("poc_projects.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    deliverable: Mapped[str] = mapped_column(Text)  # what is to be shown
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    line_id: Mapped[int] = mapped_column(ForeignKey("poc_funding_lines.id"))
    tranche_fen: Mapped[int] = mapped_column(BigInteger)
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_salt: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[Verdict | None] = mapped_column(_enum(Verdict, "poc_verdict"))
    judged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("tranche_fen >= 0", name="tranche_not_negative"),)
