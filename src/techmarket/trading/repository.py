"""SQL for trades, registrations, bids and bid request outcomes."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    all_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, INTERVAL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from techmarket.listings import repository as listings
from techmarket.models.ledger import LedgerEntry
from techmarket.models.listing import Achievement
from techmarket.models.org import Organisation
from techmarket.models.trade import (
    Bid,
    BidRequest,
    CompetingOffer,
    Contract,
    Objection,
    ObjectionState,
    ObjectionStatus,
    Offer,
    Registration,
    Trade,
    TradeMode,
    TradeStatus,
)


async def get_trade(session: AsyncSession, trade_id: int, *, lock: bool = False) -> Trade | None:
    stmt = select(Trade).where(Trade.id == trade_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_trades(
    session: AsyncSession, trade_ids: Collection[int], *, skip_locked: bool = False
) -> dict[int, Trade]:
    """The trades ``trade_ids`` (those that exist), locked in id order: two transactions
    locking overlapping sets this way never wait on each other in a cycle. With
    ``skip_locked``, those another transaction holds are left out instead of waited for."""
    stmt = (
        select(Trade)
        .where(Trade.id == any_(bindparam("ids", sorted(trade_ids), type_=ARRAY(BigInteger))))
        .order_by(Trade.id)
        .with_for_update(skip_locked=skip_locked)
    )
    return {t.id: t for t in (await session.execute(stmt)).scalars()}


async def registrations(session: AsyncSession, trade_id: int) -> list[Registration]:
    stmt = select(Registration).where(Registration.trade_id == trade_id).order_by(Registration.id)
    return list((await session.execute(stmt)).scalars())


async def registrations_of(
    session: AsyncSession, trade_ids: Collection[int]
) -> dict[int, list[Registration]]:
    """The registrations of each of the trades ``trade_ids`` (one statement)."""
    ids = bindparam("ids", sorted(trade_ids), type_=ARRAY(BigInteger))
    stmt = select(Registration).where(Registration.trade_id == any_(ids)).order_by(Registration.id)
    found: dict[int, list[Registration]] = {t: [] for t in trade_ids}
    for r in (await session.execute(stmt)).scalars():
        found[r.trade_id].append(r)
    return found


async def bids(
    session: AsyncSession, trade_id: int, after_seq: int = 0, limit: int | None = None
) -> list[Bid]:
    stmt = select(Bid).where(Bid.trade_id == trade_id, Bid.seq > after_seq).order_by(Bid.seq)
    return list((await session.execute(stmt.limit(limit))).scalars())


async def bid_requests(
    session: AsyncSession, keys: set[tuple[int, int, str]]
) -> dict[tuple[int, int, str], dict[str, Any]]:
    """The outcomes already given to bid requests, by (trade, user, idempotency key).
    (One statement text whatever the number of keys: it stays prepared.)"""
    if not keys:
        return {}
    trades, users, names = (sorted(set(column)) for column in zip(*keys, strict=True))
    stmt = select(BidRequest).where(
        BidRequest.trade_id == any_(bindparam("trades", trades, type_=ARRAY(BigInteger))),
        BidRequest.user_id == any_(bindparam("users", users, type_=ARRAY(BigInteger))),
        BidRequest.key == any_(bindparam("keys", names, type_=ARRAY(String))),
    )
    found = (await session.execute(stmt)).scalars()
    return {
        (r.trade_id, r.user_id, r.key): r.outcome
        for r in found
        if (r.trade_id, r.user_id, r.key) in keys
    }


def _not_in(skip: Collection[int]) -> ColumnElement[bool]:
    # One statement text whatever the number of trades skipped: it stays prepared.
    return Trade.id != all_(bindparam("skip", sorted(skip), type_=ARRAY(BigInteger)))


async def _first_unlocked(session: AsyncSession, stmt: Select[Trade]) -> Trade | None:
    """The first trade ``stmt`` finds, locked; rows another process holds are skipped, so
    each due trade is handled exactly once, and only the trade handled is locked."""
    locked = stmt.limit(1).with_for_update(of=Trade, skip_locked=True)
    return (await session.execute(locked)).scalar_one_or_none()


# The modes whose trades end at a time and whose winner must then sign in time.
ENDING = (TradeMode.auction, TradeMode.listed)


async def next_ended(
    session: AsyncSession,
    now: datetime,
    skip: Collection[int],
    status: TradeStatus,
    grace: timedelta = timedelta(0),
) -> Trade | None:
    """An auction (``open``) or a listing (``listed``) whose (extended) end has passed
    by ``grace``."""
    stmt = (
        select(Trade)
        .where(
            Trade.status == status,
            Trade.ends_at <= now - grace,
            Trade.mode.in_(ENDING),
            _not_in(skip),
        )
        .order_by(Trade.ends_at)
    )
    return await _first_unlocked(session, stmt)


async def next_end(session: AsyncSession, after: datetime) -> datetime | None:
    """The earliest (extended) end after ``after`` of an auction or a listing still open."""
    stmt = select(func.min(Trade.ends_at)).where(
        Trade.status.in_((TradeStatus.open, TradeStatus.listed)),
        Trade.mode.in_(ENDING),
        Trade.ends_at > after,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def awaiting_approval(
    session: AsyncSession, seller_org_id: int, limit: int
) -> list[tuple[Trade, str, str | None]]:
    """The seller's trades its TTO has yet to approve, oldest first, with the
    achievement's title and the named buyer's name (agreements)."""
    buyer = aliased(Organisation)
    stmt = (
        select(Trade, Achievement.title, buyer.name)
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .outerjoin(buyer, buyer.id == Trade.buyer_org_id)
        .where(Trade.seller_org_id == seller_org_id, Trade.status == TradeStatus.pending_approval)
        .order_by(Trade.id)
        .limit(limit)
    )
    return [(t, title, name) for t, title, name in (await session.execute(stmt)).all()]


async def list_trades(
    session: AsyncSession, statuses: set[TradeStatus], after_id: int | None, limit: int
) -> list[Trade]:
    stmt = select(Trade).where(Trade.status.in_(statuses))
    if after_id is not None:
        stmt = stmt.where(Trade.id > after_id)
    return list((await session.execute(stmt.order_by(Trade.id).limit(limit))).scalars())


async def offers(
    session: AsyncSession, trade_id: int, after_id: int | None = None, limit: int | None = None
) -> list[Offer]:
    stmt = select(Offer).where(Offer.trade_id == trade_id)
    if after_id is not None:
        stmt = stmt.where(Offer.id > after_id)
    return list((await session.execute(stmt.order_by(Offer.id).limit(limit))).scalars())


async def trade_names(session: AsyncSession, trade: Trade) -> tuple[str, str, str | None]:
    """The achievement's title and the seller's and the buyer's (if any) names."""
    seller, buyer = aliased(Organisation), aliased(Organisation)
    stmt = (
        select(Achievement.title, seller.name, buyer.name)
        .select_from(Trade)
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .join(seller, seller.id == Trade.seller_org_id)
        .outerjoin(buyer, buyer.id == Trade.buyer_org_id)
        .where(Trade.id == trade.id)
    )
    title, seller_name, buyer_name = (await session.execute(stmt)).one()
    return title, seller_name, buyer_name


async def trades_of(
    session: AsyncSession, org_id: int, before_id: int | None, limit: int
) -> list[tuple[Trade, str, str | None, int | None, bool, bool]]:
    """Trades the organisation sells, buys or registered for, newest first: each with the
    title, its alias, who made the latest offer, and whether the contract is recorded and
    registered."""
    latest = (
        select(Offer.org_id)
        .where(Offer.trade_id == Trade.id)
        .order_by(Offer.id.desc())
        .limit(1)
        .correlate(Trade)
        .scalar_subquery()
    )
    stmt = (
        select(
            Trade,
            Achievement.title,
            Registration.alias,
            latest,
            Contract.trade_id.is_not(None),
            Contract.registration_number.is_not(None),
        )
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .outerjoin(
            Registration, (Registration.trade_id == Trade.id) & (Registration.org_id == org_id)
        )
        .outerjoin(Contract, Contract.trade_id == Trade.id)
        .where(
            (Trade.seller_org_id == org_id)
            | (Trade.buyer_org_id == org_id)
            | Registration.id.is_not(None)
        )
    )
    if before_id is not None:
        stmt = stmt.where(Trade.id < before_id)
    rows = (await session.execute(stmt.order_by(Trade.id.desc()).limit(limit))).all()
    return [(t, title, alias, who, bool(rec), bool(reg)) for t, title, alias, who, rec, reg in rows]


async def latest_offer(session: AsyncSession, trade_id: int) -> Offer | None:
    stmt = select(Offer).where(Offer.trade_id == trade_id).order_by(Offer.id.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def objection(session: AsyncSession, trade_id: int, objection_id: int) -> Objection | None:
    stmt = select(Objection).where(Objection.trade_id == trade_id, Objection.id == objection_id)
    return (await session.execute(stmt.with_for_update())).scalar_one_or_none()


async def objections(session: AsyncSession, trade_id: int) -> list[Objection]:
    stmt = select(Objection).where(Objection.trade_id == trade_id).order_by(Objection.id)
    return list((await session.execute(stmt)).scalars())


async def list_objections(
    session: AsyncSession, state: ObjectionState, after_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Objections oldest first, with the deal they concern: ``open`` ones await a ruling
    (raised while their trade is still on notice), the others were upheld or dismissed."""
    seller, buyer, objector = aliased(Organisation), aliased(Organisation), aliased(Organisation)
    stmt = (
        select(Objection, Trade, Achievement.title, seller.name, buyer.name, objector.name)
        .join(Trade, Trade.id == Objection.trade_id)
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .join(seller, seller.id == Trade.seller_org_id)
        .join(buyer, buyer.id == Trade.buyer_org_id)
        .join(objector, objector.id == Objection.org_id)
    )
    if state == ObjectionState.open:
        stmt = stmt.where(
            Objection.status == ObjectionStatus.raised, Trade.status == TradeStatus.notice
        )
    else:
        stmt = stmt.where(Objection.status == ObjectionStatus(state.value))
    if after_id is not None:
        stmt = stmt.where(Objection.id > after_id)
    rows = (await session.execute(stmt.order_by(Objection.id).limit(limit))).all()
    return [
        {
            "id": o.id,
            "trade_id": t.id,
            "title": title,
            "seller": seller_name,
            "buyer": buyer_name,
            "price_fen": t.price_fen,
            "notice_ends_at": t.notice_ends_at,
            "org_id": o.org_id,
            "org_name": objector_name,
            "reasons": o.reasons,
            "status": str(o.status),
            "raised_at": o.raised_at,
            "resolved_at": o.resolved_at,
        }
        for o, t, title, seller_name, buyer_name, objector_name in rows
    ]


async def objections_of(
    session: AsyncSession, trade_ids: Collection[int]
) -> list[tuple[Objection, str]]:
    """The objections to these trades with the objecting organisation's name, oldest first."""
    stmt = (
        select(Objection, Organisation.name)
        .join(Organisation, Organisation.id == Objection.org_id)
        .where(Objection.trade_id.in_(sorted(trade_ids)))
        .order_by(Objection.id)
    )
    return [(o, name) for o, name in (await session.execute(stmt)).all()]


async def next_notice_ended(
    session: AsyncSession, now: datetime, skip: Collection[int]
) -> Trade | None:
    """An agreement whose public notice ran in full with no objection standing (raised and
    not yet ruled on, or upheld)."""
    standing = exists().where(
        Objection.trade_id == Trade.id,
        Objection.status.in_([ObjectionStatus.raised, ObjectionStatus.upheld]),
    )
    stmt = (
        select(Trade)
        .where(
            Trade.status == TradeStatus.notice,
            Trade.notice_ends_at <= now,
            ~standing,
            _not_in(skip),
        )
        .order_by(Trade.notice_ends_at)
    )
    return await _first_unlocked(session, stmt)


async def competing_offers(
    session: AsyncSession,
    trade_id: int | Collection[int],
    *,
    org_id: int | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[CompetingOffer, Registration]]:
    """The competing offers made on a notice (or several; only ``org_id``'s, if given), in
    the order made, with their bidders' registrations."""
    trades = [trade_id] if isinstance(trade_id, int) else sorted(trade_id)
    stmt = (
        select(CompetingOffer, Registration)
        .join(Registration, Registration.id == CompetingOffer.registration_id)
        .where(CompetingOffer.trade_id.in_(trades))
        .order_by(CompetingOffer.id)
        .limit(limit)
    )
    if org_id is not None:
        stmt = stmt.where(Registration.org_id == org_id)
    if after_id is not None:
        stmt = stmt.where(CompetingOffer.id > after_id)
    return [(o, r) for o, r in (await session.execute(stmt)).all()]


def _notices(*statuses: TradeStatus) -> Any:
    seller, buyer = aliased(Organisation), aliased(Organisation)
    return (
        select(Trade, Achievement.title, seller.name, buyer.name)
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .join(seller, seller.id == Trade.seller_org_id)
        .join(buyer, buyer.id == Trade.buyer_org_id)
        .where(Trade.status.in_(statuses or [TradeStatus.notice]))
    )


async def _notice_rows(session: AsyncSession, stmt: Any) -> list[dict[str, Any]]:
    return [
        {
            "trade_id": t.id,
            "title": title,
            "seller": s,
            "seller_org_id": t.seller_org_id,
            "buyer": b,
            "buyer_org_id": t.buyer_org_id,
            # The agreed price, also once competing offers turned the trade into an auction.
            "price_fen": t.terms.get("agreed_price_fen", t.price_fen),
            "notice_ends_at": t.notice_ends_at,
            "status": str(t.status),
            "closed_at": t.closed_at,
            "competition": t.terms.get("competition"),  # how to compete (None: not taken)
            "converted": t.terms.get("converted_from") == "agreement",
        }
        for t, title, s, b in (await session.execute(stmt)).all()
    ]


async def notice_board(
    session: AsyncSession, after: tuple[datetime, int] | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Agreed prices on notice, the soonest to end first; after ``after`` (a notice's end
    and its trade), at most ``limit`` of them."""
    stmt = _notices()
    if after is not None:
        stmt = stmt.where(tuple_(Trade.notice_ends_at, Trade.id) > tuple_(*after))
    stmt = stmt.order_by(Trade.notice_ends_at, Trade.id).limit(limit)
    return await _notice_rows(session, stmt)


async def ended_notices(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    """Agreements whose notice is over, the latest first: concluded, cancelled by an
    upheld objection, or turned into an auction by competing offers (only agreements
    have a notice)."""
    over = set(TradeStatus) - {TradeStatus.notice}
    stmt = (
        _notices(*over)
        .where(Trade.notice_ends_at.is_not(None))
        .order_by(func.coalesce(Trade.closed_at, Trade.notice_ends_at).desc(), Trade.id.desc())
        .limit(limit)
    )
    return await _notice_rows(session, stmt)


async def newest_notices(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    """The deals most recently put on public notice (those ending last)."""
    stmt = _notices().order_by(Trade.notice_ends_at.desc(), Trade.id.desc()).limit(limit)
    return await _notice_rows(session, stmt)


async def open_auctions(session: AsyncSession, limit: int) -> list[tuple[Trade, str]]:
    """Auctions taking bids (a listing turned auction too), ending soonest first, with the
    achievement's title."""
    stmt = (
        select(Trade, Achievement.title)
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .where(
            Trade.status == TradeStatus.open,
            Trade.mode.in_([TradeMode.auction, TradeMode.listed]),
        )
        .order_by(Trade.ends_at, Trade.id)
        .limit(limit)
    )
    return [(t, title) for t, title in (await session.execute(stmt)).all()]


def _deal_rows() -> Any:
    seller, buyer = aliased(Organisation), aliased(Organisation)
    return (
        select(
            Trade,
            Achievement.title,
            Achievement.industry,
            Achievement.region_code,
            seller.name,
            buyer.name,
        )
        .join(Achievement, Achievement.id == Trade.achievement_id)
        .join(seller, seller.id == Trade.seller_org_id)
        .outerjoin(buyer, buyer.id == Trade.buyer_org_id)
        .where(Trade.status == TradeStatus.sold)
    )


async def deals(
    session: AsyncSession, after_id: int | None, limit: int, *, org_id: int | None = None
) -> list[dict[str, Any]]:
    """Concluded deals, oldest first; with ``org_id``, those it sold or bought."""
    stmt = _deal_rows()
    if org_id is not None:
        stmt = stmt.where((Trade.seller_org_id == org_id) | (Trade.buyer_org_id == org_id))
    if after_id is not None:
        stmt = stmt.where(Trade.id > after_id)
    rows = (await session.execute(stmt.order_by(Trade.id).limit(limit))).all()
    return [
        {
            "trade_id": t.id,
            "mode": str(t.mode),
            "title": title,
            "industry": str(industry),
            "region_code": region,
            "price_fen": t.price_fen,
            "seller_org_id": t.seller_org_id,
            "seller": seller_name,
            "buyer_org_id": t.buyer_org_id,
            "buyer": buyer_name,
            "concluded_at": t.closed_at,
        }
        for t, title, industry, region, seller_name, buyer_name in rows
    ]


async def trades_of_achievement(
    session: AsyncSession, achievement_id: int, statuses: Collection[TradeStatus]
) -> list[Trade]:
    stmt = (
        select(Trade)
        .where(Trade.achievement_id == achievement_id, Trade.status.in_(statuses))
        .order_by(Trade.id)
    )
    return list((await session.execute(stmt)).scalars())


async def deal_stats(session: AsyncSession, top: int) -> dict[str, Any]:
    """Counts and volume of deals per mode, industry, province, city and month (Beijing
    time), and the ``top`` selling organisations by volume."""
    out: dict[str, Any] = {}
    for name, column in (
        ("by_mode", Trade.mode),
        ("by_industry", Achievement.industry),
        ("by_province", listings.province_of(Achievement.region_code)),
        ("by_city", listings.city_of(Achievement.region_code)),
    ):
        stmt = (
            select(column, func.count(), func.coalesce(func.sum(Trade.price_fen), 0))
            .join(Achievement, Achievement.id == Trade.achievement_id)
            .where(Trade.status == TradeStatus.sold)
            .group_by(column)
        )
        out[name] = {
            str(key): {"count": int(n), "volume_fen": int(volume)}
            for key, n, volume in (await session.execute(stmt)).all()
        }
    totals = [v for v in out["by_mode"].values()]
    out["count"] = sum(v["count"] for v in totals)
    out["volume_fen"] = sum(v["volume_fen"] for v in totals)
    out["by_month"] = await _deals_by_month(session)
    out["top_sellers"] = await _top_sellers(session, top)
    return out


async def _deals_by_month(session: AsyncSession) -> dict[str, Any]:
    """Count and volume per month of conclusion (Beijing time), in all and per mode."""
    month = listings.month_of(Trade.closed_at)
    stmt = (
        select(month, Trade.mode, func.count(), func.coalesce(func.sum(Trade.price_fen), 0))
        .where(Trade.status == TradeStatus.sold)
        .group_by(month, Trade.mode)
    )
    out: dict[str, Any] = {}
    for key, mode, n, volume in (await session.execute(stmt)).all():
        entry = out.setdefault(str(key), {"count": 0, "volume_fen": 0, "by_mode": {}})
        entry["count"] += int(n)
        entry["volume_fen"] += int(volume)
        entry["by_mode"][str(mode)] = {"count": int(n), "volume_fen": int(volume)}
    return out


async def _top_sellers(session: AsyncSession, top: int) -> list[dict[str, Any]]:
    volume = func.sum(Trade.price_fen)
    stmt = (
        select(Organisation.id, Organisation.name, func.count(), volume)
        .join(Trade, Trade.seller_org_id == Organisation.id)
        .where(Trade.status == TradeStatus.sold)
        .group_by(Organisation.id)
        .order_by(volume.desc(), Organisation.id)
        .limit(top)
    )
    return [
        {"org_id": org_id, "name": name, "count": int(n), "volume_fen": int(fen or 0)}
        for org_id, name, n, fen in (await session.execute(stmt)).all()
    ]


async def last_unsold(session: AsyncSession, achievement_id: int) -> Trade | None:
    """The achievement's most recent trade that ended unsold (流拍), however many trades
    were declined or withdrawn since: none of those lowers the relisting floor."""
    stmt = (
        select(Trade)
        .where(Trade.achievement_id == achievement_id, Trade.status == TradeStatus.unsold)
        .order_by(Trade.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def next_signing_lapsed(
    session: AsyncSession, now: datetime, skip: Collection[int]
) -> Trade | None:
    """An auction or listing deal whose signing period ended without a contract."""
    stmt = (
        unsigned_deals().where(signing_deadline() <= now, _not_in(skip)).order_by(Trade.closed_at)
    )
    return await _first_unlocked(session, stmt)


def signing_deadline() -> ColumnElement[datetime | None]:
    """When a deal's winner must have recorded the contract."""
    # Terms give the period as ISO 8601 text, which PostgreSQL reads as an interval (trades
    # opened before periods were durations gave whole days).
    signing_period = func.coalesce(
        cast(Trade.terms["signing_period"].astext, INTERVAL),
        func.make_interval(0, 0, 0, Trade.terms["signing_days"].as_integer()),
    )
    return Trade.closed_at + signing_period


def unsigned_deals() -> Select[Trade]:
    """The auction and listing deals still waiting for their contract."""
    return (
        select(Trade)
        .outerjoin(Contract, Contract.trade_id == Trade.id)
        .where(
            Trade.status == TradeStatus.sold,
            Trade.mode.in_(ENDING),
            Contract.trade_id.is_(None),
        )
    )


async def trade_entries_after(
    session: AsyncSession, trade_id: int, after_seq: int, limit: int
) -> list[bytes]:
    """The ledger entries (canonical bytes) of the trade's events after ``after_seq``, in
    order, at most ``limit``. A trade's entries are its events 1, 2, 3… in ledger order,
    so the last bid at or before ``after_seq`` (found by its (trade, seq) key) says where
    in the trade's entries to start: nothing before is read."""
    anchor = (
        await session.execute(
            select(Bid.seq, Bid.ledger_index)
            .where(Bid.trade_id == trade_id, Bid.seq <= after_seq)
            .order_by(Bid.seq.desc())
            .limit(1)
        )
    ).first()
    seq, index = (anchor.seq, anchor.ledger_index) if anchor else (0, -1)
    stmt = (
        select(LedgerEntry.canonical)
        .where(LedgerEntry.subject == f"trade/{trade_id}", LedgerEntry.idx > index)
        .order_by(LedgerEntry.idx)
        .offset(after_seq - seq)  # the events after that bid up to after_seq
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def latest_bids(session: AsyncSession, trade_id: int, limit: int) -> list[Bid]:
    """The trade's ``limit`` most recent accepted bids, newest first."""
    stmt = select(Bid).where(Bid.trade_id == trade_id).order_by(Bid.seq.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def last_event_index(session: AsyncSession, trade_id: int, event_type: str) -> int | None:
    """The ledger index of the trade's latest event of ``event_type`` (e.g. its close)."""
    stmt = select(func.max(LedgerEntry.idx)).where(
        LedgerEntry.subject == f"trade/{trade_id}", LedgerEntry.type == event_type
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    return int(found) if found is not None else None


async def next_bid_ids(session: AsyncSession, count: int) -> list[int]:
    """``count`` ids for bids about to be written (so their outcomes can be told before)."""
    if not count:
        return []
    stmt = text(
        "SELECT nextval(pg_get_serial_sequence('bids', 'id')) FROM generate_series(1, :count)"
    )
    return list((await session.execute(stmt, {"count": count})).scalars())


# A batch's bids, the outcomes of its requests and its watchers' notifications: the one
# statement after the ledger's write, its head locked, so one round trip before commit.
_RECORD_BIDS = text(
    """
    WITH bids AS (
        INSERT INTO bids (id, trade_id, registration_id, alias, amount_fen, kind, seq,
                          ledger_index, at, mandate_id, broker_user_id)
        SELECT * FROM unnest(
            CAST(:ids AS bigint[]), CAST(:trades AS bigint[]), CAST(:registrations AS bigint[]),
            CAST(:aliases AS text[]), CAST(:amounts AS bigint[]), CAST(:kinds AS text[]),
            CAST(:seqs AS bigint[]), CAST(:indexes AS bigint[]), CAST(:ats AS timestamptz[]),
            CAST(:mandates AS bigint[]), CAST(:brokers AS bigint[])
        )
    ), requests AS (
        INSERT INTO bid_requests (trade_id, user_id, key, org_id, outcome, at)
        SELECT trade_id, user_id, key, org_id, CAST(outcome AS jsonb), at FROM unnest(
            CAST(:r_trades AS bigint[]), CAST(:r_users AS bigint[]), CAST(:r_keys AS text[]),
            CAST(:r_orgs AS bigint[]), CAST(:r_outcomes AS text[]),
            CAST(:r_ats AS timestamptz[])
        ) AS r (trade_id, user_id, key, org_id, outcome, at)
    )
    SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p
    """
)
_BID_COLUMNS = {
    "ids": "id", "trades": "trade_id", "registrations": "registration_id", "aliases": "alias",
    "amounts": "amount_fen", "kinds": "kind", "seqs": "seq", "indexes": "ledger_index",
    "ats": "at", "mandates": "mandate_id", "brokers": "broker_user_id",
}  # fmt: skip


async def record_bids(
    session: AsyncSession,
    bids: Sequence[Bid],
    requests: Sequence[BidRequest],
    channel: str,
    payloads: list[str],
) -> None:
    """Insert ``bids`` (numbered: ids and ledger indexes given) and ``requests``, and
    NOTIFY ``channel`` of each payload, in one statement."""
    if not (bids or requests or payloads):
        return
    values: dict[str, Any] = {
        name: [getattr(b, column) for b in bids] for name, column in _BID_COLUMNS.items()
    }
    values |= {
        "r_trades": [r.trade_id for r in requests],
        "r_users": [r.user_id for r in requests],
        "r_keys": [r.key for r in requests],
        "r_orgs": [r.org_id for r in requests],
        "r_outcomes": [json.dumps(r.outcome, ensure_ascii=False) for r in requests],
        "r_ats": [r.at for r in requests],
        "channel": channel,
        "payloads": payloads,
    }
    await session.execute(_RECORD_BIDS, values)


async def notify(session: AsyncSession, channel: str, payloads: list[str]) -> None:
    """NOTIFY ``channel`` of each payload, in order; PostgreSQL delivers them at commit."""
    await session.execute(
        text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
        {"channel": channel, "payloads": payloads},
    )


async def express_offers(
    session: AsyncSession, achievement_id: int, statuses: Collection[TradeStatus]
) -> list[Trade]:
    """The achievement's express licence offers in ``statuses`` (not the deals taking them)."""
    stmt = (
        select(Trade)
        .where(
            Trade.achievement_id == achievement_id,
            Trade.mode == TradeMode.express_licence,
            Trade.offer_trade_id.is_(None),
            Trade.status.in_(statuses),
        )
        .order_by(Trade.id)
    )
    return list((await session.execute(stmt)).scalars())


async def express_takers(session: AsyncSession, offer_id: int) -> set[int]:
    """The organisations that took the express licence offer ``offer_id``."""
    stmt = select(Trade.buyer_org_id).where(Trade.offer_trade_id == offer_id)
    return {org_id for org_id in (await session.execute(stmt)).scalars() if org_id is not None}


async def express_deals(
    session: AsyncSession, offer_id: int, after_id: int | None, limit: int
) -> list[Trade]:
    """The deals that took the express licence offer ``offer_id``, oldest first."""
    stmt = select(Trade).where(Trade.offer_trade_id == offer_id)
    if after_id is not None:
        stmt = stmt.where(Trade.id > after_id)
    return list((await session.execute(stmt.order_by(Trade.id).limit(limit))).scalars())
