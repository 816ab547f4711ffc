"""Password hashing (argon2id, off the event loop) and the strength rule for new passwords."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# argon2 is slow and memory-hard on purpose (about 64 MiB per hash): it runs on threads of
# its own (argon2-cffi releases the GIL), one per core, so that logins never stall the event
# loop that serves bids and sockets, and a burst of logins queues instead of exhausting memory.
_pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="argon2")

# zxcvbn's estimate: 3 = "safely unguessable" (at least 10^8 guesses).
MIN_SCORE = 3
# zxcvbn's work grows steeply with length (hundreds of milliseconds at 72 characters); a
# password whose first 32 characters are strong is strong, so only those are estimated.
_ESTIMATED_LENGTH = 32


def hash_blocking(password: str) -> str:
    """Hash now, on this thread (for code without an event loop)."""
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, computed off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``, checked off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(
        _pool, _matches, password_hash, password
    )


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verified against when the email is unknown, so timing does not reveal which emails exist.
DUMMY_HASH = hash_blocking("not a real password")


def weakness(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too easy to guess (common, patterned, close to the user's own
    email or name), or None if it is strong enough."""
    estimate = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=list(user_inputs))
    if estimate["score"] >= MIN_SCORE:
        return None
    feedback = estimate["feedback"]
    reasons = [feedback["warning"], *feedback["suggestions"]]
    return " ".join(r for r in reasons if r) or "It is too easy to guess."
