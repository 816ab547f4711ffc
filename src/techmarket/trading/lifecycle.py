"""The trade lifecycle service, for every mode: load a trade, record its events (ledger
and watchers), open it (with the seller's TTO approval), approve or reject it, register
bidders."""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import periods
from techmarket.accounts.policy import Action, Principal, authorize, may_see
from techmarket.brokers.rules import ObjectKind
from techmarket.errors import Conflict, Forbidden, InvalidInput, NotFound
from techmarket.ledger import commitment
from techmarket.ledger import service as ledger
from techmarket.listings import achievements
from techmarket.listings import lifecycle as listing_lifecycle
from techmarket.models.listing import AchievementStatus
from techmarket.models.trade import DepositStatus, Registration, Trade, TradeMode, TradeStatus
from techmarket.trading import broadcast
from techmarket.trading import repository as repo
from techmarket.trading.rules import commitments
from techmarket.trading.schemas import AuctionCreate, ListedCreate
from techmarket.types import wire_time

ALIAS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class TradeNotFound(NotFound):
    code = "trade_not_found"
    title = "Trade not found"


class TradeNotOpen(Conflict):
    code = "not_open"
    title = "The trade is not open"


class OwnTrade(Forbidden):
    code = "own_trade"
    title = "The seller's organisation cannot take part in its own trade"


class RegistrationClosed(Conflict):
    code = "registration_closed"
    title = "Registration for this auction has closed"


class RelistTooLow(InvalidInput):
    code = "relist_too_low"
    title = "A relisting may start at most 20% below the unsold one"


# After 流拍, a re-auction (or relisting) may start at most this far below the last start.
RELIST_FLOOR = 0.8


def starting_price(terms: dict[str, Any]) -> int:
    return int(terms.get("start_price_fen") or terms["listed_price_fen"])


async def _check_relisting(session: AsyncSession, achievement_id: int, start_fen: int) -> None:
    previous = await repo.last_unsold(session, achievement_id)
    if previous is None:
        return
    floor = math.ceil(starting_price(previous.terms) * RELIST_FLOOR)
    if start_fen < floor:
        raise RelistTooLow(
            f"the last unsold trade started at {starting_price(previous.terms)}; "
            f"start at {floor} or more"
        )


class AlreadyRegistered(Conflict):
    code = "already_registered"
    title = "Already registered for this auction"


class WrongMode(Conflict):
    """Bidders register for auctions (``/registrations``), buyers their intent on listings
    (``/intents``): the same registration, named as each mode names it."""

    code = "wrong_mode"
    title = "Register to bid on an auction, or an intent to buy on a listing"


class NotPublished(Conflict):
    code = "not_published"
    title = "Only a published achievement can be traded"


class EndsInPast(InvalidInput):
    code = "ends_in_past"
    title = "The trade must end in the future"


class NotPendingApproval(Conflict):
    code = "not_pending_approval"
    title = "The trade is not awaiting its TTO's approval"


def public_terms(data: AuctionCreate, holders: list[dict[str, Any]]) -> dict[str, Any]:
    """The auction's terms as everyone sees them: the priority holders only as
    commitments (revealed at the close), so that no alias can be tied to a name."""
    return {
        "start_price_fen": data.start_price_fen,
        "increment_fen": data.increment_fen,
        "deposit_fen": data.deposit_fen,
        "registration_deadline": wire_time(data.registration_deadline),
        "starts_at": wire_time(data.starts_at),
        "ends_at": wire_time(data.ends_at),
        "extension_seconds": data.extension_seconds,
        "priority_holder_commitments": sorted(
            commitments.holder(h["org_id"], h["salt"]) for h in holders
        ),
    }


def revealed_at_close(trade: Trade) -> bool:
    """Whether the close has revealed the trade's secrets (reserve, priority holders)."""
    return trade.status in (TradeStatus.sold, TradeStatus.unsold, TradeStatus.defaulted)


def priority_holders_seen_by(viewer: Principal | None, trade: Trade) -> list[int]:
    """The priority-right holders ``viewer`` may know of: all of them once the close
    revealed them, and to the seller who named them (and the operator); before that a
    holder knows only itself."""
    holders = sorted(h["org_id"] for h in trade.priority_holders)
    if may_see(viewer, trade.seller_org_id, public=revealed_at_close(trade)):
        return holders
    return [viewer.org.id] if viewer is not None and viewer.org.id in holders else []


async def release_deposits(
    session: AsyncSession, trade: Trade, registrations: list[Registration], now: datetime
) -> None:
    """Give back every deposit held for a trade that ends without a sale (withdrawn, or
    cancelled on an upheld objection), each release on the ledger."""
    for registration in registrations:
        registration.deposit_status = DepositStatus.released
        deposit = {"alias": registration.alias, "deposit_fen": registration.deposit_fen}
        await record_event(session, trade, "trade.deposit", {**deposit, "deposit": "released"}, now)


def _numbered(trade: Trade, data: dict[str, Any]) -> dict[str, Any]:
    """A trade event's body: numbered in the trade's own sequence."""
    trade.seq += 1
    return {"trade_id": trade.id, "seq": trade.seq, **data}


async def record_event(
    session: AsyncSession, trade: Trade, type_: str, data: dict[str, Any], now: datetime
) -> int:
    """A trade event: numbered in the trade's own sequence and appended to the ledger in
    the caller's transaction now. Returns the ledger index."""
    return await ledger.append(session, type_, f"trade/{trade.id}", _numbered(trade, data), now)


async def open_trade(session: AsyncSession, trade: Trade, now: datetime) -> int:
    """The trade opens (after its TTO approval where needed): its terms on the ledger."""
    trade.status = TradeStatus.listed if trade.mode == TradeMode.listed else TradeStatus.open
    return await record_event(
        session,
        trade,
        "trade.opened",
        {
            "achievement_id": trade.achievement_id,
            "seller_org_id": trade.seller_org_id,
            "buyer_org_id": trade.buyer_org_id,
            "mode": str(trade.mode),
            "terms": trade.terms,
            "reserve_commitment": trade.reserve_commitment,
        },
        now,
    )


async def open_or_submit(
    session: AsyncSession, principal: Principal, trade: Trade, now: datetime
) -> int:
    """A new trade opens, or at universities and institutes waits for its TTO, who is told
    of it from the ledger: the entry says only what awaits approval (its terms are not
    public before)."""
    if principal.org.kind not in listing_lifecycle.NEEDS_TTO_APPROVAL:
        return await open_trade(session, trade, now)
    return await record_event(
        session,
        trade,
        "trade.submitted",
        {
            "achievement_id": trade.achievement_id,
            "seller_org_id": trade.seller_org_id,
            "mode": str(trade.mode),
        },
        now,
    )


async def create(
    session: AsyncSession,
    principal: Principal,
    data: AuctionCreate | ListedCreate,
    signing_period: timedelta,
    now: datetime,
) -> tuple[Trade, int | None]:
    """The seller opens an auction, or a listing at a fixed price, on its own published
    achievement; universities and institutes first need their TTO's approval."""
    achievement = await achievements.load(session, principal, data.achievement_id, lock=True)
    authorize(principal, Action.trade_open, achievement.org_id)
    if achievement.status != AchievementStatus.published:
        raise NotPublished(f"the achievement is {achievement.status}, not published")
    holders: list[dict[str, Any]] = []
    if isinstance(data, ListedCreate):
        mode, ends_at, reserve, terms = (
            TradeMode.listed,
            data.listing_ends_at,
            None,
            data.model_dump(mode="json", exclude={"achievement_id", "mode"}),
        )
    else:
        holders = [
            {"org_id": org_id, "salt": commitment.new_salt()}
            for org_id in sorted(set(data.priority_holder_org_ids))
        ]
        mode, ends_at, reserve, terms = (
            TradeMode.auction,
            data.ends_at,
            data.reserve_fen,
            public_terms(data, holders),
        )
    if ends_at <= now:
        raise EndsInPast()
    terms = {**terms, "signing_period": periods.iso(signing_period)}  # to sign, or forfeit
    await _check_relisting(session, achievement.id, starting_price(terms))
    salt = commitment.new_salt()
    trade = Trade(
        achievement_id=achievement.id,
        seller_org_id=achievement.org_id,
        mode=mode,
        status=TradeStatus.pending_approval,
        terms=terms,
        reserve_fen=reserve,
        reserve_salt=salt,
        reserve_commitment=commitments.reserve(reserve, salt),
        priority_holders=holders,
        ends_at=ends_at,
        seq=0,
        created_by=principal.user.id,
        created_at=now,
    )
    session.add(trade)
    await session.flush()
    await achievements.move_into_trade(session, principal, achievement, now)
    return trade, await open_or_submit(session, principal, trade, now)


# Trades the TTO has not approved (yet, or ever): for the seller and the operator only.
HIDDEN = frozenset({TradeStatus.pending_approval, TradeStatus.rejected})


def mandate_objects(trade: Trade) -> list[tuple[ObjectKind, int]]:
    """What an action on ``trade`` is on, for a mandate: the trade and its achievement."""
    return [(ObjectKind.trade, trade.id), (ObjectKind.achievement, trade.achievement_id)]


def visible(principal: Principal | None, trade: Trade) -> bool:
    return may_see(principal, trade.seller_org_id, public=trade.status not in HIDDEN)


async def load(
    session: AsyncSession, principal: Principal | None, trade_id: int, *, lock: bool = False
) -> Trade:
    """A trade ``principal`` (None: anyone) may see. The others do not exist for it, by
    every verb: "not yours" and "not found" are the same 404, whatever state it is in."""
    trade = await repo.get_trade(session, trade_id, lock=lock)
    if trade is None or not visible(principal, trade):
        raise TradeNotFound()
    return trade


async def awaiting_approval(
    session: AsyncSession, principal: Principal, limit: int
) -> list[tuple[Trade, str, str | None]]:
    """The trades the caller, its organisation's TTO, has to approve or decline, with the
    achievement's title and the named buyer (agreements)."""
    authorize(principal, Action.listing_approve, principal.org.id)
    return await repo.awaiting_approval(session, principal.org.id, limit)


async def approve(
    session: AsyncSession, principal: Principal, trade_id: int, now: datetime
) -> tuple[Trade, int]:
    trade = await load(session, principal, trade_id, lock=True)
    authorize(principal, Action.listing_approve, trade.seller_org_id)
    if trade.status != TradeStatus.pending_approval:
        raise NotPendingApproval(f"the trade is {trade.status}")
    trade.approved_by = principal.user.id
    await record_event(session, trade, "trade.approved", {"by_user_id": principal.user.id}, now)
    return trade, await open_trade(session, trade, now)


async def reject(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    now: datetime,
    reason: str | None = None,
) -> tuple[Trade, int]:
    """The seller's TTO declines mode or price (ledgered); the achievement is on offer
    again. The reason is internal (as an achievement's rejection): it goes in the
    achievement's history, not on the public ledger."""
    trade = await load(session, principal, trade_id, lock=True)
    authorize(principal, Action.listing_approve, trade.seller_org_id)
    if trade.status != TradeStatus.pending_approval:
        raise NotPendingApproval(f"the trade is {trade.status}")
    trade.status, trade.closed_at = TradeStatus.rejected, now
    if trade.mode != TradeMode.express_licence:  # a non-exclusive offer leaves it on offer
        await achievements.move_out_of_trade(
            session,
            trade.achievement_id,
            False,
            now,
            by=principal,
            reason=f"trade declined: {reason}" if reason else "trade declined",
        )
    index = await record_event(
        session, trade, "trade.rejected", {"by_user_id": principal.user.id}, now
    )
    return trade, index


async def register(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    now: datetime,
    mode: TradeMode | None = None,
) -> tuple[Registration, int]:
    """A verified organisation registers to bid (or, on a listing, its intent to buy): its
    deposit is held, it gets an alias. ``mode``: the kind of trade the caller means."""
    trade = await load(session, principal, trade_id, lock=True)
    authorize(principal, Action.trade_register, objects=mandate_objects(trade))
    if mode is not None and trade.mode != mode:
        raise WrongMode(f"trade {trade.id} is a trade by {trade.mode}, not by {mode}")
    if principal.org.id == trade.seller_org_id:
        raise OwnTrade()
    if trade.status not in (TradeStatus.open, TradeStatus.listed) or trade.mode not in (
        TradeMode.auction,
        TradeMode.listed,
    ):
        raise TradeNotOpen(f"the trade is {trade.status}")
    deadline = trade.terms.get("registration_deadline") or trade.terms["listing_ends_at"]
    if now > datetime.fromisoformat(deadline):
        raise RegistrationClosed()
    if trade.terms.get("converted_from") == "agreement":  # from its notice's competitors only
        raise RegistrationClosed("only the buyer and the competing bidders take part")
    taken = await repo.registrations(session, trade.id)
    if any(r.org_id == principal.org.id for r in taken):
        raise AlreadyRegistered()
    aliases = {r.alias for r in taken}
    alias = new_alias(aliases)
    holder = next((h for h in trade.priority_holders if h["org_id"] == principal.org.id), None)
    registration = Registration(
        trade_id=trade.id,
        org_id=principal.org.id,
        alias=alias,
        deposit_fen=trade.terms["deposit_fen"],
        deposit_status=DepositStatus.held,
        priority_right=holder is not None,
        registered_at=now,
        **principal.on_behalf,
    )
    session.add(registration)
    await session.flush()
    index = await record_event(
        session,
        trade,
        "trade.registered",
        {
            "alias": alias,
            "deposit_fen": registration.deposit_fen,
            "deposit": "held",
            # Which committed holder this alias is, without saying who (opened at close).
            "priority_commitment": (
                commitments.holder(holder["org_id"], holder["salt"]) if holder else None
            ),
            **principal.on_behalf,
        },
        now,
    )
    return registration, index


def new_alias(taken: set[str]) -> str:
    """A fresh bidder's alias (竞买号), none of ``taken``."""
    while True:
        alias = "".join(secrets.choice(ALIAS_ALPHABET) for _ in range(4))
        if alias not in taken:
            return alias


class Journal:
    """The trade events of one transaction, on one trade or several: staged as they
    happen, then ``write`` ledgers them all at once (the ledger's head lock is taken
    there: write last, just before commit) and queues one notification for the watchers
    of every trade it touched, which PostgreSQL delivers at commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.appender = ledger.Appender(session)
        self._told: list[tuple[Trade, str, dict[str, Any], ledger.Staged]] = []

    def record(
        self, trade: Trade, event_type: str, data: dict[str, Any], now: datetime
    ) -> ledger.Staged:
        body = _numbered(trade, data)
        staged = self.appender.add(event_type, f"trade/{trade.id}", body, now)
        self._told.append((trade, event_type, body, staged))
        return staged

    async def write(self) -> None:
        await broadcast.queue(self.session, await self.write_ledger())

    async def write_ledger(self) -> list[str]:
        """Ledger the events, and return the notification payloads for their watchers,
        which the caller queues itself (in its last statement before commit)."""
        await self.appender.write()
        messages: dict[int, list[dict[str, Any]]] = {}
        for trade, event_type, body, staged in self._told:
            msg = broadcast.message(event_type, body, staged.at, staged.index)
            if msg is not None:
                messages.setdefault(trade.id, []).append(msg)
        self._told = []
        return broadcast.payloads(messages)


class TradeEvents:
    """The events of one operation on one trade, in a journal of their own (written by
    ``done``) or in the transaction's shared ``journal`` (written by its owner)."""

    def __init__(
        self, session: AsyncSession, trade: Trade, now: datetime, journal: Journal | None = None
    ) -> None:
        self.session, self.trade, self.now = session, trade, now
        self._own = journal is None
        self.journal = journal or Journal(session)

    def record(self, event_type: str, data: dict[str, Any]) -> ledger.Staged:
        return self.journal.record(self.trade, event_type, data, self.now)

    async def done(self) -> None:
        """Write the events, unless the transaction's shared journal does."""
        if self._own:
            await self.journal.write()
