"""订阅此搜索: a search page's query saved as a subscription pushes what that search finds."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from tests.factories import account
from tests.listings.helpers import published_achievement
from tests.subscriptions.helpers import tell_all, told
from tests.web.test_sessions import sign_in

SAVE_FORM = re.compile(r'<form class="save-search".*?</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


async def test_a_saved_search_pushes_what_the_search_finds(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    buyer = await account(session, client)
    seller = await account(session, client)
    signed_in = await sign_in(client, buyer.user.email)
    assert signed_in.status_code == 303, signed_in.text
    page = await client.get(
        "/achievements",
        params={"q": "正极材料", "province": "330000", "price_max": "600000"},
    )
    form = SAVE_FORM.search(page.text)
    assert form, "no 订阅此搜索 on the search page"
    saved = await client.post("/my/subscriptions/search", data=dict(FIELD.findall(form[0])))
    assert saved.status_code == 303 and saved.headers["location"] == "/my/subscriptions?done=saved"
    listed = await client.get("/my/subscriptions")
    assert "保存的搜索：正极材料" in listed.text

    found = await published_achievement(client, seller)  # ¥500,000 in Hangzhou
    await published_achievement(client, seller, asking_price_fen=90_000_000)
    await published_achievement(client, seller, region_code="440106")
    await tell_all(sessionmaker, clock)

    searched = await client.get(
        "/api/v1/achievements",
        params={"q": "正极材料", "region": "330000", "price_max_fen": 60_000_000},
    )
    assert [a["id"] for a in searched.json()["items"]] == [found["id"]]
    assert [n.link for n in await told(session, buyer.user.id)] == [f"/achievements/{found['id']}"]
