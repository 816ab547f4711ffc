"""Cursor pagination over ascending ids: stable under concurrent inserts.

A cursor comes back from the client, so it is parsed strictly: anything but the exact
shape this server writes is a 400 ``invalid_cursor``."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from techmarket.errors import BadRequest
from techmarket.types import INT64_MAX

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 200  # far above any cursor issued here
_ID_CURSOR = re.compile(r"id:([1-9][0-9]{0,18})")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    title = "Invalid pagination cursor"


def _payload(cursor: str) -> bytes:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor is not one this server issued")
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor("cursor is not one this server issued") from exc


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    found = _ID_CURSOR.fullmatch(_payload(cursor).decode("ascii", errors="replace"))
    if found is None or int(found[1]) > INT64_MAX:
        raise InvalidCursor("cursor is not one this server issued")
    return int(found[1])


def encode_keyset(values: list[Any]) -> str:
    """A cursor holding the sort key of the last row of a page."""
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(cursor: str | None, shape: TypeAdapter[T]) -> T | None:
    """The values of a keyset cursor, which must have exactly ``shape`` (a JSON array)."""
    if cursor is None:
        return None
    try:
        return shape.validate_json(_payload(cursor), strict=True)
    except ValidationError as exc:
        raise InvalidCursor("cursor does not belong to this query or sort order") from exc


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor after the last id when the page is full (there may be more)."""
    return encode_cursor(ids[-1]) if len(ids) == limit else None
