"""Payments received on the wire."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from techmarket.types import Fen, Line


class PaymentCreate(BaseModel):
    amount_fen: Fen
    received_on: date = Field(description="the day the money arrived (到账日期)")
    evidence: Line = Field(
        min_length=1, max_length=200, description="evidence reference, e.g. the bank slip's number"
    )


class PaymentRead(BaseModel):
    id: int
    trade_id: int
    amount_fen: int
    received_on: date
    evidence: str | None = Field(description="for the contract's parties and the operator only")
    by_org_id: int = Field(description="the party who recorded it")
    to_org_id: int = Field(description="the party who confirms it")
    recorded_at: datetime
    confirmed: bool
    confirmed_at: datetime | None


class PaymentRecorded(PaymentRead):
    ledger_index: int = Field(description="the payment.recorded or payment.confirmed entry")


class ReceivedRead(BaseModel):
    """A contract's money: contracted against received (confirmed payments only)."""

    trade_id: int
    contracted_fen: int
    received_fen: int
    awaiting_confirmation_fen: int
