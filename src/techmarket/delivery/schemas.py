"""Webhook endpoints and their delivery log on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from techmarket.models.delivery import URL_LENGTH
from techmarket.notify.kinds import Kind
from techmarket.types import Line


class WebhookCreate(BaseModel):
    url: Line = Field(min_length=8, max_length=URL_LENGTH, description="http:// or https://")
    kinds: list[Kind] = Field(
        min_length=1, max_length=len(Kind), description="the kinds of notification sent"
    )


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    kinds: list[str]
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="whsec_…: verifies the signatures; shown only now, keep it safe"
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status_code: int | None
    error: str | None


class DeliveryRead(BaseModel):
    id: int
    webhook_id: str = Field(description="the webhook-id header: the same on every attempt")
    kind: str
    title: str
    status: str = Field(description="pending, sent or failed (given up)")
    attempts: list[AttemptRead]
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
