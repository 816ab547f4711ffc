"""A deployment with short periods (staging: TECHMARKET_NOTICE_PERIOD=PT2M): the notice
ends, and the winner's signing period lapses, exactly when configured; the ledger says
so and its verifier agrees."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_export
from techmarket.models.trade import Trade
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from techmarket.trading import bidding, closing
from techmarket.trading import repository as trades
from tests.conftest import START
from tests.factories import account
from tests.ledger.helpers import export_lines, public_key
from tests.trading.helpers import agreement_on_notice, committed_auction


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=None, data_dir=tmp_path, notice_period="PT2M")


async def test_a_two_minute_notice_concludes_after_two_minutes(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    trade = await agreement_on_notice(client, seller, buyer)
    ends = datetime.fromisoformat(trade["notice_ends_at"])
    assert ends == clock.now() + timedelta(minutes=2)
    entries = (await client.get("/api/v1/ledger/entries?start=0&limit=100")).json()["entries"]
    notice = [json.loads(e["canonical"]) for e in entries]
    assert [e["data"]["notice_period"] for e in notice if e["type"] == "trade.notice_opened"] == [
        "PT2M"
    ]
    clock.advance(timedelta(minutes=1, seconds=59))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 0
    clock.advance(timedelta(seconds=1))
    assert await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS) == 1
    await session.commit()
    assert (await client.get(f"/api/v1/trades/{trade['id']}")).json()["status"] == "sold"
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def test_the_signing_period_lapses_when_its_duration_says(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    short, (first,) = await committed_auction(committed, 1, signing_period=timedelta(minutes=5))
    legacy, (second,) = await committed_auction(committed, 1)
    ended = START + timedelta(hours=1) + closing.BID_GRACE
    bid_time = START + timedelta(minutes=15)
    async with committed.begin() as session:
        for trade_id, winner in ((short, first), (legacy, second)):
            await bidding.place_bid(
                session, winner, trade_id, 1_000_000, None, None, bid_time, FixedClock(bid_time)
            )
    assert await scheduler.run(committed, FixedClock(ended), scheduler.CLOSE_AUCTIONS) == 2
    async with committed.begin() as session:
        assert (await session.get_one(Trade, short)).terms["signing_period"] == "PT5M"
        # A trade opened before periods were durations keeps its whole days.
        old = dict((await session.get_one(Trade, legacy)).terms)
        del old["signing_period"]
        await session.execute(
            update(Trade).where(Trade.id == legacy).values(terms={**old, "signing_days": 1})
        )
    async with committed.begin() as session:
        assert await trades.next_signing_lapsed(session, ended + timedelta(minutes=4), ()) is None
        due = await trades.next_signing_lapsed(session, ended + timedelta(minutes=5), ())
        assert due is not None and due.id == short
        not_yet = ended + timedelta(hours=23)
        assert await trades.next_signing_lapsed(session, not_yet, (short,)) is None
        late = await trades.next_signing_lapsed(session, ended + timedelta(days=1), (short,))
        assert late is not None and late.id == legacy
