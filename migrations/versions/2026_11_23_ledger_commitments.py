"""ledger commitments: salts of negotiation offers, private priority-right holders

Offers and priority-right holders go on the ledger as salted commitments, revealed at
acceptance and at the close; their salts are kept here. Offers made before have no salt
(the ledger published their prices). An unfinished auction whose public terms still name
its priority holders stops the upgrade: finish it first (its holders' rights would
otherwise be lost, or their identities revealed by a commitment that never opens).

Revision ID: 2026_11_23_ledger_commitments
Revises: 2026_11_23_trades
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_23_ledger_commitments"
down_revision: str | None = "2026_11_23_trades"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    unfinished = op.get_bind().execute(
        sa.text(
            "SELECT id FROM trades WHERE status IN ('pending_approval', 'open') "
            "AND jsonb_array_length(coalesce(terms -> 'priority_holder_org_ids', '[]')) > 0"
        )
    )
    ids = [row.id for row in unfinished]
    if ids:
        raise RuntimeError(
            f"auctions {ids} name priority holders in their public terms and have not "
            "closed: let them close before upgrading"
        )
    op.add_column("trade_offers", sa.Column("salt", sa.String(length=64), nullable=True))
    op.add_column(
        "trades",
        sa.Column(
            "priority_holders",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.alter_column("trades", "priority_holders", server_default=None)


def downgrade() -> None:
    op.drop_column("trades", "priority_holders")
    op.drop_column("trade_offers", "salt")
