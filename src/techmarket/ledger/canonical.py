"""Ledger entry encoding: RFC 8785 (JCS) canonical JSON of a fixed-shape body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import rfc8785

VERSION = 1
GENESIS_PREV = "0" * 64
BODY_KEYS = frozenset({"v", "index", "ts", "type", "subject", "data", "prev"})


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 encoding of a JSON value."""
    return rfc8785.dumps(value)


def rfc3339(at: datetime) -> str:
    """UTC time as RFC 3339 with microseconds and a ``Z``: one spelling per instant."""
    if at.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_body(
    index: int, at: datetime, type_: str, subject: str, data: dict[str, Any], prev: str
) -> dict[str, Any]:
    return {
        "v": VERSION,
        "index": index,
        "ts": rfc3339(at),
        "type": type_,
        "subject": subject,
        "data": data,
        "prev": prev,
    }


def encode_entry(
    index: int, at: datetime, type_: str, subject: str, data: dict[str, Any], prev: str
) -> bytes:
    return canonical(entry_body(index, at, type_, subject, data, prev))


class MalformedEntry(ValueError):
    pass


def decode_entry(raw: bytes) -> dict[str, Any]:
    """Parse an entry and insist that it is exactly canonical and well-formed."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEntry(f"not JSON: {exc}") from None
    if not isinstance(body, dict) or set(body) != BODY_KEYS:
        raise MalformedEntry("body must have exactly the keys " + ", ".join(sorted(BODY_KEYS)))
    if body["v"] != VERSION:
        raise MalformedEntry(f"unknown version {body['v']!r}")
    if canonical(body) != raw:
        raise MalformedEntry("encoding is not RFC 8785 canonical")
    return body
