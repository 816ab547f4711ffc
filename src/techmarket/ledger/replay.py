"""Business-rule replay: the verifier feeds every entry to each registered rule book,
which re-derives the business state from the ledger alone and reports any event that
the platform's rules would not have allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar


class RuleViolation(Exception):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"entry {index}: {message}")
        self.index = index
        self.message = message


class RuleBook(Protocol):
    """Replays one family of events (``families`` are type prefixes such as ``"org."``)."""

    families: tuple[str, ...]

    def feed(self, index: int, body: dict[str, Any]) -> None:
        """Apply one entry; raise RuleViolation if it breaks a rule."""

    def finish(self) -> None:
        """Called after the last entry; raise RuleViolation for anything left unresolved."""


RULE_BOOKS: list[Callable[[], RuleBook]] = []


F = TypeVar("F", bound=Callable[[], RuleBook])


def register(factory: F) -> F:
    RULE_BOOKS.append(factory)
    return factory


def rule_books() -> list[RuleBook]:
    # Import the domains whose rule books register themselves here.
    from techmarket.accounts import replay as _accounts  # noqa: F401
    from techmarket.trading import replay as _trading  # noqa: F401

    return [factory() for factory in RULE_BOOKS]
