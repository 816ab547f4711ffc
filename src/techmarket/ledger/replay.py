"""Business-rule replay: the verifier feeds every entry to each rule book it is handed
(``techmarket.audit.rule_books``), which re-derives the business state from the ledger
alone and reports any event that the platform's rules would not have allowed. The ledger
knows no domain: the rule books depend on it, never the other way round."""

from __future__ import annotations

from typing import Any, Protocol


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
