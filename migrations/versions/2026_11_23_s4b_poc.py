"""proof-of-concept centres: the organisation kind, centre profiles, funding lines, projects
and their milestones

Revision ID: 2026_11_23_s4b_poc
Revises: 2026_11_23_s4b_compete
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_s4b_poc"
down_revision: str | None = "2026_11_23_s4b_compete"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("university", "institute", "enterprise", "agency", "operator", "auditor")


def _kinds_check(kinds: Sequence[str]) -> None:
    op.drop_constraint(op.f("ck_organisations_org_kind"), "organisations", type_="check")
    listed = ", ".join(f"'{k}'" for k in kinds)
    op.create_check_constraint(
        op.f("ck_organisations_org_kind"), "organisations", f"kind IN ({listed})"
    )


def _enum(name: str, *values: str, length: int = 20) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    _kinds_check((*_KINDS, "poc_centre"))
    op.create_table(
        "poc_centre_profiles",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("industries", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("services", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_poc_centre_profiles_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_poc_centre_profiles")),
    )
    op.create_table(
        "poc_funding_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_poc_funding_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_poc_funding_lines_centre_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poc_funding_lines")),
    )
    op.create_index(
        op.f("ix_poc_funding_lines_centre_id"), "poc_funding_lines", ["centre_id"], unique=False
    )
    op.create_table(
        "poc_projects",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("achievement_id", sa.BigInteger(), nullable=False),
        sa.Column("applied_by", sa.BigInteger(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column(
            "status",
            _enum(
                "poc_project_status",
                "applied",
                "accepted",
                "declined",
                "active",
                "passed",
                "failed",
                "stopped",
            ),
            nullable=False,
        ),
        sa.Column("screening_reasons", sa.Text(), nullable=True),
        sa.Column("screening_salt", sa.String(length=64), nullable=True),
        sa.Column("outcome", _enum("poc_outcome", "passed", "failed", "stopped"), nullable=True),
        sa.Column("trl_before", sa.SmallInteger(), nullable=True),
        sa.Column("trl_after", sa.SmallInteger(), nullable=True),
        sa.Column("public_summary", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["organisations.id"],
            name=op.f("fk_poc_projects_centre_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["organisations.id"],
            name=op.f("fk_poc_projects_applicant_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_poc_projects_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["applied_by"], ["users.id"], name=op.f("fk_poc_projects_applied_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poc_projects")),
    )
    op.create_index(
        op.f("ix_poc_projects_achievement_id"), "poc_projects", ["achievement_id"], unique=False
    )
    op.create_index("ix_poc_projects_centre_id_id", "poc_projects", ["centre_id", "id"])
    op.create_index("ix_poc_projects_applicant_id_id", "poc_projects", ["applicant_id", "id"])
    op.create_index(
        "uq_poc_projects_one_open",
        "poc_projects",
        ["achievement_id"],
        unique=True,
        postgresql_where="status IN ('applied', 'accepted', 'active')",
    )
    op.create_table(
        "poc_milestones",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("deliverable", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=False),
        sa.Column("tranche_fen", sa.BigInteger(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_salt", sa.String(length=64), nullable=True),
        sa.Column("verdict", _enum("poc_verdict", "met", "not_met"), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("tranche_fen >= 0", name=op.f("ck_poc_milestones_tranche_not_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["poc_projects.id"],
            name=op.f("fk_poc_milestones_project_id_poc_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["poc_funding_lines.id"],
            name=op.f("fk_poc_milestones_line_id_poc_funding_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poc_milestones")),
    )
    op.create_index(
        op.f("ix_poc_milestones_project_id"), "poc_milestones", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("poc_milestones")
    op.drop_table("poc_projects")
    op.drop_table("poc_funding_lines")
    op.drop_table("poc_centre_profiles")
    # With centres on record this fails at the constraint: they have no kind to go back to.
    _kinds_check(_KINDS)
