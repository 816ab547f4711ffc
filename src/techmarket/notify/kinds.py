"""The kinds of notification: what a user chooses about, one by one."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    outbid = "outbid"
    closed = "closed"  # an auction or listing you took part in, or sell, closed
    push = "push"  # a publication matching a subscription, or an institution's achievements
    push_digest = "push_digest"  # the day's matches kept for a digest
