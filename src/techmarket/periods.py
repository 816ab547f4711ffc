"""Periods (notice, signing) as ISO 8601 durations: ``P15D``, ``PT2M``, ``P1DT12H``.

Years and months are refused: their length depends on the calendar, and a period must
end at one exact instant that the ledger's verifier can recompute."""

from __future__ import annotations

from datetime import timedelta

import isodate


def parse(text: str) -> timedelta:
    """An ISO 8601 duration in weeks, days, hours, minutes or seconds; ValueError else."""
    try:
        found = isodate.parse_duration(text.strip())
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as P15D or PT2M") from exc
    if not isinstance(found, timedelta):
        raise ValueError(f"{text!r}: give days, hours or minutes (years and months vary)")
    return found


def iso(period: timedelta) -> str:
    """The ISO 8601 text of a period (``P15D``, ``PT2M``)."""
    return str(isodate.duration_isoformat(period))
