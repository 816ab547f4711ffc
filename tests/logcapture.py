"""The process's log lines as it writes them (through ``logs.configure``'s handler, context
and redaction included), captured for a test."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from techmarket import logs


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, msg: str | None = None) -> list[dict[str, Any]]:
        """The lines written so far (those with message ``msg``)."""
        found = [json.loads(line) for line in self.text.splitlines()]
        return [line for line in found if msg is None or line["msg"] == msg]


@contextmanager
def captured_logs(level: str = "INFO") -> Iterator[Captured]:
    """Configure the process's logging as ``serve`` does, into a buffer, and put it back."""
    root = logging.getLogger()
    quiet = [logging.getLogger(name) for name in logs.QUIET]
    saved = root.handlers[:], root.level, [logger.level for logger in quiet]
    capture = Captured()
    logs.configure(level, capture.stream)
    try:
        yield capture
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for logger, level_before in zip(quiet, saved[2], strict=True):
            logger.setLevel(level_before)
