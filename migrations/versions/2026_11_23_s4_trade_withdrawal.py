"""trades may be withdrawn by the seller, or ended by a party to the negotiation

Revision ID: 2026_11_23_s4_trade_withdrawal
Revises: 2026_11_23_bid_requests_per_user
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_23_s4_trade_withdrawal"
down_revision: str | None = "2026_11_23_bid_requests_per_user"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "pending_approval",
    "open",
    "listed",
    "notice",
    "sold",
    "unsold",
    "cancelled",
    "defaulted",
    "rejected",
)
AFTER = (*BEFORE, "withdrawn", "ended")


def _allow(statuses: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_trades_trade_status"), "trades", type_="check")
    listed = ", ".join(f"'{s}'" for s in statuses)
    op.create_check_constraint(op.f("ck_trades_trade_status"), "trades", f"status IN ({listed})")


def upgrade() -> None:
    _allow(AFTER)


def downgrade() -> None:
    # Refused by the database while a trade is withdrawn or ended: those have no earlier
    # status to go back to, and their ledger entries cannot be undone.
    _allow(BEFORE)
