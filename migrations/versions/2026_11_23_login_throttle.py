"""login throttle: failed logins are counted per client address (and account)

Revision ID: 2026_11_23_login_throttle
Revises: 2026_11_23_trades
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_login_throttle"
down_revision: str | None = "2026_11_23_ledger_commitments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Failures recorded without an address cannot be attributed; they would have expired
    # within the failure window anyway.
    op.execute("DELETE FROM login_failures")
    op.add_column("login_failures", sa.Column("address", sa.String(length=64), nullable=False))
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"])
    op.create_index(
        "ix_login_failures_address_email_at", "login_failures", ["address", "email", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_login_failures_address_email_at", table_name="login_failures")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_column("login_failures", "address")
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "at"])
