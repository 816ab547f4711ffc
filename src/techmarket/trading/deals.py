"""Deals: concluded trades, their technology contracts and contract registration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, NotYourOrg, Principal, authorize
from techmarket.errors import Conflict, NotFound
from techmarket.listings import achievements
from techmarket.models.trade import Contract, PaymentTerms, Trade, TradeStatus
from techmarket.trading.auctions import load, record_event


class NotADeal(Conflict):
    code = "not_a_deal"
    title = "Only a concluded trade has a contract"


class ContractNotFound(NotFound):
    code = "contract_not_found"
    title = "No contract recorded yet"


async def _party_to_deal(session: AsyncSession, principal: Principal, trade_id: int) -> Trade:
    trade = await load(session, principal, trade_id, lock=True)
    if trade.status != TradeStatus.sold:
        raise NotADeal(f"the trade is {trade.status}")
    if principal.org.id not in (trade.seller_org_id, trade.buyer_org_id):
        raise NotYourOrg("only the seller and the buyer record the contract")
    authorize(principal, Action.contract_record)
    return trade


async def record_contract(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    contract_number: str,
    signed_on: date,
    payment_terms: PaymentTerms,
    now: datetime,
) -> tuple[Contract, int]:
    """The parties' technology contract (合同编号, signing date, payment terms)."""
    trade = await _party_to_deal(session, principal, trade_id)
    if await session.get(Contract, trade.id) is not None:
        raise Conflict("the contract of this deal is recorded already")
    contract = Contract(
        trade_id=trade.id,
        contract_number=contract_number,
        signed_on=signed_on,
        payment_terms=payment_terms,
        recorded_by=principal.user.id,
        recorded_at=now,
    )
    session.add(contract)
    await session.flush()
    await achievements.move_out_of_trade(session, trade.achievement_id, True, now)  # transferred
    index = await record_event(
        session,
        trade,
        "trade.contract_recorded",
        {
            "contract_number": contract_number,
            "signed_on": signed_on.isoformat(),
            "payment_terms": payment_terms.value,
            "by_org_id": principal.org.id,
        },
        now,
    )
    return contract, index


async def register_contract(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    registration_number: str,
    registered_on: date,
    now: datetime,
) -> tuple[Contract, int]:
    """Its registration with the technology contract registry (技术合同认定登记)."""
    trade = await _party_to_deal(session, principal, trade_id)
    contract = await session.get(Contract, trade.id, with_for_update=True)
    if contract is None:
        raise ContractNotFound()
    if contract.registration_number is not None:
        raise Conflict("the contract is registered already")
    contract.registration_number, contract.registered_on = registration_number, registered_on
    index = await record_event(
        session,
        trade,
        "trade.contract_registered",
        {"registration_number": registration_number, "registered_on": registered_on.isoformat()},
        now,
    )
    return contract, index
