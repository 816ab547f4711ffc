"""trades: the three pricing modes, registrations, bids, offers, objections, contracts

Revision ID: 2026_11_23_trades
Revises: 2026_11_23_listings
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_trades"
down_revision: str | None = "2026_11_23_listings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trades",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("achievement_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_org_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_org_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "mode",
            sa.Enum(
                "agreement",
                "listed",
                "auction",
                name="trade_mode",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending_approval",
                "open",
                "listed",
                "notice",
                "sold",
                "unsold",
                "cancelled",
                "defaulted",
                "rejected",
                name="trade_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reserve_commitment", sa.String(length=64), nullable=False),
        sa.Column("reserve_fen", sa.BigInteger(), nullable=True),
        sa.Column("reserve_salt", sa.String(length=64), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("leader_alias", sa.String(length=8), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("notice_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_trades_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_trades_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_org_id"],
            ["organisations.id"],
            name=op.f("fk_trades_buyer_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_trades_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["seller_org_id"],
            ["organisations.id"],
            name=op.f("fk_trades_seller_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    op.create_index(op.f("ix_trades_achievement_id"), "trades", ["achievement_id"], unique=False)
    op.create_index(op.f("ix_trades_seller_org_id"), "trades", ["seller_org_id"], unique=False)
    op.create_index("ix_trades_status_ends_at", "trades", ["status", "ends_at"], unique=False)
    op.create_index(
        "ix_trades_status_notice_ends_at", "trades", ["status", "notice_ends_at"], unique=False
    )
    op.create_table(
        "bid_requests",
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_bid_requests_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_bid_requests_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("trade_id", "org_id", "key", name=op.f("pk_bid_requests")),
    )
    op.create_table(
        "contracts",
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_number", sa.String(length=100), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column(
            "payment_terms",
            sa.Enum(
                "lump_sum",
                "instalments",
                "royalty",
                "free_then_royalty",
                name="payment_terms",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registration_number", sa.String(length=100), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_contracts_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_contracts_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("trade_id", name=op.f("pk_contracts")),
    )
    op.create_table(
        "trade_objections",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("reasons", sa.String(length=5000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "raised",
                "upheld",
                "dismissed",
                name="objection_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_trade_objections_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_trade_objections_resolved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_trade_objections_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_objections")),
    )
    op.create_index(
        op.f("ix_trade_objections_trade_id"), "trade_objections", ["trade_id"], unique=False
    )
    op.create_table(
        "trade_offers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_trade_offers_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_trade_offers_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_offers")),
    )
    op.create_index(op.f("ix_trade_offers_trade_id"), "trade_offers", ["trade_id"], unique=False)
    op.create_table(
        "trade_registrations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=8), nullable=False),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "deposit_status",
            sa.Enum(
                "held",
                "released",
                "applied",
                "forfeited",
                name="deposit_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("priority_right", sa.Boolean(), nullable=False),
        sa.Column("max_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("max_set_seq", sa.BigInteger(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_trade_registrations_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_trade_registrations_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_registrations")),
        sa.UniqueConstraint("trade_id", "alias", name="uq_trade_registrations_trade_alias"),
        sa.UniqueConstraint("trade_id", "org_id", name="uq_trade_registrations_trade_org"),
    )
    op.create_table(
        "bids",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("registration_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["trade_registrations.id"],
            name=op.f("fk_bids_registration_id_trade_registrations"),
        ),
        sa.ForeignKeyConstraint(["trade_id"], ["trades.id"], name=op.f("fk_bids_trade_id_trades")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
        sa.UniqueConstraint("trade_id", "seq", name="uq_bids_trade_seq"),
    )


def downgrade() -> None:
    op.drop_table("bids")
    op.drop_table("trade_registrations")
    op.drop_index(op.f("ix_trade_offers_trade_id"), table_name="trade_offers")
    op.drop_table("trade_offers")
    op.drop_index(op.f("ix_trade_objections_trade_id"), table_name="trade_objections")
    op.drop_table("trade_objections")
    op.drop_table("contracts")
    op.drop_table("bid_requests")
    op.drop_index("ix_trades_status_notice_ends_at", table_name="trades")
    op.drop_index("ix_trades_status_ends_at", table_name="trades")
    op.drop_index(op.f("ix_trades_seller_org_id"), table_name="trades")
    op.drop_index(op.f("ix_trades_achievement_id"), table_name="trades")
    op.drop_table("trades")
