"""The stream an open page reads: the unread count at once, then each new notification as
it is told, and nothing more once the user signed out (checked before each message)."""

import json
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.accounts import service as accounts
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.notify import inbox, live
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.web.inbox import events
from tests.conftest import START
from tests.factories import make_org, make_user


def _read(event: str) -> dict[str, Any]:
    assert event.startswith("data: ")
    return dict(json.loads(event.removeprefix("data: ")))


async def test_the_stream_tells_the_count_and_the_new_until_signed_out(
    engine: AsyncEngine, committed: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with committed.begin() as session:
        user = await make_user(session, await make_org(session))
        token, _ = accounts.issue_token(session, settings, user, START)
    app = create_app(settings, clock=FixedClock(START), engine=engine, sessionmaker=committed)
    listener = live.Listener(engine.url.render_as_string(hide_password=False))
    await listener.start()

    async def tell(n: int) -> None:
        async with committed.begin() as session:
            draft = Draft(user.id, Kind.outbid, "trade/1", f"通知{n}", "正文", "/trades/1", f"{n}")
            await inbox.deliver(session, [draft], START)

    try:
        await tell(1)
        stream = events(SimpleNamespace(app=app), listener, user.id, token)  # type: ignore[arg-type]
        assert _read(await anext(stream)) == {"unread": 1, "new": []}  # the page drew it
        await tell(2)
        now = _read(await anext(stream))
        assert (now["unread"], [n["title"] for n in now["new"]]) == (2, ["通知2"])
        async with committed.begin() as session:
            await accounts.logout(session, token, START)
        await tell(3)
        assert [event async for event in stream] == []  # ended: signed out
    finally:
        await listener.stop()
