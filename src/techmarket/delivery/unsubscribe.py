"""One-click unsubscribe links (RFC 8058): a token naming a user and a kind, signed with
the server's secret, that turns that kind's e-mail off. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_TOKEN = re.compile(r"([1-9][0-9]{0,18})\.([a-z_]{1,32})\.([A-Za-z0-9_-]{43})")


def _mac(key: bytes, user_id: int, kind: str) -> str:
    # domain-separated from the other uses of the server's secret (forms' CSRF tokens)
    digest = hmac.new(key, f"unsubscribe\0{user_id}\0{kind}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(key: bytes, user_id: int, kind: str) -> str:
    return f"{user_id}.{kind}.{_mac(key, user_id, kind)}"


def read(key: bytes, value: str) -> tuple[int, str] | None:
    """The user and kind ``value`` was signed for, or None if it is not a token we made."""
    found = _TOKEN.fullmatch(value)
    if found is None:
        return None
    user_id, kind = int(found[1]), found[2]
    if not hmac.compare_digest(found[3], _mac(key, user_id, kind)):
        return None
    return user_id, kind
