"""competing offers during public notice: each with its bidder's registration and price

Revision ID: 2026_11_23_s4b_compete
Revises: 2026_11_23_s4b_agency
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_s4b_compete"
down_revision: str | None = "2026_11_23_s4b_agency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competing_offers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("registration_id", sa.BigInteger(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["trade_registrations.id"],
            name=op.f("fk_competing_offers_registration_id_trade_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_competing_offers_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competing_offers")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_competing_offers_registration_id")),
    )
    op.create_index(
        op.f("ix_competing_offers_trade_id"), "competing_offers", ["trade_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_competing_offers_trade_id"), table_name="competing_offers")
    op.drop_table("competing_offers")
