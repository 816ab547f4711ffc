"""bid requests: idempotency keys belong to the user who sent them, not their organisation

Revision ID: 2026_11_23_bid_requests_per_user
Revises: 2026_11_23_trades
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_bid_requests_per_user"
down_revision: str | None = "2026_11_23_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A kept outcome cannot be traced to the user who asked for it: forget them. They only
    # answer retries, and a retried accepted bid comes back too_low, never placed twice.
    op.execute("DELETE FROM bid_requests")
    op.add_column("bid_requests", sa.Column("user_id", sa.BigInteger(), nullable=False))
    op.create_foreign_key(
        op.f("fk_bid_requests_user_id_users"), "bid_requests", "users", ["user_id"], ["id"]
    )
    op.drop_constraint(op.f("pk_bid_requests"), "bid_requests", type_="primary")
    op.create_primary_key(op.f("pk_bid_requests"), "bid_requests", ["trade_id", "user_id", "key"])


def downgrade() -> None:
    # Keys two users of one organisation both used: the organisation keeps the first.
    op.execute(
        """
        DELETE FROM bid_requests AS later USING bid_requests AS earlier
        WHERE later.trade_id = earlier.trade_id AND later.org_id = earlier.org_id
          AND later.key = earlier.key
          AND (later.at, later.user_id) > (earlier.at, earlier.user_id)
        """
    )
    op.drop_constraint(op.f("pk_bid_requests"), "bid_requests", type_="primary")
    op.create_primary_key(op.f("pk_bid_requests"), "bid_requests", ["trade_id", "org_id", "key"])
    op.drop_constraint(op.f("fk_bid_requests_user_id_users"), "bid_requests", type_="foreignkey")
    op.drop_column("bid_requests", "user_id")
