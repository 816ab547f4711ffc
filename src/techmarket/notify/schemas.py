"""What the inbox API reads and writes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from techmarket.notify.kinds import Kind


class PushReason(BaseModel):
    code: str = Field(
        description="a matching reason's code, as matches give them, or your_achievement / "
        "your_demand: which of the recipient's own listings it matched"
    )
    detail: str


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Kind
    subject: str = Field(description='what it is about, as the ledger names it: "trade/12"')
    title: str
    body: str
    link: str = Field(description="the page of what it is about")
    ledger_index: int | None = Field(description="the ledger entry it tells of, if one")
    reasons: list[PushReason] = Field(
        description="why a pushed listing matched (the matching engine's reasons); else empty"
    )
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int = Field(description="how many notifications were unread and now are read")


class Preferences(BaseModel):
    """Per kind: whether it is e-mailed to the caller (the in-app inbox always receives
    every kind), its Chinese name, and whether it is e-mailed unless one chooses."""

    email: dict[Kind, bool]
    labels: dict[Kind, str]
    defaults: dict[Kind, bool]


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: dict[Kind, bool] = Field(
        description="per kind, whether to e-mail it; kinds left out keep their setting"
    )
