"""Setting the scene of a journey through the API (what other pages do), as the demo's
people: their tokens and their achievements."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.conftest import DemoSite


async def token(site: DemoSite, email: str) -> str:
    login = site.login(email)
    async with httpx.AsyncClient(base_url=f"{site.url}/api/v1") as client:
        issued = await client.post(
            "/auth/token", data={"username": login.email, "password": login.password}
        )
    issued.raise_for_status()
    return str(issued.json()["access_token"])


async def call(
    site: DemoSite, method: str, path: str, email: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {await token(site, email)}"} if email else {}
    async with httpx.AsyncClient(base_url=f"{site.url}/api/v1", headers=headers) as client:
        return await client.request(method, path, **kwargs)
