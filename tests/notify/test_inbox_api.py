"""The inbox API: one's own notifications only, newest first in pages, unread counted and
marked read; preferences per kind."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.notify import inbox
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from tests.conftest import START
from tests.factories import account


def _draft(user_id: int, n: int) -> Draft:
    return Draft(user_id, Kind.outbid, f"trade/{n}", f"通知{n}", "正文", f"/trades/{n}", f"t/{n}")


async def test_the_inbox_pages_counts_and_marks_read_ones_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    me, other = await account(session, client), await account(session, client)
    told = await inbox.deliver(
        session, [*(_draft(me.user.id, n) for n in range(1, 6)), _draft(other.user.id, 9)], START
    )
    again = await inbox.deliver(session, [_draft(me.user.id, 1)], START)  # same key: once
    await session.commit()
    assert len(told) == 6 and again == []
    mine = [n.id for n in told if n.user_id == me.user.id]
    others = next(n.id for n in told if n.user_id == other.user.id)

    first = (await client.get("/api/v1/notifications?limit=2", headers=me.headers)).json()
    assert [n["title"] for n in first["items"]] == ["通知5", "通知4"]
    rest = await client.get(
        f"/api/v1/notifications?limit=3&cursor={first['next_cursor']}", headers=me.headers
    )
    assert [n["title"] for n in rest.json()["items"]] == ["通知3", "通知2", "通知1"]

    read = await client.post(f"/api/v1/notifications/{mine[1]}/read", headers=me.headers)
    assert read.json() == {"unread": 4}
    unread = await client.get("/api/v1/notifications?unread=true", headers=me.headers)
    assert [n["title"] for n in unread.json()["items"]] == ["通知5", "通知4", "通知3", "通知1"]
    stranger = await client.post(f"/api/v1/notifications/{others}/read", headers=me.headers)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "notification_not_found")

    assert (await client.post("/api/v1/notifications/read", headers=me.headers)).json() == {
        "marked": 4
    }
    assert (await client.get("/api/v1/notifications/unread", headers=me.headers)).json() == {
        "unread": 0
    }
    assert (await client.get("/api/v1/notifications/unread", headers=other.headers)).json() == {
        "unread": 1
    }


async def test_preferences_per_kind_default_until_chosen(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    me = await account(session, client)
    url = "/api/v1/notifications/preferences"
    before = (await client.get(url, headers=me.headers)).json()
    assert before["labels"]["outbid"] == "出价被超过"
    assert before["email"]["outbid"] is before["defaults"]["outbid"] is True
    assert before["email"]["extended"] is False
    chosen = await client.put(
        url, json={"email": {"outbid": False, "extended": True}}, headers=me.headers
    )
    after = chosen.json()["email"]
    assert (after["outbid"], after["extended"], after["closed"]) == (False, True, True)
    unknown = await client.put(url, json={"email": {"gossip": True}}, headers=me.headers)
    assert unknown.status_code == 422
