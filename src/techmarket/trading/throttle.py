"""How much one user, or one address, may ask of a process's live auctions: open sockets,
bids and other messages. Counted per process, in memory (a token bucket each), so the
limits cost no database round trip and no background work; several processes each allow
as much."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import token_bucket
from cachetools import TTLCache

SOCKETS_PER_USER = 10  # the deployment's are TECHMARKET_WS_SOCKETS_PER_USER
SOCKETS_PER_ADDRESS = 100  # and TECHMARKET_WS_SOCKETS_PER_ADDRESS
MAX_COUNTED = 1_000_000  # users and addresses counted at once, per limit


@dataclass(frozen=True)
class Rate:
    """At most ``count`` in a burst, and ``count`` every ``seconds`` on average."""

    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds:g} s"


BIDS = Rate(10, 1)  # per user, over all their sockets
RESUMES = Rate(2, 1)  # per user, or per address before a token
MESSAGES = Rate(50, 1)  # of any kind, malformed ones too: beyond, the socket closes


class _Buckets(token_bucket.MemoryStorage):
    """A bucket idle for ``ttl`` seconds is full again, so it is forgotten: a fresh one
    starts full. (The library's own keeps every key it ever saw.)"""

    def __init__(self, ttl: float) -> None:
        super().__init__()
        # It only gets, sets and misses keys: any mapping serves.
        self._buckets = TTLCache(maxsize=MAX_COUNTED, ttl=ttl)  # type: ignore[assignment]


class Limit:
    """One rate, counted per user or address."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        buckets = _Buckets(rate.seconds)
        self._limiter = token_bucket.Limiter(rate.count / rate.seconds, rate.count, buckets)

    def allow(self, who: str) -> bool:
        """One more by ``who`` (``user:<id>`` or ``address:<ip>``), if within the rate."""
        return self._limiter.consume(who)

    def __str__(self) -> str:
        return str(self.rate)


class Throttle:
    """One per process."""

    def __init__(
        self,
        *,
        sockets_per_user: int = SOCKETS_PER_USER,
        sockets_per_address: int = SOCKETS_PER_ADDRESS,
        bids: Rate = BIDS,
        resumes: Rate = RESUMES,
        messages: Rate = MESSAGES,
    ) -> None:
        self.sockets_per_user, self.sockets_per_address = sockets_per_user, sockets_per_address
        self.bids, self.resumes, self.messages = Limit(bids), Limit(resumes), Limit(messages)
        self._sockets: Counter[str] = Counter()

    def open_socket(self, who: str, cap: int) -> bool:
        """Count a socket for ``who`` unless they have ``cap`` open already (a user's, or
        an address's, cap)."""
        if self._sockets[who] >= cap:
            return False
        self._sockets[who] += 1
        return True

    def close_socket(self, who: str) -> None:
        self._sockets[who] -= 1
        if self._sockets[who] <= 0:
            del self._sockets[who]
