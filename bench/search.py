"""Search benchmark: 1,400,000 synthetic achievements (100x the seed platform's 14,177),
then p50/p95 latency of keyword + filter searches and of matching, through the same
service functions the API calls, and relevance: nDCG@10 over the judged queries of
bench/judged.json (see bench/relevance.py).

    .venv/bin/python -m bench.search [--rows N] [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateIndex, DropIndex

from bench import relevance
from bench.common import bench_database, percentiles
from techmarket.db import make_sessionmaker
from techmarket.demo_listings import REGIONS, TOPICS
from techmarket.listings import search
from techmarket.listings.taxonomy import Industry, TransferMode
from techmarket.listings.text import tsvector_literal
from techmarket.models.listing import Achievement, Demand, DemandStatus

NOW = datetime(2026, 11, 23, tzinfo=UTC)
MODIFIERS = (
    *("高效", "低成本", "智能", "新型", "高精度"),
    *("绿色", "便携式", "大规模", "柔性", "一体化"),
)
FORMS = (
    *("{m}{t}的制备方法", "{m}{t}装置", "基于{t}的{m}系统"),
    *("{m}{t}关键工艺", "{t}{m}检测方法"),
)
PHRASES = (
    "突破关键工艺",
    "性能指标国内领先",
    "已完成中试验证",
    "可实现规模化生产",
    "显著降低能耗",
    "提高产品良率",
    "具有自主知识产权",
    "适用于多种应用场景",
    "成本降低三成",
    "寿命提升一倍",
)
TEXT_POOL = 40_000
ALL_TOPICS = [(industry, topic, kw) for industry, topics in TOPICS.items() for topic, kw in topics]


def texts(rng: random.Random) -> list[tuple[Industry, str, str, str, list[str]]]:
    """Unique (industry, title, summary, vector, keywords), segmented once each."""
    pool = []
    for _ in range(TEXT_POOL):
        industry, topic, keywords = rng.choice(ALL_TOPICS)
        title = rng.choice(FORMS).format(m=rng.choice(MODIFIERS), t=topic)
        summary = f"本成果涉及{topic}，" + "，".join(rng.sample(PHRASES, 3)) + "。"
        vector = tsvector_literal([("A", title), ("B", " ".join(keywords)), ("C", summary)])
        pool.append((industry, title, summary, vector, keywords))
    return pool


async def load(engine: AsyncEngine, rows: int) -> None:
    rng = random.Random(1)
    started = time.perf_counter()
    pool = texts(rng)
    print(f"segmented {TEXT_POOL:,} distinct texts in {time.perf_counter() - started:.1f} s")
    async with engine.begin() as conn:
        org = await conn.scalar(
            text(
                "INSERT INTO organisations (name, kind, region_code, credit_code, status,"
                " created_at) VALUES ('基准大学', 'university', '330100',"
                " '123300004700032810', 'verified', now()) RETURNING id"
            )
        )
        user = await conn.scalar(
            text(
                "INSERT INTO users (org_id, email, display_name, password_hash, roles,"
                " is_active, created_at) VALUES (:o, 'bench@example.com', 'bench', 'x',"
                " '{admin}', true, now()) RETURNING id"
            ),
            {"o": org},
        )
        for index in Achievement.__table__.indexes:  # rebuilt after the load: much faster
            await conn.execute(DropIndex(index))
        await conn.execute(
            text(
                "CREATE TEMP TABLE staging (title text, summary text, ip_type text, industry text,"
                " region_code text, trl int, transfer_modes text[], price bigint, keywords text[],"
                " published_at timestamptz, search text)"
            )
        )
        raw = (await conn.get_raw_connection()).driver_connection
        started = time.perf_counter()
        batch = []
        for i in range(rows):
            industry, title, summary, vector, keywords = pool[rng.randrange(TEXT_POOL)]
            batch.append(
                (
                    title,
                    summary,
                    "invention_patent",
                    industry.value,
                    rng.choice(REGIONS),
                    rng.randint(1, 9),
                    [rng.choice(list(TransferMode)).value],
                    None if rng.random() < 0.1 else rng.randint(1, 1000) * 100_000,
                    keywords,
                    NOW - timedelta(minutes=rows - i),
                    vector,
                )
            )
            if len(batch) == 50_000:
                await raw.copy_records_to_table("staging", records=batch)
                batch = []
        if batch:
            await raw.copy_records_to_table("staging", records=batch)
        await conn.execute(
            text(
                "INSERT INTO achievements (org_id, created_by, title, summary, ip_type,"
                " patent_numbers, industry, region_code, trl, transfer_modes,"
                " asking_price_fen, inventors, keywords, status, created_at, updated_at,"
                " published_at, search)"
                " SELECT :o, :u, title, summary, ip_type, '{}', industry, region_code, trl,"
                " transfer_modes, price, '{}', keywords, 'published', published_at, published_at,"
                " published_at, search::tsvector FROM staging"
            ),
            {"o": org, "u": user},
        )
        print(f"loaded {rows:,} rows in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    async with engine.begin() as conn:  # the indexes exactly as the models define them
        await conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        for index in Achievement.__table__.indexes:
            await conn.execute(CreateIndex(index))
    async with engine.connect() as conn:
        await conn.execute(text("COMMIT"))
        await conn.execute(text("VACUUM ANALYZE achievements"))
    print(f"indexed and analysed in {time.perf_counter() - started:.0f} s")


def cases(rng: random.Random) -> list[tuple[str, search.AchievementFilters, str]]:
    industry, _, keywords = rng.choice(ALL_TOPICS)
    word = rng.choice(keywords)
    return [
        ("keyword", search.AchievementFilters(q=word), "relevance"),
        (
            "keyword+industry+region",
            search.AchievementFilters(q=word, industry=industry, region="330000"),
            "relevance",
        ),
        (
            "keyword+filters, newest",
            search.AchievementFilters(q=word, region=rng.choice(REGIONS), trl_min=4),
            "newest",
        ),
        (
            "two keywords",
            search.AchievementFilters(q=f"{word} {rng.choice(MODIFIERS)}"),
            "relevance",
        ),
        (
            "filters only, price",
            search.AchievementFilters(industry=industry, region="330100", price_max_fen=50_000_000),
            "price_asc",
        ),
    ]


async def warm(engine: AsyncEngine) -> None:
    """Read the table through its primary key so its pages are in shared buffers, as on a
    running service (a sequential scan of a large table would bypass them)."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        await conn.execute(text("SELECT sum(length(title)) FROM achievements"))
    print(f"cache warmed in {time.perf_counter() - started:.0f} s (figures below are warm)")


async def measure(engine: AsyncEngine, samples: int) -> None:
    sessionmaker = make_sessionmaker(engine)
    rng = random.Random(3)
    timings: dict[str, list[float]] = {}
    async with sessionmaker() as session:
        for _ in range(samples):
            for name, filters, sort in cases(rng):
                started = time.perf_counter()
                await search.search_achievements(session, None, filters, sort, None, 20)  # type: ignore[arg-type]
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        everything = [t for ts in timings.values() for t in ts]
        for name, samples_ms in timings.items():
            print(f"search {name:28s} {percentiles(samples_ms)}")
        print(f"search {'all of the above':28s} {percentiles(everything)}")

        matching = []
        for _ in range(max(20, samples // 5)):
            industry, topic, keywords = rng.choice(ALL_TOPICS)
            demand = Demand(
                id=0,
                org_id=0,
                title=f"寻求{topic}技术合作",
                description=f"我公司需要{topic}相关技术，解决{keywords[0]}工程化难题",
                industry=industry,
                region_code="330100",
                budget_max_fen=100_000_000,
                status=DemandStatus.published,
            )
            started = time.perf_counter()
            await search.achievements_for_demand(session, demand, 10)
            matching.append((time.perf_counter() - started) * 1000)
        print(f"matching (demand → achievements)    {percentiles(matching)}")


async def judge(engine: AsyncEngine) -> None:
    async with make_sessionmaker(engine)() as session:
        mean, each = await relevance.ndcg(session)
    print(f"relevance: nDCG@{relevance.TOP} {mean:.4f} over {len(each)} judged queries")
    for label, value in each:
        if value < 1:
            print(f"  {label:28s} {value:.4f}")


async def main(rows: int, samples: int, keep: bool) -> None:
    async with bench_database("techmarket_bench_search", keep=keep) as (engine, _):
        async with engine.connect() as conn:
            loaded = await conn.scalar(text("SELECT count(*) FROM achievements"))
        if loaded != rows:
            await load(engine, rows)
        await warm(engine)
        await measure(engine, samples)
        await judge(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_400_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the loaded database for reruns")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.samples, args.keep))
