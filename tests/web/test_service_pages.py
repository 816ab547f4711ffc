"""The agency directory and the deal page's payments over HTTP (in-process, no browser):
the same services as the API, each action's ledger entry shown."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.models.org import OrgKind
from tests.factories import account, make_user
from tests.trading.test_payments import _deal
from tests.web.test_sessions import csrf_token, sign_in


async def _post(
    client: httpx.AsyncClient, page: str, action: str, **fields: str | list[str]
) -> httpx.Response:
    token = csrf_token(await client.get(page))
    return await client.post(action, data={**fields, "csrf_token": token})


async def test_an_agency_declares_its_services_and_is_found_by_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agency = await account(session, client, kind=OrgKind.agency)
    await make_user(session, agency.org, roles=("broker",))
    await session.commit()
    page = f"/agencies/{agency.org.id}"
    await sign_in(client, agency.user.email)
    wrong = await _post(client, page, f"{page}/profile", categories=["legal"], regions="3301")
    assert wrong.status_code == 422
    assert 'id="f-regions-error"' in wrong.text
    saved = await _post(
        client,
        page,
        f"{page}/profile",
        categories=["legal", "tax"],
        regions="330100、310000",
        description="技术合同法律服务",
    )
    assert saved.status_code == 303, saved.text
    assert re.search(r"\?ledger=\d+$", saved.headers["location"])
    shown = await client.get(page)
    assert "法律、财税" in shown.text and "浙江省 杭州市" in shown.text and "测试用户" in shown.text

    await client.post("/logout", data={"csrf_token": csrf_token(shown)})
    found = await client.get("/agencies", params={"category": "tax", "region": "330106"})
    assert f'href="/agencies/{agency.org.id}"' in found.text
    elsewhere = await client.get("/agencies", params={"category": "tax", "region": "440305"})
    assert f'href="/agencies/{agency.org.id}"' not in elsewhere.text
    unknown = await client.get("/agencies", params={"region": "12"})
    assert unknown.status_code == 200 and "6 位行政区划代码" in unknown.text
    assert "修改服务信息" not in (await client.get(page)).text  # the form is the admin's


async def test_the_parties_record_and_confirm_a_payment_on_the_deal_page(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    deal = await _deal(client, session, clock, sessionmaker)
    page = deal.url.replace("/api/v1/trades/", "/deals/")
    await sign_in(client, deal.buyer.user.email)
    recorded = await _post(
        client,
        page,
        f"{page}/payments",
        amount="1,200,000",
        received_on="2026-12-28",
        evidence="工行回单 77",
    )
    assert recorded.status_code == 303, recorded.text
    mine = await client.get(page)
    assert "待对方确认" in mine.text and "工行回单 77" in mine.text
    assert '/confirm"' not in mine.text  # not the buyer's to confirm

    await sign_in(client, deal.seller.user.email)
    theirs = await client.get(page)
    payment_id = re.search(r'action="/deals/\d+/payments/(\d+)/confirm"', theirs.text)
    assert payment_id, theirs.text
    confirmed = await _post(client, page, f"{page}/payments/{payment_id.group(1)}/confirm")
    assert confirmed.status_code == 303, confirmed.text
    shown = await client.get(page)
    assert re.search(r"已确认到账</dt><dd><strong class=\"amount\">¥1,200,000.00", shown.text)
    figures = await client.get("/stats")
    assert re.search(r"已确认到账 <strong class=\"amount\">¥1,200,000.00</strong>", figures.text)
    again = await _post(client, page, f"{page}/payments/{payment_id.group(1)}/confirm")
    assert again.status_code == 409 and "已经确认过了" in again.text
