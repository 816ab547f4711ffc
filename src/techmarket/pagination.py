"""Cursor pagination over ascending ids: stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from techmarket.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "Invalid pagination cursor"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id":
            raise ValueError(prefix)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not one this server issued") from exc


def encode_keyset(values: list[Any]) -> str:
    """A cursor holding the sort key of the last row of a page."""
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(cursor: str | None, length: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor("cursor is not one this server issued") from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor("cursor does not belong to this query or sort order")
    return values


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor after the last id when the page is full (there may be more)."""
    return encode_cursor(ids[-1]) if len(ids) == limit else None
