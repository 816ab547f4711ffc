"""The webhook pages: an admin registers an endpoint and sees its secret once."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_org, make_user
from tests.web.test_sessions import csrf_token, sign_in


async def test_an_admin_registers_a_webhook_on_the_page_and_sees_its_secret_once(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    admin = await make_user(session, await make_org(session))
    stranger = await make_user(session, await make_org(session))
    await session.commit()
    await sign_in(client, admin.email)
    form = await client.get("/my/webhooks")
    assert form.status_code == 200 and "尚未添加" in form.text
    created = await client.post(
        "/my/webhooks",
        data={
            "url": "http://127.0.0.1:9/hook",
            "kinds": ["outbid"],
            "csrf_token": csrf_token(form),
        },
    )
    assert created.status_code == 201
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", created.text)
    assert secret is not None
    listed = await client.get("/my/webhooks")
    assert "http://127.0.0.1:9/hook" in listed.text and secret[0] not in listed.text
    [path] = re.findall(r'href="(/my/webhooks/\d+)"', listed.text)
    assert "尚无发送记录" in (await client.get(path)).text

    client.cookies.clear()
    await sign_in(client, stranger.email)
    assert (await client.get(path)).status_code == 404
