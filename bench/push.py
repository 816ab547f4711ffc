"""Push benchmark: publishing an achievement that matches N subscriptions against one that
matches none, in the same run, on a real `techmarket serve` process (whose feed pushes);
and the time from the publishing request until every one of the N notifications is in
its subscriber's inbox (counted).

    .venv/bin/python -m bench.push [--subscribers 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.listings.fixtures import achievement  # a valid achievement payload

from bench.bids import serving
from bench.common import bench_database
from techmarket.accounts.service import hash_token
from techmarket.db import make_sessionmaker
from techmarket.listings.text import tsquery_literal
from techmarket.models.ledger import LedgerHead
from techmarket.models.notification import Notification, NotificationFeed
from techmarket.models.org import AccessToken, Organisation, OrgKind, OrgStatus, User
from techmarket.models.subscription import Basis, Subscription, Target

KEYWORDS = "正极材料"
UNMATCHED = {  # shares no word, industry or region with the subscriptions' filters
    "title": "耐盐碱水稻新品种选育技术",
    "summary": "通过分子标记辅助育种获得耐盐碱水稻品种。",
    "ip_type": "plant_variety",
    "patent_numbers": [],
    "industry": "agriculture",
    "keywords": ["水稻", "育种"],
}
TOKEN = "bench-push-seller"  # noqa: S105 (a bench's own bearer token)


async def setup(engine: AsyncEngine, subscribers: int) -> None:
    """A seller with a bearer token; ``subscribers`` organisations, each with a user
    subscribed to achievements about KEYWORDS (bulk inserts)."""
    now = datetime.now(UTC)
    rows = range(subscribers + 1)
    async with make_sessionmaker(engine).begin() as session:
        orgs = [
            {
                "name": f"推送基准企业{i}",
                "kind": OrgKind.enterprise,
                "region_code": "330100",
                "credit_code": f"P{i:017d}",
                "status": OrgStatus.verified,
                "created_at": now,
            }
            for i in rows
        ]
        org_ids = list(await session.scalars(insert(Organisation).returning(Organisation.id), orgs))
        users = [
            {
                "org_id": org_id,
                "email": f"p{i}@bench.example.com",
                "display_name": "p",
                "password_hash": "!",
                "roles": ["admin"],
                "is_active": True,
                "created_at": now,
            }
            for i, org_id in enumerate(org_ids)
        ]
        user_ids = list(await session.scalars(insert(User).returning(User.id), users))
        session.add(
            AccessToken(
                user_id=user_ids[0],
                token_hash=hash_token(TOKEN),
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
        query = tsquery_literal(KEYWORDS)
        await session.execute(
            insert(Subscription),
            [
                {
                    "org_id": org_id,
                    "user_id": user_id,
                    "name": "正极材料",
                    "target": Target.achievement,
                    "basis": Basis.filters,
                    "keywords": KEYWORDS,
                    "query": query,
                    "digest": False,
                    "created_at": now,
                }
                for org_id, user_id in zip(org_ids[1:], user_ids[1:], strict=True)
            ],
        )


async def publish(client: httpx.AsyncClient, fields: dict[str, object]) -> tuple[float, int]:
    """Create a draft, then time the publishing request; returns (ms, ledger index)."""
    created = await client.post("/api/v1/achievements", json=achievement(**fields))
    created.raise_for_status()
    started = time.perf_counter()
    published = await client.post(f"/api/v1/achievements/{created.json()['id']}/submit")
    elapsed = (time.perf_counter() - started) * 1000
    published.raise_for_status()
    return elapsed, int(published.json()["ledger_index"])


async def told_up_to_head(engine: AsyncEngine) -> None:
    """Wait until the feed has told every ledger entry."""
    async with make_sessionmaker(engine)() as session:
        while True:
            position = await session.scalar(select(NotificationFeed.position))
            size = await session.scalar(select(LedgerHead.size))
            await session.rollback()
            if position is not None and size is not None and position >= size:
                return
            await asyncio.sleep(0.02)


async def delivered(engine: AsyncEngine, index: int, expected: int, started: float) -> float:
    """Seconds from ``started`` until ``expected`` notifications of entry ``index`` exist."""
    async with make_sessionmaker(engine)() as session:
        while True:
            stmt = select(func.count()).where(Notification.ledger_index == index)
            count = await session.scalar(stmt) or 0
            await session.rollback()
            if count >= expected:
                assert count == expected, f"{count} notifications for {expected} subscribers"
                return time.perf_counter() - started
            await asyncio.sleep(0.02)


async def main(subscribers: int, rounds: int) -> None:
    async with bench_database("bench_push") as (engine, _):
        await setup(engine, subscribers)
        url = engine.url.render_as_string(hide_password=False)
        with serving(url, 1) as [base]:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
                await publish(client, UNMATCHED)  # warm up
                await told_up_to_head(engine)
                none_ms, match_ms, delivery_s = [], [], []
                for _ in range(rounds):
                    ms, _index = await publish(client, UNMATCHED)
                    none_ms.append(ms)
                    await told_up_to_head(engine)
                    started = time.perf_counter()
                    ms, index = await publish(client, {"keywords": [KEYWORDS]})
                    match_ms.append(ms)
                    delivery_s.append(await delivered(engine, index, subscribers, started))
                    await told_up_to_head(engine)
    none, match = statistics.median(none_ms), statistics.median(match_ms)
    print(f"subscribers: {subscribers}, rounds: {rounds}")
    print(f"publish, matching none:          median {none:.1f} ms  {none_ms}")
    print(f"publish, matching {subscribers}:    median {match:.1f} ms  {match_ms}")
    print(f"latency ratio (matching/none):   {match / none:.2f}")
    print(f"all {subscribers} delivered after: median {statistics.median(delivery_s):.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.rounds))
