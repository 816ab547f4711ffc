"""Payments received over HTTP: ``/api/v1/trades/{id}/contract/payments`` and
``/api/v1/trades/{id}/contract/received``."""

from __future__ import annotations

from fastapi import APIRouter, status

from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Anyone, Now, Verified
from techmarket.listings.router import Limit
from techmarket.models.payment import ContractPayment
from techmarket.pagination import DEFAULT_LIMIT, Page
from techmarket.trading.payments import service
from techmarket.trading.payments.schemas import (
    PaymentCreate,
    PaymentRead,
    PaymentRecorded,
    ReceivedRead,
)
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1/trades/{trade_id}/contract", tags=["trades"])


def payment_read(p: ContractPayment, viewer: Principal | None) -> PaymentRead:
    return PaymentRead(
        id=p.id,
        trade_id=p.trade_id,
        amount_fen=p.amount_fen,
        received_on=p.received_on,
        evidence=p.evidence if service.sees_evidence(viewer, p) else None,
        by_org_id=p.by_org_id,
        to_org_id=p.to_org_id,
        recorded_at=p.recorded_at,
        confirmed=p.confirmed_at is not None,
        confirmed_at=p.confirmed_at,
    )


@router.post("/payments", response_model=PaymentRecorded, status_code=status.HTTP_201_CREATED)
async def record_payment(
    trade_id: Id, data: PaymentCreate, session: Session, principal: Verified, now: Now
) -> PaymentRecorded:
    """A party records a payment received under the registered contract (实际到账); it
    counts as received once the other party confirms it."""
    payment, index = await service.record(
        session, principal, trade_id, data.amount_fen, data.received_on, data.evidence, now
    )
    return PaymentRecorded(**payment_read(payment, principal).model_dump(), ledger_index=index)


@router.post("/payments/{payment_id}/confirm", response_model=PaymentRecorded)
async def confirm_payment(
    trade_id: Id, payment_id: Id, session: Session, principal: Verified, now: Now
) -> PaymentRecorded:
    """The other party confirms a payment (never the one who recorded it)."""
    payment, index = await service.confirm(session, principal, trade_id, payment_id, now)
    return PaymentRecorded(**payment_read(payment, principal).model_dump(), ledger_index=index)


@router.get("/payments", response_model=Page[PaymentRead])
async def list_payments(
    trade_id: Id,
    session: Session,
    principal: Anyone,
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PaymentRead]:
    """The contract's payments in the order recorded, confirmed or awaiting confirmation."""
    found, more = await service.payments(session, principal, trade_id, cursor, limit)
    return Page(items=[payment_read(p, principal) for p in found], next_cursor=more)


@router.get("/received", response_model=ReceivedRead)
async def get_received(trade_id: Id, session: Session, principal: Anyone) -> ReceivedRead:
    """Contracted against received: only confirmed payments count."""
    r = await service.received(session, principal, trade_id)
    return ReceivedRead(
        trade_id=r.trade_id,
        contracted_fen=r.contracted_fen,
        received_fen=r.received_fen,
        awaiting_confirmation_fen=r.awaiting_fen,
    )
