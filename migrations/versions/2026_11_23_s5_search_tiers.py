"""search tiers: the full-text indexes pair each record's words with its recency tier

Revision ID: 2026_11_23_s5_search_tiers
Revises: 2026_11_23_s5_subscriptions
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_23_s5_search_tiers"
down_revision: str | None = "2026_11_23_s5_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The week a record was published in, counted from 2000; unpublished: the newest tier
# (models/listing.py RECENCY_TIER, spelled out here as this revision made it).
TIER = (
    "(ARRAY[COALESCE(floor(extract(epoch FROM published_at - '2000-01-01 00:00:00+00'"
    "::timestamptz) / 604800)::integer, 2147483647)])"
)


def upgrade() -> None:
    for table in ("achievements", "demands"):
        op.drop_index(f"ix_{table}_search", table_name=table, postgresql_using="gin")
        op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search, {TIER})")


def downgrade() -> None:
    for table in ("achievements", "demands"):
        op.drop_index(f"ix_{table}_search", table_name=table)
        op.create_index(f"ix_{table}_search", table, ["search"], postgresql_using="gin")
