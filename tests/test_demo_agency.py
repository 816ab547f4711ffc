"""The demo shows the service side on first start: agencies in the directory, and
contracts with payments received (one confirmed, one awaiting confirmation, one past the
threshold), every step on a ledger that verifies."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import demo
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_export
from techmarket.models.mandate import Contribution
from tests.ledger.helpers import export_lines, public_key


async def test_the_demo_has_agencies_and_payments_received(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    await demo.load(sessionmaker, clock.now(), on_database_url=False)
    listed = (await client.get("/api/v1/agencies", params={"region": "330106"})).json()["items"]
    assert {a["name"] for a in listed} == {
        "浙江创新技术经纪服务有限公司",
        "杭州知联知识产权服务有限公司",
    }
    assert all(a["broker_count"] == 1 for a in listed)
    received = (await client.get("/api/v1/stats")).json()["received"]
    assert received["contracts"] == 2
    assert received["received_fen"] == 60_000_000 + 250_000_000
    assert received["contracts_reaching_threshold"] == 1
    deals = (await client.get("/api/v1/deals")).json()["items"]
    awaiting = [
        (await client.get(f"/api/v1/trades/{d['trade_id']}/contract/received")).json()
        for d in deals
    ]
    # One payment awaits its confirmation (the demo's other deals have none waiting).
    assert [r["awaiting_confirmation_fen"] for r in awaiting if r["awaiting_confirmation_fen"]] == [
        20_000_000
    ]
    # A broker accepted one of those agreements for its buyer: its agency's record shows it.
    async with sessionmaker() as session:
        [served] = (await session.execute(select(Contribution))).scalars().all()
    record = (await client.get(f"/api/v1/agencies/{served.agency_org_id}/record")).json()
    assert (record["deals"], record["volume_fen"]) == (1, 300_000_000)
    assert record["score"] > 0
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )
    again = await demo.load(sessionmaker, clock.now(), on_database_url=False)  # idempotent
    assert (
        "杭州知联知识产权服务有限公司",
        "ip@zhilian.demo.techmarket.cn",
        "admin,broker",
    ) in again
    assert len((await client.get("/api/v1/deals")).json()["items"]) == len(deals)
