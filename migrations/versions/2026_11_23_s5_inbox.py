"""inbox: find the deals whose parties were reminded of the signing deadline

Revision ID: 2026_11_23_s5_inbox
Revises: 2026_11_23_s5_search_positions
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_23_s5_inbox"
down_revision: str | None = "2026_11_23_s5_search_positions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_notifications_signing_subject",
        "notifications",
        ["subject"],
        postgresql_where="kind = 'signing'",
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_signing_subject", table_name="notifications")
