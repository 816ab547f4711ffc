"""A published demand reaches the TTO of the institution whose achievement it matches:
in the inbox and, with SMTP configured, by e-mail, with the reasons it matched."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.delivery import worker
from techmarket.models.org import OrgKind
from tests.delivery.receivers import smtp_server
from tests.factories import account
from tests.listings.helpers import published_achievement, published_demand
from tests.subscriptions.helpers import tell_all


async def test_a_published_demand_is_in_the_ttos_inbox_and_mailbox_with_its_reasons(
    committed: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
    app: FastAPI,
    http: httpx.AsyncClient,
    smtp_port: int,
) -> None:
    async with committed() as session:
        university = await account(session, http, OrgKind.university)
        tto = await account(session, http, roles=("tto",), org=university.org)
        buyer = await account(session, http)
    await published_achievement(http, university, tto)
    demand = await published_demand(http, buyer)
    await tell_all(committed, clock)

    inbox = (await http.get("/api/v1/notifications", headers=tto.headers)).json()["items"]
    [pushed] = [n for n in inbox if n["kind"] == "push"]
    assert pushed["link"] == f"/demands/{demand['id']}"
    assert {r["code"] for r in pushed["reasons"]} >= {"your_achievement", "shared_terms"}

    with smtp_server(smtp_port) as mailbox:
        async with worker.senders(settings, app.state.session_key) as senders:
            await worker.step(committed, clock, senders)
        [mail] = [m for m in mailbox.messages if "新需求" in m["Subject"]]
    assert mail["To"] == tto.user.email
    assert mail["Subject"] == f"【技术市场】新需求：{demand['title']}"
    text = mail.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "与贵单位成果相符：" in body and "共同关键词：" in body
    assert f"/demands/{demand['id']}" in body
