"""Salted SHA-256 commitments: pure, no I/O; the server and the offline verifier share it.

A value that must not be public yet (an auction's reserve, a negotiation offer, the
organisation holding a priority right behind its alias) goes on the ledger as the hex
SHA-256 of the ASCII text ``<value>:<salt>`` (salt: 32 random bytes as 64 hex digits, so
that a small value cannot be found by trying them all). When the value becomes public,
value and salt are revealed, and anyone can check the reveal against the commitment."""

from __future__ import annotations

import hashlib
import re
import secrets

_SALT = re.compile(r"[0-9a-f]{64}")


def new_salt() -> str:
    return secrets.token_hex(32)


def commit(value: int, salt: str) -> str:
    """The commitment to ``value`` under ``salt``, in lowercase hex."""
    return hashlib.sha256(f"{value}:{salt}".encode("ascii")).hexdigest()


def opens(commitment: object, value: object, salt: object) -> bool:
    """Whether a reveal (``value``, ``salt``), as read from the ledger, matches
    ``commitment``; anything malformed does not."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and isinstance(salt, str)
        and _SALT.fullmatch(salt) is not None
        and commitment == commit(value, salt)
    )
