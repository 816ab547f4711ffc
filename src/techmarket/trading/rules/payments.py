"""Payments received under a technology contract (实际到账): pure, no I/O; the service and
the ledger replay use it.

Either party records a payment once the contract is registered; the other party, and only
it, confirms it, once; only confirmed payments count as received."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class Refusal(StrEnum):
    """Why a payment may not be recorded or confirmed (each a stable error code)."""

    not_registered = "contract_not_registered"
    not_a_party = "not_a_contract_party"
    not_positive = "payment_not_positive"
    own_payment = "own_payment"
    confirmed = "payment_confirmed"


@dataclass(frozen=True)
class Payment:
    by_org_id: int  # the party who recorded it
    to_org_id: int  # the other party, who confirms it
    amount_fen: int
    confirmed: bool = False


def record_error(
    parties: tuple[int, int], registered: bool, by_org_id: int, amount_fen: object
) -> Refusal | None:
    """Why ``by_org_id`` may not record a payment of ``amount_fen``, or None (the replay
    hands in whatever the ledger holds)."""
    if by_org_id not in parties:
        return Refusal.not_a_party
    if not registered:
        return Refusal.not_registered
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        return Refusal.not_positive
    return None


def other_party(parties: tuple[int, int], by_org_id: int) -> int:
    """The party who confirms a payment ``by_org_id`` recorded."""
    seller, buyer = parties
    return buyer if by_org_id == seller else seller


def confirm_error(payment: Payment, by_org_id: int) -> Refusal | None:
    """Why ``by_org_id`` may not confirm ``payment``, or None."""
    if by_org_id == payment.by_org_id:
        return Refusal.own_payment
    if by_org_id != payment.to_org_id:
        return Refusal.not_a_party
    if payment.confirmed:
        return Refusal.confirmed
    return None


def received_fen(payments: list[Payment]) -> int:
    """What a contract has received: its confirmed payments."""
    return sum(p.amount_fen for p in payments if p.confirmed)


def evidence_commitment(evidence: str, salt: str) -> str:
    """The ledger's commitment to a payment's evidence reference (the parties' business
    until one of them shows it, with its salt, to an auditor): the hex SHA-256 of the UTF-8
    text ``<evidence>:<salt>``."""
    return hashlib.sha256(f"{evidence}:{salt}".encode()).hexdigest()
