"""Notice and signing periods are ISO 8601 durations, bounded, refused clearly at start."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from techmarket import periods
from techmarket.cli import app
from techmarket.config import Settings


def test_periods_default_to_fifteen_and_thirty_days() -> None:
    settings = Settings()
    assert (settings.notice_period, settings.signing_period) == (
        timedelta(days=15),
        timedelta(days=30),
    )


def test_periods_are_read_as_iso_8601_durations(env: Callable[..., None]) -> None:
    env(notice_period="PT2M", signing_period="P1DT12H")
    settings = Settings()
    assert settings.notice_period == timedelta(minutes=2)
    assert settings.signing_period == timedelta(days=1, hours=12)
    assert periods.iso(settings.notice_period) == "PT2M"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("15", "not an ISO 8601 duration"),  # a bare number is not days (nor seconds)
        ("P1M", "years and months vary"),
        ("PT30S", "PT30S is outside PT1M to P365D"),  # shorter than the minimum
        ("P400D", "outside PT1M to P365D"),
        ("-P1D", "outside PT1M to P365D"),
    ],
)
def test_a_period_out_of_bounds_or_not_a_duration_is_refused(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        Settings(notice_period=value)
    assert refused.value.errors()[0]["loc"] == ("notice_period",)


def test_the_retired_day_counts_stop_the_start(env: Callable[..., None]) -> None:
    env(notice_period_days="30")
    with pytest.raises(ValidationError, match="TECHMARKET_NOTICE_PERIOD_DAYS was renamed"):
        Settings()


def test_the_command_line_names_the_variable(env: Callable[..., None]) -> None:
    env(signing_period="PT10S")
    result = CliRunner().invoke(app, ["db", "current"])
    assert result.exit_code == 2
    assert "TECHMARKET_SIGNING_PERIOD" in result.output
    assert "outside PT1M to P365D" in result.output
