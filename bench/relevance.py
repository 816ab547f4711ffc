"""Relevance of search on bench.search's data: nDCG@10 over the judged queries of
bench/judged.json, graded from what the generator put where (the grades are spelled out
there). A record's technology is the topic its summary names (本成果涉及{topic}，…)."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.listings import search
from techmarket.listings.repository import region_prefix
from techmarket.listings.taxonomy import Industry

JUDGED = Path(__file__).with_name("judged.json")
TOP = 10


@dataclass(frozen=True)
class Judged:
    q: str
    about: frozenset[str]
    industry: Industry | None = None
    region: str | None = None

    def grade(self, title: str, summary: str) -> int:
        topic = summary.removeprefix("本成果涉及").split("，", 1)[0]
        if topic in self.about:
            return 3
        words = self.q.lower().split()
        if all(w in title.lower() for w in words):
            return 2
        if all(w in f"{title}{summary}".lower() for w in words):
            return 1
        return 0

    def admits(self, industry: str, region_code: str) -> bool:
        """Whether the query's filters let a record of this industry and region through."""
        return (self.industry is None or industry == self.industry.value) and (
            self.region is None or region_code.startswith(region_prefix(self.region))
        )


def judged() -> list[Judged]:
    return [
        Judged(
            q=item["q"],
            about=frozenset(item["about"]),
            industry=Industry(item["industry"]) if "industry" in item else None,
            region=item.get("region"),
        )
        for item in json.loads(JUDGED.read_text())["queries"]
    ]


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:TOP]))


async def ideal_grades(session: AsyncSession, queries: list[Judged]) -> list[list[int]]:
    """Per query, the best ``TOP`` grades there are among the records it may find."""
    rows = await session.execute(
        text(
            "SELECT title, summary, industry, region_code, count(*) FROM achievements"
            " WHERE status = 'published' GROUP BY 1, 2, 3, 4"
        )
    )
    texts: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for title, summary, industry, region_code, n in rows:
        texts.setdefault((title, summary), []).append((industry, region_code, n))
    ideals = []
    for query in queries:
        counts: Counter[int] = Counter()
        for (title, summary), places in texts.items():
            grade = query.grade(title, summary)
            if grade:
                counts[grade] += sum(n for i, r, n in places if query.admits(i, r))
        best = [g for g in sorted(counts, reverse=True) for _ in range(min(counts[g], TOP))]
        ideals.append(best[:TOP])
    return ideals


async def ndcg(session: AsyncSession) -> tuple[float, list[tuple[str, float]]]:
    """Mean nDCG@10 of relevance search over the judged queries, and each query's."""
    queries = judged()
    ideals = await ideal_grades(session, queries)
    each = []
    for query, ideal in zip(queries, ideals, strict=True):
        filters = search.AchievementFilters(q=query.q, industry=query.industry, region=query.region)
        found, _ = await search.search_achievements(session, None, filters, "relevance", None, TOP)
        got = dcg([query.grade(a.title, a.summary) for a in found])
        label = " ".join([query.q, *(f for f in (query.industry, query.region) if f)])
        each.append((label, got / dcg(ideal) if dcg(ideal) else 1.0))
    return statistics.fmean(v for _, v in each), each
