"""Fixtures of the broker tests: the trading tests' in-process app (HTTP and websockets)."""

from tests.trading.conftest import in_process

__all__ = ["in_process"]
