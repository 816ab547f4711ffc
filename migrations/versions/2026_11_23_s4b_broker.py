"""mandates: brokers act for clients; the contributions they made to deals

Revision ID: 2026_11_23_s4b_broker
Revises: 2026_11_23_s4b_poc
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_s4b_broker"
down_revision: str | None = "2026_11_23_s4b_poc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The records of actions a broker may take for a client.
ACTED = ("trade_registrations", "bids", "trade_offers", "demand_responses")


def upgrade() -> None:
    op.create_table(
        "mandates",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_org_id", sa.BigInteger(), nullable=False),
        sa.Column("agency_org_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "object_kind",
            sa.Enum(
                "demand", "achievement", "trade",
                name="mandate_object_kind", native_enum=False, create_constraint=True, length=20,
            ),
            nullable=False,
        ),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("fee_terms", sa.Text(), nullable=False),
        sa.Column("share_pct", sa.SmallInteger(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("fee_salt", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "offered", "accepted", "revoked",
                name="mandate_status", native_enum=False, create_constraint=True, length=20,
            ),
            nullable=False,
        ),
        sa.Column("given_by", sa.BigInteger(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.BigInteger(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("share_pct BETWEEN 0 AND 100", name=op.f("ck_mandates_share_pct_range")),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_mandates_validity_order")),
        sa.CheckConstraint(
            "scope <@ ARRAY['respond','negotiate','register_and_bid']::varchar[]"
            " AND cardinality(scope) > 0",
            name=op.f("ck_mandates_known_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["client_org_id"], ["organisations.id"], name=op.f("fk_mandates_client_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["agency_org_id"], ["organisations.id"], name=op.f("fk_mandates_agency_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["given_by"], ["users.id"], name=op.f("fk_mandates_given_by_users")),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["users.id"], name=op.f("fk_mandates_accepted_by_users")
        ),
        sa.ForeignKeyConstraint(["revoked_by"], ["users.id"], name=op.f("fk_mandates_revoked_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
    )  # fmt: skip
    op.create_index(op.f("ix_mandates_client_org_id"), "mandates", ["client_org_id"])
    op.create_index(op.f("ix_mandates_agency_org_id"), "mandates", ["agency_org_id"])
    op.create_table(
        "broker_contributions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("mandate_id", sa.BigInteger(), nullable=False),
        sa.Column("broker_user_id", sa.BigInteger(), nullable=False),
        sa.Column("agency_org_id", sa.BigInteger(), nullable=False),
        sa.Column("client_org_id", sa.BigInteger(), nullable=False),
        sa.Column("share_bp", sa.SmallInteger(), nullable=False),
        sa.Column("volume_fen", sa.BigInteger(), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "share_bp BETWEEN 0 AND 10000", name=op.f("ck_broker_contributions_share_bp_range")
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_broker_contributions_rating_range")),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_broker_contributions_trade_id_trades")
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"], ["mandates.id"], name=op.f("fk_broker_contributions_mandate_id_mandates")
        ),
        sa.ForeignKeyConstraint(
            ["broker_user_id"], ["users.id"], name=op.f("fk_broker_contributions_broker_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["agency_org_id"], ["organisations.id"],
            name=op.f("fk_broker_contributions_agency_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["client_org_id"], ["organisations.id"],
            name=op.f("fk_broker_contributions_client_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_contributions")),
        sa.UniqueConstraint(
            "trade_id", "broker_user_id", name=op.f("uq_broker_contributions_trade_broker")
        ),
    )  # fmt: skip
    op.create_index("ix_broker_contributions_trade_id", "broker_contributions", ["trade_id"])
    op.create_index(
        op.f("ix_broker_contributions_broker_user_id"), "broker_contributions", ["broker_user_id"]
    )
    op.create_index(
        op.f("ix_broker_contributions_agency_org_id"), "broker_contributions", ["agency_org_id"]
    )
    for table in ACTED:
        op.add_column(table, sa.Column("mandate_id", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("broker_user_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_mandate_id_mandates"), table, "mandates", ["mandate_id"], ["id"]
        )
        op.create_foreign_key(
            op.f(f"fk_{table}_broker_user_id_users"), table, "users", ["broker_user_id"], ["id"]
        )


def downgrade() -> None:
    for table in ACTED:
        op.drop_constraint(op.f(f"fk_{table}_broker_user_id_users"), table, type_="foreignkey")
        op.drop_constraint(op.f(f"fk_{table}_mandate_id_mandates"), table, type_="foreignkey")
        op.drop_column(table, "broker_user_id")
        op.drop_column(table, "mandate_id")
    op.drop_table("broker_contributions")
    op.drop_table("mandates")
