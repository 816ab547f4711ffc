"""express licences: a trade mode whose offer many enterprises take, each a deal of its own

Revision ID: 2026_11_23_s4b_express
Revises: 2026_11_23_s4b_broker
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_s4b_express"
down_revision: str | None = "2026_11_23_s4b_broker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODES = ("agreement", "listed", "auction")
STATUSES = (
    "pending_approval",
    "open",
    "listed",
    "notice",
    "sold",
    "unsold",
    "cancelled",
    "defaulted",
    "rejected",
    "withdrawn",
    "ended",
)


def _allow(column: str, constraint: str, values: tuple[str, ...]) -> None:
    op.drop_constraint(op.f(f"ck_trades_{constraint}"), "trades", type_="check")
    listed = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint(op.f(f"ck_trades_{constraint}"), "trades", f"{column} IN ({listed})")


def upgrade() -> None:
    _allow("mode", "trade_mode", (*MODES, "express_licence"))
    _allow("status", "trade_status", (*STATUSES, "stopped"))
    op.add_column("trades", sa.Column("offer_trade_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_trades_offer_trade_id_trades"), "trades", "trades", ["offer_trade_id"], ["id"]
    )
    op.create_unique_constraint(
        op.f("uq_trades_offer_trade_id_buyer_org_id"), "trades", ["offer_trade_id", "buyer_org_id"]
    )
    op.add_column("contracts", sa.Column("text", sa.Text(), nullable=True))


def downgrade() -> None:
    # Refused by the database while express licences exist: their ledger entries stand.
    op.drop_column("contracts", "text")
    op.drop_constraint(op.f("uq_trades_offer_trade_id_buyer_org_id"), "trades", type_="unique")
    op.drop_constraint(op.f("fk_trades_offer_trade_id_trades"), "trades", type_="foreignkey")
    op.drop_column("trades", "offer_trade_id")
    _allow("status", "trade_status", STATUSES)
    _allow("mode", "trade_mode", MODES)
