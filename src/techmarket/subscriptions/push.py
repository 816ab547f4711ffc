"""The tellers of publications: who a published achievement or demand, or an opening
trade, is pushed to, and why. The feed calls them in its transaction, after the
publishing request has committed: publishing never waits for them.

Subscribers by filters are found in one query (the filters run in SQL, as the search
runs them); institutions and standing subscribers through the matching engine, whose
reasons the push repeats. Each recipient is pushed at once up to the day's cap; the rest
wait for the recipient's digest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.config import get_settings
from techmarket.ledger import repository as ledger
from techmarket.listings import achievements, demands, matching, search
from techmarket.listings import repository as listings
from techmarket.listings.matching import Reason
from techmarket.listings.taxonomy import INDUSTRY_LABELS
from techmarket.models.listing import Achievement, AchievementStatus, Demand, DemandStatus
from techmarket.models.subscription import Basis, Target
from techmarket.models.trade import TradeMode
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.subscriptions import repository as repo
from techmarket.subscriptions import rules
from techmarket.subscriptions.rules import Criteria, Recipient
from techmarket.trading import lifecycle as trades
from techmarket.trading import repository as trade_repo
from techmarket.web.display import yuan

# The matching engine's best listings weighed for standing subscriptions and institutions.
MATCHES = 100
PUSHED_MODES = frozenset({TradeMode.auction, TradeMode.listed})  # open to every buyer


async def _by_filters(
    session: AsyncSession, target: Target, listing_id: int, profile: matching.Profile
) -> list[Recipient]:
    rows = await repo.by_filters(session, target, listing_id)
    said: dict[Criteria, tuple[Reason, ...]] = {}  # many subscribe alike; say why once
    found = []
    for row in rows:
        criteria = Criteria(row.keywords, row.industry, row.region_code, row.price_max_fen)
        if criteria not in said:
            said[criteria] = rules.reasons(criteria, profile)
        found.append(Recipient(row.user_id, said[criteria], not row.digest))
    return found


def _best_per_org(
    matches: Iterable[matching.Match], owners: dict[int, int], own_org: int
) -> dict[int, matching.Match]:
    """Each other organisation's best matching listing (matches come best first)."""
    best: dict[int, matching.Match] = {}
    for m in matches:
        org = owners.get(m.id)
        if org is not None and org != own_org:
            best.setdefault(org, m)
    return best


def _yours(code: str, m: matching.Match) -> tuple[Reason, ...]:
    return (Reason(code, m.title), *m.reasons)


async def _push(
    session: AsyncSession,
    index: int,
    found: Sequence[Recipient],
    subject: str,
    title: str,
    body: str,
    link: str,
) -> list[Draft]:
    """Drafts for those told now; the rest kept for their digest."""
    entry = await ledger.entry(session, index)
    assert entry is not None
    recipients = rules.merge(found)
    today = await repo.pushed_since(
        session, [r.user_id for r in recipients], Kind.push, rules.day_start(entry.ts)
    )
    now, later = rules.at_once(recipients, today, get_settings().push_cap_per_day)
    await repo.keep(
        session,
        [
            {
                "user_id": r.user_id,
                "ledger_index": index,
                "subject": subject,
                "title": title,
                "link": link,
                "reasons": rules.as_json(r.reasons),
                "matched_at": entry.ts,
            }
            for r in later
        ],
    )
    return [
        Draft(
            user_id=r.user_id,
            kind=Kind.push,
            subject=subject,
            title=title,
            body=body,
            link=link,
            key=f"ledger/{index}",
            ledger_index=index,
            reasons=rules.as_json(r.reasons),
        )
        for r in now
    ]


def _price(fen: int | None) -> str:
    return yuan(fen) if fen is not None else "面议"


async def demand_published(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    """To subscribers of demands, and to the institutions (their TTOs) and standing
    subscribers whose published achievements the demand matches."""
    demand: Demand | None = await listings.get(session, Demand, data["demand_id"])
    if (
        demand is None
        or not demands.visible(None, demand)
        or demand.status != DemandStatus.published
    ):
        return []  # closed or gone before it could be told
    found = await _by_filters(session, Target.demand, demand.id, search.demand_profile(demand))
    matches = await search.achievements_for_demand(session, demand, MATCHES)
    owners = await repo.owners(session, Achievement, [m.id for m in matches])
    best = _best_per_org(matches, owners, demand.org_id)
    for user_id, org_id in await repo.tto_users(session, best):
        found.append(Recipient(user_id, _yours("your_achievement", best[org_id]), True))
    for user_id, org_id, digest in await repo.standing(session, Basis.our_achievements, best):
        found.append(Recipient(user_id, _yours("your_achievement", best[org_id]), not digest))
    return await _push(
        session,
        index,
        found,
        f"demand/{demand.id}",
        f"新需求：{demand.title}",
        f"{INDUSTRY_LABELS[demand.industry]}，预算 {_price(demand.budget_max_fen)}。",
        f"/demands/{demand.id}",
    )


async def achievement_published(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    """To subscribers of achievements, and to standing subscribers whose open demands
    the achievement matches."""
    achievement: Achievement | None = await listings.get(
        session, Achievement, data["achievement_id"]
    )
    if (
        achievement is None
        or not achievements.visible(None, achievement)
        or achievement.status != AchievementStatus.published
        or achievement.published_at is None
    ):
        return []
    profile = search.achievement_profile(achievement)
    found = await _by_filters(session, Target.achievement, achievement.id, profile)
    matches = await search.demands_for_achievement(
        session, achievement, MATCHES, achievement.published_at
    )
    owners = await repo.owners(session, Demand, [m.id for m in matches])
    best = _best_per_org(matches, owners, achievement.org_id)
    for user_id, org_id, digest in await repo.standing(session, Basis.our_demands, best):
        found.append(Recipient(user_id, _yours("your_demand", best[org_id]), not digest))
    return await _push(
        session,
        index,
        found,
        f"achievement/{achievement.id}",
        f"新成果：{achievement.title}",
        f"{INDUSTRY_LABELS[achievement.industry]}，报价 {_price(achievement.asking_price_fen)}。",
        f"/achievements/{achievement.id}",
    )


async def trade_opened(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """An auction or a listing open to every buyer, to subscribers of trades whose
    filters its achievement fits."""
    trade = await trade_repo.get_trade(session, data["trade_id"])
    if trade is None or trade.mode not in PUSHED_MODES or not trades.visible(None, trade):
        return []
    achievement: Achievement | None = await listings.get(session, Achievement, trade.achievement_id)
    assert achievement is not None
    profile = search.achievement_profile(achievement)
    found = await _by_filters(session, Target.trade, achievement.id, profile)
    how = "竞价拍卖" if trade.mode == TradeMode.auction else "挂牌交易"
    return await _push(
        session,
        index,
        found,
        f"trade/{trade.id}",
        f"新交易（{how}）：{achievement.title}",
        f"{INDUSTRY_LABELS[achievement.industry]}，{how}已开始。",
        f"/trades/{trade.id}",
    )
