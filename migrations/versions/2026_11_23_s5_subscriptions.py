"""subscriptions: what users want pushed, institutions' standing push switched off, matches
kept for digests

Revision ID: 2026_11_23_s5_subscriptions
Revises: 2026_11_23_s5_delivery
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_s5_subscriptions"
down_revision: str | None = "2026_11_23_s5_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDUSTRIES = (
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
)
_IP_TYPES = (
    "invention_patent",
    "utility_model",
    "design_patent",
    "software_copyright",
    "plant_variety",
    "ic_layout",
    "know_how",
)


def _enum(name: str, *values: str, length: int = 20) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "target",
            _enum("subscription_target", "achievement", "demand", "trade"),
            nullable=False,
        ),
        sa.Column(
            "basis",
            _enum("subscription_basis", "filters", "our_achievements", "our_demands"),
            nullable=False,
        ),
        sa.Column("keywords", sa.String(length=200), nullable=True),
        sa.Column("query", postgresql.TSQUERY(), nullable=True),
        sa.Column("industry", _enum("industry", *_INDUSTRIES, length=40), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("region_prefix", sa.String(length=6), nullable=True),
        sa.Column("ip_type", _enum("ip_type", *_IP_TYPES), nullable=True),
        sa.Column("price_min_fen", sa.BigInteger(), nullable=True),
        sa.Column("price_max_fen", sa.BigInteger(), nullable=True),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_subscriptions_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscriptions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index("ix_subscriptions_org_id", "subscriptions", ["org_id", "id"])
    op.create_index("ix_subscriptions_target_basis", "subscriptions", ["target", "basis"])
    op.create_table(
        "standing_push_off",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_standing_push_off_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name=op.f("fk_standing_push_off_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_standing_push_off")),
    )
    op.create_table(
        "pending_pushes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_pushes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_pushes")),
        sa.UniqueConstraint("user_id", "ledger_index", name="uq_pending_pushes_user_entry"),
    )
    op.create_index(
        "ix_pending_pushes_waiting",
        "pending_pushes",
        ["matched_at"],
        postgresql_where="digest_key IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_pending_pushes_waiting", table_name="pending_pushes")
    op.drop_table("pending_pushes")
    op.drop_table("standing_push_off")
    op.drop_index("ix_subscriptions_target_basis", table_name="subscriptions")
    op.drop_index("ix_subscriptions_org_id", table_name="subscriptions")
    op.drop_table("subscriptions")
