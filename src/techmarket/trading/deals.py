"""Deals: concluded trades, their technology contracts and contract registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, NotYourOrg, Principal, authorize
from techmarket.errors import Conflict, NotFound
from techmarket.ledger import service as ledger
from techmarket.listings import achievements
from techmarket.models.trade import Contract, PaymentTerms, Trade, TradeMode, TradeStatus
from techmarket.trading import repository as repo
from techmarket.trading.lifecycle import load, record_event
from techmarket.trading.rules import auction


class DealNotFound(NotFound):
    code = "deal_not_found"
    title = "Deal not found"


@dataclass(frozen=True)
class Deal:
    """A concluded trade as its page shows it: the parties, the contract and its
    registration, the winner's signing deadline, and the ledger entries of each step."""

    trade: Trade
    title: str
    seller: str
    buyer: str
    contract: Contract | None
    signing_deadline: datetime | None  # an auction's or listing's winner must sign by then
    milestones: dict[str, ledger.Event]

    def is_party(self, org_id: int | None) -> bool:
        return org_id in (self.trade.seller_org_id, self.trade.buyer_org_id)


DEAL_EVENTS = (
    "trade.express_taken",  # an express licence's deal: concluded, its contract generated
    "trade.closed",
    "trade.concluded",
    "trade.contract_recorded",
    "trade.contract_registered",
)


async def deal(session: AsyncSession, principal: Principal | None, trade_id: int) -> Deal:
    """A deal, for anyone (what it shows is on the public ledger already)."""
    trade = await load(session, principal, trade_id)
    if trade.status != TradeStatus.sold:
        raise DealNotFound()
    title, seller, buyer = await repo.trade_names(session, trade)
    contract = await session.get(Contract, trade.id)
    deadline = None
    if trade.mode in (TradeMode.auction, TradeMode.listed) and trade.closed_at is not None:
        deadline = trade.closed_at + auction.signing_period(trade.terms)
    events = await ledger.events_about(session, [f"trade/{trade.id}"], DEAL_EVENTS)
    return Deal(trade, title, seller, buyer or "", contract, deadline, {e.type: e for e in events})


class NotADeal(Conflict):
    code = "not_a_deal"
    title = "Only a concluded trade has a contract"


class ContractNotFound(NotFound):
    code = "contract_not_found"
    title = "No contract recorded yet"


class ContractRecorded(Conflict):
    code = "contract_recorded"
    title = "The contract of this deal is recorded already"


class ContractRegistered(Conflict):
    code = "contract_registered"
    title = "The contract is registered already"


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
        raise ContractRecorded()
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
        raise ContractRegistered()
    contract.registration_number, contract.registered_on = registration_number, registered_on
    index = await record_event(
        session,
        trade,
        "trade.contract_registered",
        {"registration_number": registration_number, "registered_on": registered_on.isoformat()},
        now,
    )
    return contract, index
