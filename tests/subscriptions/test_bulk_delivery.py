"""A push to thousands is delivered in one call: more rows than PostgreSQL's 32,767
parameters a statement allows if each value were one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.notify import inbox
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from tests.conftest import START
from tests.factories import make_org, make_user

ROWS = 3_300  # × 10 columns > 32,767


async def test_drafts_beyond_the_parameter_limit_are_all_delivered_once(
    session: AsyncSession,
) -> None:
    user = await make_user(session, await make_org(session))
    drafts = [
        Draft(
            user_id=user.id,
            kind=Kind.push,
            subject=f"achievement/{n}",
            title="新成果：正极材料",
            body="新材料。",
            link=f"/achievements/{n}",
            key=f"ledger/{n}",
            ledger_index=n,
            reasons=[{"code": "shared_terms", "detail": "正极、材料"}],
        )
        for n in range(ROWS)
    ]
    told = await inbox.deliver(session, drafts, START)
    assert len(told) == ROWS
    assert told[0].reasons == [{"code": "shared_terms", "detail": "正极、材料"}]
    assert await inbox.deliver(session, drafts[:10], START) == []  # told once
