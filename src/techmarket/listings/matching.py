"""Scoring a demand against an achievement (or back): text, industry, region, price.
Pure: the service fetches candidates, this module ranks them and says why."""

from __future__ import annotations

from dataclasses import dataclass

from techmarket.listings.taxonomy import INDUSTRY_LABELS, Industry
from techmarket.listings.text import words

# Weights sum to 1: shared vocabulary matters most, then field, then place and price.
TEXT, INDUSTRY, REGION, PRICE = 0.55, 0.2, 0.15, 0.1
# Below this a "match" is one common word and a budget: noise, not a suggestion.
MIN_SCORE = 0.25
# Added for an achievement a proof-of-concept centre verified (a passed project): among
# matches that pass on their own, one shown to work comes before an otherwise equal one.
VERIFIED = 0.05


@dataclass(frozen=True)
class Profile:
    """What matching looks at in either kind of listing."""

    id: int
    title: str
    words: frozenset[str]
    industry: Industry
    region_code: str
    price_fen: int | None = None  # an achievement's asking price (None: negotiable)
    budget_min_fen: int | None = None  # a demand's budget
    budget_max_fen: int | None = None
    verified_by: str | None = None  # an achievement's verifying centre, by name


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass(frozen=True)
class Match:
    id: int
    title: str
    score: float
    reasons: tuple[Reason, ...]


def region_affinity(a: str, b: str) -> tuple[float, Reason | None]:
    """Same district/city code, same city (first 4 digits), same province (first 2)."""
    if a == b:
        return 1.0, Reason("same_region", a)
    if a[:4] == b[:4]:
        return 0.7, Reason("same_city", a[:4] + "00")
    if a[:2] == b[:2]:
        return 0.4, Reason("same_province", a[:2] + "0000")
    return 0.0, None


def price_fit(demand: Profile, achievement: Profile) -> tuple[float, Reason | None]:
    price = achievement.price_fen
    if price is None:
        return 0.5, Reason("negotiable", "asking price is negotiable")
    if demand.budget_max_fen is None or price <= demand.budget_max_fen:
        return 1.0, Reason("within_budget", f"asking {price} fen")
    over = price / demand.budget_max_fen - 1
    return max(0.0, 1.0 - 2 * over), None  # fades to nothing at 50% over budget


def _in_order_of_interest(shared: set[str], title: str) -> list[str]:
    """Shared words as a reason: first those of the target's title (what the technology
    is), then the longest; a spec's incidental words (低于、万分之) come after."""
    lead = [w for w in dict.fromkeys(words(title)) if len(w) > 1 and w in shared]
    rest = sorted(shared.difference(lead), key=lambda w: (-len(w), w))
    return lead + rest


def score(target: Profile, candidate: Profile, *, demand_side: bool) -> Match:
    """How well ``candidate`` suits ``target``. ``demand_side``: the target is a demand
    (candidates are achievements); otherwise the reverse."""
    reasons: list[Reason] = []
    shared = _in_order_of_interest(set(target.words & candidate.words), target.title)
    text = len(shared) / max(1, min(len(target.words), 12))
    if shared:
        reasons.append(Reason("shared_terms", "、".join(shared[:8])))
    same_field = target.industry == candidate.industry
    if same_field:
        reasons.append(Reason("same_industry", INDUSTRY_LABELS[target.industry]))
    region, why = region_affinity(target.region_code, candidate.region_code)
    if why:
        reasons.append(why)
    demand, achievement = (target, candidate) if demand_side else (candidate, target)
    price, why = price_fit(demand, achievement)
    if why:
        reasons.append(why)
    total = TEXT * min(text, 1.0) + INDUSTRY * same_field + REGION * region + PRICE * price
    if demand_side and candidate.verified_by and total >= MIN_SCORE:
        reasons.append(Reason("poc_verified", candidate.verified_by))
        total += VERIFIED
    return Match(candidate.id, candidate.title, round(total, 4), tuple(reasons))


def rank(
    target: Profile, candidates: list[Profile], *, demand_side: bool, limit: int
) -> list[Match]:
    matches = [score(target, c, demand_side=demand_side) for c in candidates]
    matches = [m for m in matches if m.score >= MIN_SCORE]
    matches.sort(key=lambda m: (-m.score, m.id))
    return matches[:limit]
