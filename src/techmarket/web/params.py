"""Numbers a page takes from its address or a form, as PostgreSQL's bigint holds them: a
larger one is a 422 page, never a database error."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

INT64_MAX = 2**63 - 1

Id = Annotated[int, Ge(1), Le(INT64_MAX)]  # a row's id
Count = Annotated[int, Ge(0), Le(INT64_MAX)]  # a ledger index, a position
