"""service agencies' directory profiles and regions; payments received under contracts

Revision ID: 2026_11_23_s4b_agency
Revises: 2026_11_23_s4_trade_withdrawal
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_s4b_agency"
down_revision: str | None = "2026_11_23_s4_trade_withdrawal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_profiles",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_agency_profiles_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_agency_profiles")),
    )
    op.create_table(
        "agency_regions",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("prefix", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_agency_regions_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", "region_code", name=op.f("pk_agency_regions")),
    )
    op.create_table(
        "contract_payments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.String(length=200), nullable=False),
        sa.Column("evidence_salt", sa.String(length=64), nullable=False),
        sa.Column("by_org_id", sa.BigInteger(), nullable=False),
        sa.Column("to_org_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_contract_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["trade_id"],
            ["contracts.trade_id"],
            name=op.f("fk_contract_payments_trade_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["by_org_id"],
            ["organisations.id"],
            name=op.f("fk_contract_payments_by_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_org_id"],
            ["organisations.id"],
            name=op.f("fk_contract_payments_to_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_contract_payments_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["users.id"], name=op.f("fk_contract_payments_confirmed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_payments")),
    )
    op.create_index(
        op.f("ix_contract_payments_trade_id"), "contract_payments", ["trade_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_contract_payments_trade_id"), table_name="contract_payments")
    op.drop_table("contract_payments")
    op.drop_table("agency_regions")
    op.drop_table("agency_profiles")
