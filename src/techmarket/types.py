"""The shapes every input takes at the edge (bodies, query and path parameters, forms,
websocket messages): text without control characters, strict money, integers PostgreSQL
can store, times in UTC. Schemas and routes annotate with these instead of bare ``str``,
``int`` and ``datetime``, so each rule lives here once."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from annotated_types import Ge, Le
from pydantic import AfterValidator, AwareDatetime, Field, StrictInt
from pydantic.json_schema import SkipJsonSchema

INT64_MAX = 2**63 - 1
FEN_MAX = 10**15  # ten trillion yuan: far above any deal, far below int64

# C0 and C1 controls (NUL among them: PostgreSQL text cannot hold it) and lone surrogates
# (not encodable as UTF-8). Multi-line text keeps tab and line breaks.
_LINE_FORBIDDEN = "\\u0000-\\u001f\\u007f-\\u009f"
_TEXT_FORBIDDEN = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
_TEXT_ALLOWED = frozenset("\t\n\r")


def _check_text(value: str, allowed: frozenset[str]) -> str:
    for position, char in enumerate(value):
        if char in allowed:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"control character U+{ord(char):04X} at position {position}")
    return value


def _line(value: str) -> str:
    return _check_text(value, frozenset())


def _text(value: str) -> str:
    return _check_text(value, _TEXT_ALLOWED)


# One line of text: names, titles, codes, query parameters.
Line = Annotated[
    str,
    AfterValidator(_line),
    Field(json_schema_extra={"pattern": f"^[^{_LINE_FORBIDDEN}]*$"}),
]
# Free text that may span lines: summaries, descriptions, reasons.
Text = Annotated[
    str,
    AfterValidator(_text),
    Field(json_schema_extra={"pattern": f"^[^{_TEXT_FORBIDDEN}]*$"}),
]

# Integers as PostgreSQL's bigint holds them.
Int64 = Annotated[int, Ge(-INT64_MAX - 1), Le(INT64_MAX)]
Id = Annotated[int, Ge(1), Le(INT64_MAX)]
Count = Annotated[int, Ge(0), Le(INT64_MAX)]

# Money in fen: a JSON integer, never a bool, a string or a float.
Fen = Annotated[
    StrictInt, Field(gt=0, le=FEN_MAX, description="an amount in fen (1 yuan = 100 fen)")
]
FenOrZero = Annotated[StrictInt, Field(ge=0, le=FEN_MAX, description="an amount in fen")]

# The market's times lie in between; beyond the latest, adding a period (extension,
# notice, signing) could overflow.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(f"must be between {_EARLIEST.year} and {_LATEST.year}")
    return value.astimezone(UTC)


# An RFC 3339 time with its offset, held and echoed in UTC (DESIGN.md: UTC on the wire).
UtcDateTime = Annotated[AwareDatetime, AfterValidator(_utc)]


def wire_time(value: datetime) -> str:
    """A time as the API writes it (RFC 3339, UTC, ``Z``), e.g. inside trade terms."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


T = TypeVar("T")


def _not_null(value: T | None) -> T | None:
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


# A PATCH field that may be left out but not set to null (its column is required).
Patch = Annotated[T | SkipJsonSchema[None], AfterValidator(_not_null)]
