"""Payments received under a registered technology contract (实际到账). Either party
records a payment (date, amount, evidence reference); the other party confirms it; only
confirmed payments count as received, on the deal and in the statistics. Each step is a
ledger event about the trade (``payment.recorded``, ``payment.confirmed``) in the same
transaction; the evidence reference goes on the ledger as a salted commitment (it is the
parties' business), its amount and date openly (received amounts are public figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, NotYourOrg, Principal, authorize, may_see
from techmarket.errors import Conflict, DomainError, InvalidInput, NotFound
from techmarket.ledger import commitment
from techmarket.ledger import service as ledger
from techmarket.models.payment import ContractPayment
from techmarket.models.trade import Contract, Trade, TradeStatus
from techmarket.pagination import decode_cursor, next_cursor
from techmarket.trading.deals import ContractNotFound
from techmarket.trading.lifecycle import load
from techmarket.trading.payments import repository as repo
from techmarket.trading.rules import payments as rules
from techmarket.trading.rules.payments import Refusal


class ContractNotRegistered(Conflict):
    code = Refusal.not_registered.value
    title = "Payments are recorded once the contract is registered"


class NotAContractParty(NotYourOrg):
    code = Refusal.not_a_party.value
    title = "Only the contract's parties record and confirm its payments"


class PaymentNotPositive(InvalidInput):
    code = Refusal.not_positive.value
    title = "A payment is an amount above zero"


class OwnPayment(Conflict):
    code = Refusal.own_payment.value
    title = "The other party confirms a payment, not the one who recorded it"


class PaymentConfirmed(Conflict):
    code = Refusal.confirmed.value
    title = "The payment is confirmed already"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "No such payment"


REFUSALS: dict[Refusal, type[DomainError]] = {
    Refusal.not_registered: ContractNotRegistered,
    Refusal.not_a_party: NotAContractParty,
    Refusal.not_positive: PaymentNotPositive,
    Refusal.own_payment: OwnPayment,
    Refusal.confirmed: PaymentConfirmed,
}


@dataclass(frozen=True)
class Received:
    """A contract's money: contracted (the deal's price) against received (confirmed)."""

    trade_id: int
    contracted_fen: int
    received_fen: int
    awaiting_fen: int  # recorded, not yet confirmed


def _refuse(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise REFUSALS[refusal]()


def _parties(trade: Trade) -> tuple[int, int]:
    assert trade.buyer_org_id is not None  # a deal has its buyer
    return trade.seller_org_id, trade.buyer_org_id


async def _contract(
    session: AsyncSession, principal: Principal | None, trade_id: int, *, lock: bool = False
) -> tuple[Trade, Contract]:
    trade = await load(session, principal, trade_id, lock=lock)
    contract = await session.get(Contract, trade.id) if trade.status == TradeStatus.sold else None
    if contract is None:
        raise ContractNotFound()
    return trade, contract


async def record(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    amount_fen: int,
    received_on: date,
    evidence: str,
    now: datetime,
) -> tuple[ContractPayment, int]:
    """A party records a payment received under the registered contract; it counts once
    the other party confirms it."""
    trade, contract = await _contract(session, principal, trade_id, lock=True)
    authorize(principal, Action.contract_payment)
    parties = _parties(trade)
    registered = contract.registration_number is not None
    _refuse(rules.record_error(parties, registered, principal.org.id, amount_fen))
    payment = ContractPayment(
        trade_id=trade.id,
        amount_fen=amount_fen,
        received_on=received_on,
        evidence=evidence,
        evidence_salt=commitment.new_salt(),
        by_org_id=principal.org.id,
        to_org_id=rules.other_party(parties, principal.org.id),
        recorded_by=principal.user.id,
        recorded_at=now,
    )
    session.add(payment)
    await session.flush()
    index = await ledger.append(
        session,
        "payment.recorded",
        f"trade/{trade.id}",
        {
            "trade_id": trade.id,
            "payment_id": payment.id,
            "amount_fen": amount_fen,
            "received_on": received_on.isoformat(),
            "evidence_commitment": rules.evidence_commitment(evidence, payment.evidence_salt),
            "by_org_id": payment.by_org_id,
            "to_org_id": payment.to_org_id,
        },
        now,
    )
    return payment, index


async def confirm(
    session: AsyncSession, principal: Principal, trade_id: int, payment_id: int, now: datetime
) -> tuple[ContractPayment, int]:
    """The other party confirms a payment: from now on it counts as received."""
    trade, _ = await _contract(session, principal, trade_id, lock=True)
    authorize(principal, Action.contract_payment)
    payment = await session.get(ContractPayment, payment_id, with_for_update=True)
    if payment is None or payment.trade_id != trade.id:
        raise PaymentNotFound()
    state = rules.Payment(
        payment.by_org_id, payment.to_org_id, payment.amount_fen, payment.confirmed_at is not None
    )
    _refuse(rules.confirm_error(state, principal.org.id))
    payment.confirmed_by, payment.confirmed_at = principal.user.id, now
    index = await ledger.append(
        session,
        "payment.confirmed",
        f"trade/{trade.id}",
        {"trade_id": trade.id, "payment_id": payment.id, "by_org_id": principal.org.id},
        now,
    )
    return payment, index


async def payments(
    session: AsyncSession,
    principal: Principal | None,
    trade_id: int,
    cursor: str | None,
    limit: int,
) -> tuple[list[ContractPayment], str | None]:
    """A contract's payments in the order recorded, for anyone who may see the deal."""
    trade, _ = await _contract(session, principal, trade_id)
    found = await repo.contract_payments(session, trade.id, decode_cursor(cursor), limit)
    return found, next_cursor([p.id for p in found], limit)


async def received(session: AsyncSession, principal: Principal | None, trade_id: int) -> Received:
    """Contracted against received (confirmed payments only) and awaiting confirmation."""
    trade, _ = await _contract(session, principal, trade_id)
    confirmed, awaiting = await repo.totals(session, trade.id)
    return Received(trade.id, trade.price_fen or 0, confirmed, awaiting)


def sees_evidence(principal: Principal | None, payment: ContractPayment) -> bool:
    """The evidence reference is the parties' (and the operator's) to read."""
    return may_see(principal, payment.by_org_id, public=False) or may_see(
        principal, payment.to_org_id, public=False
    )
