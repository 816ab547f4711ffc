import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.factories import account
from tests.listings.helpers import published_achievement, published_demand


async def test_statistics_count_what_is_public(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    institute = await account(session, client, kind=OrgKind.institute, roles=("tto",))
    enterprise = await account(session, client, kind=OrgKind.enterprise)
    await published_achievement(client, institute, approver=institute)
    await published_achievement(
        client, institute, approver=institute, industry="agriculture", region_code="510104"
    )
    await client.post("/api/v1/achievements", json={"title": "草稿"}, headers=institute.headers)
    demand = await published_demand(client, enterprise)
    await client.post(
        f"/api/v1/demands/{demand['id']}/responses",
        json={"text": "方案", "quoted_price_fen": 1000},
        headers=institute.headers,
    )

    stats = (await client.get("/api/v1/stats")).json()
    assert stats["achievements"]["published"] == 2
    assert stats["achievements"]["by_industry"] == {"new_materials": 1, "agriculture": 1}
    assert stats["achievements"]["by_province"] == {"330000": 1, "510000": 1}
    assert stats["demands"]["open"] == 1
    assert stats["organisations"]["verified_by_kind"] == {"institute": 1, "enterprise": 1}
    assert stats["responses"]["by_status"] == {"submitted": 1}


async def test_listings_by_city_and_month_of_publication(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    institute = await account(session, client, kind=OrgKind.institute, roles=("tto",))
    enterprise = await account(session, client, kind=OrgKind.enterprise)
    await published_achievement(client, institute, approver=institute, region_code="330106")
    await published_achievement(client, institute, approver=institute, region_code="330102")
    await published_achievement(client, institute, approver=institute, region_code="110108")
    await published_demand(client, enterprise, region_code="510104")

    stats = (await client.get("/api/v1/stats")).json()
    assert stats["achievements"]["by_city"] == {"330100": 2, "110100": 1}
    assert stats["demands"]["by_city"] == {"510100": 1}
    # The test clock stands at 16:00 on 23 November 2026 in Beijing.
    assert stats["achievements"]["by_month"] == {"2026-11": 3}
    assert stats["demands"]["by_month"] == {"2026-11": 1}
