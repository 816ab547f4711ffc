"""Payments received under a registered technology contract (实际到账)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base


class ContractPayment(Base):
    """A payment one party records and the other confirms; only confirmed payments count
    as received."""

    __tablename__ = "contract_payments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("contracts.trade_id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column()
    evidence: Mapped[str] = mapped_column(String(200))  # e.g. the bank transfer's number
    evidence_salt: Mapped[str] = mapped_column(String(64))  # the ledger holds a commitment
    by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # who confirms
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
