"""How much one user, or one address, may ask of a process's live auctions: open sockets,
bids and other messages. Counted per process, in memory (a moving window each), so the
limits cost no database round trip; several processes each allow as much."""

from __future__ import annotations

from collections import Counter

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

SOCKETS_PER_USER = 10  # the deployment's are TECHMARKET_WS_SOCKETS_PER_USER
SOCKETS_PER_ADDRESS = 100  # and TECHMARKET_WS_SOCKETS_PER_ADDRESS
BIDS = parse("10/second")  # per user, over all their sockets
RESUMES = parse("2/second")  # per user, or per address before a token
MESSAGES = parse("50/second")  # of any kind, malformed ones too: beyond, the socket closes


class Throttle:
    """One per process."""

    def __init__(
        self,
        *,
        sockets_per_user: int = SOCKETS_PER_USER,
        sockets_per_address: int = SOCKETS_PER_ADDRESS,
        bids: RateLimitItem = BIDS,
        resumes: RateLimitItem = RESUMES,
        messages: RateLimitItem = MESSAGES,
    ) -> None:
        self.sockets_per_user, self.sockets_per_address = sockets_per_user, sockets_per_address
        self.bids, self.resumes, self.messages = bids, resumes, messages
        self._windows = MovingWindowRateLimiter(MemoryStorage())
        self._sockets: Counter[str] = Counter()

    def allow(self, limit: RateLimitItem, who: str) -> bool:
        """One more of ``limit``'s kind by ``who`` (``user:<id>`` or ``address:<ip>``)."""
        return self._windows.hit(limit, who)

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
