"""listings: achievements, their history, demands, responses; full-text indexes

Revision ID: 2026_11_23_listings
Revises: 2026_11_23_ledger
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_listings"
down_revision: str | None = "2026_11_23_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "ip_type",
            sa.Enum(
                "invention_patent",
                "utility_model",
                "design_patent",
                "software_copyright",
                "plant_variety",
                "ic_layout",
                "know_how",
                name="ip_type",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("patent_numbers", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column(
            "industry",
            sa.Enum(
                "agriculture",
                "carbon_neutral_energy",
                "health_medicine",
                "new_materials",
                "intelligent_manufacturing",
                "electronic_information",
                "energy_saving_environment",
                "modern_transport",
                "marine",
                "biotechnology",
                name="industry",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("trl", sa.SmallInteger(), nullable=False),
        sa.Column("transfer_modes", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("asking_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("inventors", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("keywords", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("proof_of_concept", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_approval",
                "published",
                "in_trade",
                "transferred",
                "rejected",
                "withdrawn",
                name="achievement_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search", postgresql.TSVECTOR(), nullable=False),
        sa.CheckConstraint(
            "region_code ~ '^[0-9]{6}$'", name=op.f("ck_achievements_region_code_digits")
        ),
        sa.CheckConstraint(
            "asking_price_fen IS NULL OR asking_price_fen > 0",
            name=op.f("ck_achievements_price_positive"),
        ),
        sa.CheckConstraint("trl BETWEEN 1 AND 9", name=op.f("ck_achievements_trl_range")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_achievements_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_achievements_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
    )
    op.create_index(
        "ix_achievements_industry_status",
        "achievements",
        ["industry", "status", "published_at"],
        unique=False,
    )
    op.create_index(
        "ix_achievements_org_id_status", "achievements", ["org_id", "status"], unique=False
    )
    op.create_index(
        "ix_achievements_published", "achievements", ["status", "published_at", "id"], unique=False
    )
    op.create_index(
        "ix_achievements_region_code",
        "achievements",
        ["region_code"],
        unique=False,
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.create_index(
        "ix_achievements_search", "achievements", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "demands",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "industry",
            sa.Enum(
                "agriculture",
                "carbon_neutral_energy",
                "health_medicine",
                "new_materials",
                "intelligent_manufacturing",
                "electronic_information",
                "energy_saving_environment",
                "modern_transport",
                "marine",
                "biotechnology",
                name="industry",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("budget_min_fen", sa.BigInteger(), nullable=True),
        sa.Column("budget_max_fen", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "cooperation_mode",
            sa.Enum(
                "transfer",
                "licence",
                "commissioned_development",
                "joint_development",
                "technical_service",
                name="cooperation_mode",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("is_challenge", sa.Boolean(), nullable=False),
        sa.Column("reward_fen", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "awarded",
                "closed",
                "expired",
                name="demand_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search", postgresql.TSVECTOR(), nullable=False),
        sa.CheckConstraint(
            "region_code ~ '^[0-9]{6}$'", name=op.f("ck_demands_region_code_digits")
        ),
        sa.CheckConstraint(
            "NOT is_challenge OR reward_fen > 0", name=op.f("ck_demands_challenge_reward")
        ),
        sa.CheckConstraint(
            "budget_min_fen IS NULL OR budget_max_fen IS NULL OR budget_min_fen <= budget_max_fen",
            name=op.f("ck_demands_budget_order"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_demands_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_demands_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demands")),
    )
    op.create_index("ix_demands_deadline", "demands", ["status", "deadline"], unique=False)
    op.create_index("ix_demands_org_id_status", "demands", ["org_id", "status"], unique=False)
    op.create_index(
        "ix_demands_published", "demands", ["status", "published_at", "id"], unique=False
    )
    op.create_index(
        "ix_demands_region_code",
        "demands",
        ["region_code"],
        unique=False,
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.create_index(
        "ix_demands_search", "demands", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_achievements_price_asc",
        "achievements",
        ["status", "asking_price_fen", "id"],
        unique=False,
    )
    op.create_index(
        "ix_achievements_price_desc",
        "achievements",
        ["status", sa.text("asking_price_fen DESC NULLS LAST"), sa.text("id DESC")],
        unique=False,
    )
    op.create_table(
        "achievement_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("achievement_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_events_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name=op.f("fk_achievement_events_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_events")),
    )
    op.create_index(
        op.f("ix_achievement_events_achievement_id"),
        "achievement_events",
        ["achievement_id"],
        unique=False,
    )
    op.create_table(
        "demand_responses",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("demand_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("quoted_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("achievement_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "shortlisted",
                "accepted",
                "declined",
                "withdrawn",
                name="response_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quoted_price_fen > 0", name=op.f("ck_demand_responses_price_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_demand_responses_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"], ["demands.id"], name=op.f("fk_demand_responses_demand_id_demands")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_demand_responses_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_responses")),
    )
    op.create_index(
        op.f("ix_demand_responses_demand_id"), "demand_responses", ["demand_id"], unique=False
    )
    op.create_index(
        op.f("ix_demand_responses_org_id"), "demand_responses", ["org_id"], unique=False
    )
    op.create_index(
        "uq_demand_responses_one_accepted",
        "demand_responses",
        ["demand_id"],
        unique=True,
        postgresql_where="status = 'accepted'",
    )


def downgrade() -> None:
    op.drop_index(
        "uq_demand_responses_one_accepted",
        table_name="demand_responses",
        postgresql_where="status = 'accepted'",
    )
    op.drop_index(op.f("ix_demand_responses_org_id"), table_name="demand_responses")
    op.drop_index(op.f("ix_demand_responses_demand_id"), table_name="demand_responses")
    op.drop_table("demand_responses")
    op.drop_index(op.f("ix_achievement_events_achievement_id"), table_name="achievement_events")
    op.drop_table("achievement_events")
    op.drop_index("ix_demands_search", table_name="demands", postgresql_using="gin")
    op.drop_index(
        "ix_demands_region_code",
        table_name="demands",
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.drop_index("ix_demands_published", table_name="demands")
    op.drop_index("ix_demands_org_id_status", table_name="demands")
    op.drop_index("ix_demands_deadline", table_name="demands")
    op.drop_table("demands")
    op.drop_index("ix_achievements_search", table_name="achievements", postgresql_using="gin")
    op.drop_index(
        "ix_achievements_region_code",
        table_name="achievements",
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.drop_index("ix_achievements_price_desc", table_name="achievements")
    op.drop_index("ix_achievements_price_asc", table_name="achievements")
    op.drop_index("ix_achievements_published", table_name="achievements")
    op.drop_index("ix_achievements_org_id_status", table_name="achievements")
    op.drop_index("ix_achievements_industry_status", table_name="achievements")
    op.drop_table("achievements")
