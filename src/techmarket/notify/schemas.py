"""What the inbox API reads and writes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from techmarket.notify.kinds import Kind


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Kind
    subject: str = Field(description='what it is about, as the ledger names it: "trade/12"')
    title: str
    body: str
    link: str = Field(description="the page of what it is about")
    ledger_index: int | None = Field(description="the ledger entry it tells of, if one")
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int = Field(description="how many notifications were unread and now are read")


class KindPreference(BaseModel):
    kind: Kind
    label: str = Field(description="the kind's name, in Chinese")
    email: bool = Field(description="e-mailed (the in-app inbox always receives every kind)")
    default: bool = Field(description="whether the kind is e-mailed unless one chooses")


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: dict[Kind, bool] = Field(
        description="per kind, whether to e-mail it; kinds left out keep their setting"
    )
