"""Searching listings: Chinese text, filters, region prefixes, sorts, stable pages."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.listing import Achievement
from techmarket.models.org import OrgKind
from tests.conftest import START
from tests.factories import Account, account
from tests.listings.fixtures import achievement
from tests.listings.helpers import published_achievement


async def _titles(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/api/v1/achievements", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return [a["title"] for a in response.json()["items"]]


async def _seed(client: httpx.AsyncClient, owner: Account) -> None:
    for title, industry, region, price in [
        ("高能量密度锂离子电池正极材料", "new_materials", "330106", 50_000_000),
        ("固态电解质薄膜制备工艺", "new_materials", "330212", 30_000_000),
        ("智能巡检机器人视觉定位系统", "intelligent_manufacturing", "330106", 20_000_000),
        ("水稻抗倒伏高产育种方法", "agriculture", "510104", 5_000_000),
        ("废旧动力电池梯次利用检测平台", "energy_saving_environment", "440305", None),
    ]:
        await published_achievement(
            client,
            owner,
            title=title,
            industry=industry,
            region_code=region,
            asking_price_fen=price,
            keywords=[],
            summary="技术成果摘要",
        )


async def test_a_two_character_term_finds_it_inside_longer_phrases(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _seed(client, await account(session, client))
    assert sorted(await _titles(client, q="电池")) == [
        "废旧动力电池梯次利用检测平台",
        "高能量密度锂离子电池正极材料",
    ]
    assert await _titles(client, q="离子") == ["高能量密度锂离子电池正极材料"]
    assert await _titles(client, q="电解") == ["固态电解质薄膜制备工艺"]  # inside 电解质
    assert await _titles(client, q="电池 正极") == ["高能量密度锂离子电池正极材料"]
    assert await _titles(client, q="区块链") == []
    assert await _titles(client, q="的") == []  # nothing searchable


async def test_filters_and_region_prefixes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _seed(client, await account(session, client))
    # A city (330100 Hangzhou) matches its districts; a province (330000) all its cities.
    assert sorted(await _titles(client, region="330100")) == [
        "智能巡检机器人视觉定位系统",
        "高能量密度锂离子电池正极材料",
    ]
    assert len(await _titles(client, region="330000")) == 3
    assert await _titles(client, region="330106", industry="intelligent_manufacturing") == [
        "智能巡检机器人视觉定位系统"
    ]
    assert await _titles(client, price_max_fen=10_000_000) == ["水稻抗倒伏高产育种方法"]
    assert len(await _titles(client, trl_min=7)) == 0
    assert len(await _titles(client, transfer_mode="ordinary_licence")) == 5
    bad = await client.get("/api/v1/achievements", params={"industry": "nonsense"})
    assert bad.status_code == 422


async def test_price_sort_puts_negotiable_last(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _seed(client, await account(session, client))
    cheapest_first = await _titles(client, sort="price_asc")
    assert cheapest_first[0] == "水稻抗倒伏高产育种方法"
    assert cheapest_first[-1] == "废旧动力电池梯次利用检测平台"  # negotiable
    dearest_first = await _titles(client, sort="price_desc")
    assert dearest_first[0] == "高能量密度锂离子电池正极材料"
    assert dearest_first[-1] == "废旧动力电池梯次利用检测平台"


async def _all_pages(client: httpx.AsyncClient, **params: Any) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": 3, **params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/achievements", params=query)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_pages_are_stable_while_records_are_added(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    for i in range(8):
        await published_achievement(
            client, owner, title=f"传感器芯片封装技术第{i}代", asking_price_fen=(i % 3 + 1) * 1000
        )
    for sort in ("relevance", "newest", "price_asc", "price_desc"):
        params = {"q": "传感器", "sort": sort}
        first = await client.get("/api/v1/achievements", params={**params, "limit": 3})
        cursor = first.json()["next_cursor"]
        # A new record arrives between pages: it must not duplicate or drop anything.
        await published_achievement(
            client, owner, title=f"传感器新成果{sort}", asking_price_fen=1000
        )
        rest = await _all_pages(client, cursor=cursor, **params)
        ids = [a["id"] for a in first.json()["items"]] + rest
        assert len(ids) == len(set(ids)), sort
        assert len(ids) >= 8
    # A cursor from the price sort is refused by another sort order.
    assert cursor is not None
    wrong = await client.get(
        "/api/v1/achievements", params={"q": "传感器", "sort": "newest", "cursor": cursor}
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_cursor"


async def test_relevance_prefers_the_title(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    await published_achievement(
        client, owner, title="农业无人机植保喷洒系统", summary="提高农药利用率", keywords=[]
    )
    await published_achievement(
        client, owner, title="果园管理平台", summary="可搭配无人机使用", keywords=[]
    )
    assert (await _titles(client, q="无人机"))[0] == "农业无人机植保喷洒系统"


async def test_own_drafts_are_listed_only_for_their_organisation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client, kind=OrgKind.enterprise)
    other = await account(session, client)
    await client.post(
        "/api/v1/achievements", json=achievement(title="草稿里的成果"), headers=owner.headers
    )
    mine = await client.get(
        "/api/v1/achievements",
        params={"org_id": owner.org.id, "status": "draft"},
        headers=owner.headers,
    )
    assert [a["title"] for a in mine.json()["items"]] == ["草稿里的成果"]
    theirs = await client.get(
        "/api/v1/achievements",
        params={"org_id": owner.org.id, "status": "draft"},
        headers=other.headers,
    )
    assert theirs.json()["items"] == []


async def test_quotes_and_backslashes_are_stored_and_found(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    await published_achievement(client, owner, title="O'Brien\\型 传感器 'test'", keywords=[])
    assert await _titles(client, q="brien") == ["O'Brien\\型 传感器 'test'"]


async def test_records_published_years_apart_are_all_found_newest_first(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Search reads the newest matches a few weeks at a time: older ones, however far
    back, still follow in order, page after page (and a draft, for its owner, first)."""
    owner = await account(session, client)
    ids = []
    for weeks_ago in (0, 1, 30, 120):
        found = await published_achievement(client, owner, title=f"储能电站热管理{weeks_ago}")
        ids.append(found["id"])
        at = START - timedelta(weeks=weeks_ago)
        await session.execute(
            update(Achievement).where(Achievement.id == found["id"]).values(published_at=at)
        )
    await session.commit()
    assert await _all_pages(client, q="储能", sort="newest") == ids
    ranked = await _all_pages(client, q="储能", sort="relevance")  # equal ranks: newest id first
    assert ranked == sorted(ids, reverse=True)
    draft = await client.post(
        "/api/v1/achievements", json=achievement(title="储能草稿"), headers=owner.headers
    )
    mine = await client.get(
        "/api/v1/achievements",
        params={"q": "储能", "org_id": owner.org.id, "status": "draft", "sort": "newest"},
        headers=owner.headers,
    )
    assert [a["id"] for a in mine.json()["items"]] == [draft.json()["id"]]


async def test_relevance_prefers_a_record_about_the_term_to_one_that_mentions_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    await published_achievement(
        client, owner, title="柔性夹爪", keywords=["柔性", "夹爪"], summary="本成果涉及柔性夹爪"
    )
    await published_achievement(
        client, owner, title="柔性陶瓷涂层", keywords=["陶瓷"], summary="耐高温防护"
    )
    assert await _titles(client, q="柔性") == ["柔性夹爪", "柔性陶瓷涂层"]


async def test_a_character_split_off_a_query_word_must_join_its_neighbour(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The segmenter splits 碳捕集 into 碳 + 捕集: 碳 must be the 碳 of 碳捕, not any 碳."""
    owner = await account(session, client)
    for title in ("二氧化碳捕集利用", "碳纤维废气捕集装置"):
        await published_achievement(client, owner, title=title, keywords=[], summary="摘要")
    assert await _titles(client, q="碳捕集") == ["二氧化碳捕集利用"]
    assert sorted(await _titles(client, q="碳")) == ["二氧化碳捕集利用", "碳纤维废气捕集装置"]
