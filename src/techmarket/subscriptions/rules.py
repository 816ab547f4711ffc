"""Why a publication fits a subscription, who is told at once, and what a digest says.
Pure: the reasons are the matching engine's (region affinity, budget fit, shared words),
so a push says what a match would."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from techmarket.listings import matching
from techmarket.listings.matching import Reason
from techmarket.listings.taxonomy import INDUSTRY_LABELS, Industry
from techmarket.listings.text import words

# A day of pushes and digests is a day in China.
CHINA = ZoneInfo("Asia/Shanghai")
DIGEST_ITEMS = 50  # a digest lists this many matches; the rest are counted


def day_of(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def day_start(now: datetime) -> datetime:
    """The instant the China day of ``now`` began."""
    return datetime.combine(day_of(now), time(), CHINA)


@dataclass(frozen=True)
class Criteria:
    """What a subscription by filters asks for (the SQL selected it; this says why)."""

    keywords: str | None
    industry: Industry | None
    region_code: str | None
    price_max_fen: int | None


def reasons(criteria: Criteria, listing: matching.Profile) -> tuple[Reason, ...]:
    """The matching engine's reasons for what ``criteria`` asked of ``listing``."""
    found: list[Reason] = []
    if criteria.keywords:
        shared = [w for w in dict.fromkeys(words(criteria.keywords)) if w in listing.words]
        found.append(Reason("shared_terms", "、".join(shared) or criteria.keywords))
    if criteria.industry is not None:
        found.append(Reason("same_industry", INDUSTRY_LABELS[criteria.industry]))
    if criteria.region_code:
        _, why = matching.region_affinity(criteria.region_code, listing.region_code)
        if why:
            found.append(why)
    if criteria.price_max_fen is not None and listing.price_fen is not None:
        wanted = matching.Profile(
            0, "", frozenset(), listing.industry, "", budget_max_fen=criteria.price_max_fen
        )
        _, why = matching.price_fit(wanted, listing)
        if why:
            found.append(why)
    return tuple(found)


def as_json(found: Iterable[Reason]) -> list[dict[str, str]]:
    return [{"code": r.code, "detail": r.detail} for r in found]


@dataclass(frozen=True)
class Recipient:
    """One user a publication is pushed to: why, and whether it asked for it at once."""

    user_id: int
    reasons: tuple[Reason, ...]
    at_once: bool


def merge(found: Iterable[Recipient]) -> list[Recipient]:
    """One push per user however many of its subscriptions matched: at once if any asked
    for it at once, with every distinct reason."""
    by_user: dict[int, Recipient] = {}
    for r in found:
        seen = by_user.get(r.user_id)
        if seen is None:
            by_user[r.user_id] = r
        else:
            extra = tuple(x for x in r.reasons if x not in seen.reasons)
            by_user[r.user_id] = Recipient(
                r.user_id, seen.reasons + extra, seen.at_once or r.at_once
            )
    return [by_user[u] for u in sorted(by_user)]


def at_once(
    recipients: Sequence[Recipient], pushed_today: Mapping[int, int], cap: int
) -> tuple[list[Recipient], list[Recipient]]:
    """Those told now and those whose match waits for their digest: digest subscribers,
    and anyone already pushed ``cap`` times today."""
    now: list[Recipient] = []
    later: list[Recipient] = []
    for r in recipients:
        (now if r.at_once and pushed_today.get(r.user_id, 0) < cap else later).append(r)
    return now, later


def digest_body(items: Sequence[Mapping[str, Any]]) -> str:
    """One line per match (title and link), the overflow counted."""
    lines = [f"· {item['title']}（{item['link']}）" for item in items[:DIGEST_ITEMS]]
    if len(items) > DIGEST_ITEMS:
        lines.append(f"另有 {len(items) - DIGEST_ITEMS} 条匹配，请在订阅页查看。")
    return "\n".join(lines)
