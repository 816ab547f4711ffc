"""Deployment settings, read once from the environment (prefix ``TECHMARKET_``)."""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from techmarket import periods

# The shortest and longest notice or signing period a deployment may set: below a minute
# the scheduler (every few seconds) and the pages' countdowns could not keep it exactly.
MIN_PERIOD = timedelta(minutes=1)
MAX_PERIOD = timedelta(days=365)

# Variables that were renamed: refused at start, so that a deployment still setting one
# does not silently get the default instead.
RETIRED = {
    "TECHMARKET_NOTICE_PERIOD_DAYS": "TECHMARKET_NOTICE_PERIOD",
    "TECHMARKET_SIGNING_PERIOD_DAYS": "TECHMARKET_SIGNING_PERIOD",
}


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("techmarket", appauthor=False))


class Settings(BaseSettings):
    """Every knob of a deployment. Invalid values fail at start with a clear message."""

    model_config = SettingsConfigDict(env_prefix="TECHMARKET_", env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql+asyncpg://…). Unset: run an embedded server.",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    migrate_on_start: bool = True
    token_lifetime_minutes: int = Field(default=12 * 60, ge=1, le=60 * 24 * 90)
    login_free_failures: int = Field(
        default=5, ge=1, description="failed logins to one account from one address before delays"
    )
    login_free_failures_per_address: int = Field(
        default=20, ge=1, description="failed logins from one address before delays"
    )
    login_failure_window_seconds: int = Field(default=900, ge=1, le=86400)
    login_max_delay_seconds: int = Field(default=900, ge=1, le=86400)
    scheduler_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    notice_period: timedelta = Field(
        default=timedelta(days=15), description="public notice (公示), ISO 8601: P15D, PT2M"
    )
    signing_period: timedelta = Field(
        default=timedelta(days=30), description="for a winner to record the contract (P30D)"
    )
    signing_reminder: timedelta = Field(
        default=timedelta(days=3),
        description="how long before a deal's signing deadline both parties are reminded",
    )
    competing_auction_period: timedelta = Field(
        default=timedelta(days=1),
        description="how long the auction runs that competing offers on a notice turn it into",
    )
    competing_deposit_percent: int = Field(
        default=10, ge=0, le=100, description="a competing offer's deposit, % of the agreed price"
    )
    competing_increment_percent: int = Field(
        default=1, ge=1, le=100, description="that auction's increment, % of the agreed price"
    )
    ledger_origin: str = Field(default="techmarket.example/ledger", min_length=1)
    ledger_key_path: Path | None = Field(
        default=None, description="Ed25519 signer key file; default <data_dir>/ledger.key"
    )
    session_key_path: Path | None = Field(
        default=None,
        description="secret that signs the web pages' form tokens; default <data_dir>/session.key",
    )
    log_level: str = "INFO"
    ws_sockets_per_user: int = Field(default=10, ge=1, description="live auction sockets")
    ws_sockets_per_address: int = Field(
        default=100, ge=1, description="live auction sockets from one client address"
    )
    shutdown_grace_seconds: float = Field(
        default=8.0, gt=0, le=600, description="on SIGTERM, to drain the desk and sockets"
    )
    metrics_networks: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description="who may scrape /metrics: networks, comma-separated (10.0.0.0/8, ::1); "
        "unset: anyone",
    )
    received_threshold_fen: int = Field(
        default=200_000_000,
        ge=1,
        le=10**15,
        description="statistics count the contracts that received at least this (¥2,000,000)",
    )
    push_cap_per_day: int = Field(
        default=20,
        ge=0,
        le=10_000,
        description="subscription pushes told at once per user per day; the rest wait for "
        "the user's daily digest",
    )
    public_url: str | None = Field(
        default=None,
        description="where people reach the pages, for links in e-mails "
        "(https://market.example); default http://<host>:<port>",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="e-mail notifications: smtp://user:pass@host:587?starttls=true or "
        "smtps://user:pass@host:465; unset: no e-mail",
    )
    smtp_from: str = Field(default="techmarket <noreply@techmarket.example>", min_length=3)
    webhook_allow_private: bool = Field(
        default=False,
        description="let webhooks reach loopback and private addresses (tests, closed networks)",
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value():
            return None
        if not url.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("must be smtp://… or smtps://…")
        return url

    @field_validator("public_url")
    @classmethod
    def _http_base(cls, url: str | None) -> str | None:
        if not url:
            return None
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address")
        return url.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        if url is None or url == "":
            return None
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url.removeprefix(prefix)
        if not url.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a PostgreSQL URL (postgresql://… or postgresql+asyncpg://…)")
        return url

    @field_validator(
        "notice_period",
        "signing_period",
        "signing_reminder",
        "competing_auction_period",
        mode="before",
    )
    @classmethod
    def _iso_duration(cls, value: Any) -> Any:
        # Only ISO 8601 text: a bare number ("15") would be read as seconds.
        return periods.parse(value) if isinstance(value, str) else value

    @field_validator(
        "notice_period", "signing_period", "signing_reminder", "competing_auction_period"
    )
    @classmethod
    def _bounded(cls, period: timedelta) -> timedelta:
        if not MIN_PERIOD <= period <= MAX_PERIOD:
            raise ValueError(
                f"{periods.iso(period)} is outside {periods.iso(MIN_PERIOD)} "
                f"to {periods.iso(MAX_PERIOD)}"
            )
        return period

    @model_validator(mode="after")
    def _no_retired_variables(self) -> Settings:
        for old, new in RETIRED.items():
            if old in os.environ:
                raise ValueError(f"{old} was renamed: set {new} as an ISO 8601 duration (P15D)")
        return self

    @field_validator("ledger_origin")
    @classmethod
    def _one_line(cls, origin: str) -> str:
        if "\n" in origin or origin != origin.strip():
            raise ValueError("must be a single line without surrounding spaces")
        return origin

    @field_validator("metrics_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        names = [name.strip() for name in value.split(",") if name.strip()]
        try:  # an address alone is a network of one
            return [ipaddress.ip_network(name, strict=False) for name in names]
        except ValueError as exc:
            raise ValueError(f"must be networks separated by commas: {exc}") from None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        level = level.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @property
    def signing_key_path(self) -> Path:
        return self.ledger_key_path or self.data_dir / "ledger.key"

    @property
    def session_secret_path(self) -> Path:
        return self.session_key_path or self.data_dir / "session.key"

    @property
    def pages_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
