"""The demo shows a proof-of-concept centre with projects in several states."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import demo
from techmarket.clock import FixedClock


async def test_the_demo_centre_has_projects_in_several_states_once(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock, client: httpx.AsyncClient
) -> None:
    for _ in range(2):  # loading again makes nothing twice
        await demo.load(sessionmaker, clock.now(), on_database_url=False)
        stats = (await client.get("/api/v1/poc/stats")).json()
        [centre] = stats["by_centre"].values()
        assert centre["centre_name"] == "浙江省新材料概念验证中心"
        assert centre["by_status"] == {"applied": 1, "active": 1, "passed": 1, "declined": 1}
    [result] = (await client.get("/api/v1/poc/results")).json()["items"]
    assert result["trl_after"] == result["trl_before"] + 2
    [line, _] = stats["by_line"].values()
    assert (line["planned_fen"], line["granted_fen"]) == (160_000_000, 110_000_000)
