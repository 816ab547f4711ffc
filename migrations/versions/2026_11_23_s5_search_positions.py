"""search positions: every search vector written again, a term once in each field it is in

Revision ID: 2026_11_23_s5_search_positions
Revises: 2026_11_23_s5_search_tiers
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from techmarket.listings.text import tsvector_literal

revision: str = "2026_11_23_s5_search_positions"
down_revision: str | None = "2026_11_23_s5_search_tiers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table's rows in batches, with its fields as its search_vector weighs them (A title,
# B keywords, C summary or description, D inventors and patent numbers), and the update.
TABLES = (
    (
        "SELECT id, ARRAY[title, array_to_string(keywords, ' '), summary,"
        " array_to_string(inventors, ' ') || ' ' || array_to_string(patent_numbers, ' ')]"
        " FROM achievements WHERE id > :after ORDER BY id LIMIT :n",
        "UPDATE achievements SET search = CAST(:v AS tsvector) WHERE id = :id",
    ),
    (
        "SELECT id, ARRAY[title, '', description, ''] FROM demands"
        " WHERE id > :after ORDER BY id LIMIT :n",
        "UPDATE demands SET search = CAST(:v AS tsvector) WHERE id = :id",
    ),
)
BATCH = 2000


def _rewrite(weighing: bool) -> None:
    """Write every vector again; ``weighing``: a term once per field (else once in all)."""
    conn = op.get_bind()
    for read, write in TABLES:
        after = 0
        while True:
            rows = conn.execute(sa.text(read), {"after": after, "n": BATCH}).all()
            if not rows:
                break
            vectors = []
            for row_id, texts in rows:
                vector = tsvector_literal(zip("ABCD", texts, strict=True))
                vectors.append({"id": row_id, "v": vector if weighing else _first_only(vector)})
            conn.execute(sa.text(write), vectors)
            after = rows[-1][0]


def _first_only(vector: str) -> str:
    """The vector as written before: each term's first position only."""
    return " ".join(
        f"{lexeme}:{positions.split(',')[0]}"
        for lexeme, positions in (item.rsplit(":", 1) for item in vector.split(" ") if item)
    )


def upgrade() -> None:
    _rewrite(weighing=True)


def downgrade() -> None:
    _rewrite(weighing=False)
