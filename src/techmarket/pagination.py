"""Cursor pagination over ascending ids: stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

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


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor after the last id when the page is full (there may be more)."""
    return encode_cursor(ids[-1]) if len(ids) == limit else None
