"""Webhooks reach only public http(s) addresses unless the deployment allows private ones."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.config import Settings
from tests.factories import account


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=None, data_dir=tmp_path)  # private addresses not allowed


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("ftp://example.com/hook", "http"),
        ("http://example.com:99999/hook", "http"),  # no such port
        ("http://127.0.0.1:9/hook", "private"),
        (f"http://{'a' * 64}.example/hook", "resolved"),  # a label too long for a name
    ],
)
async def test_webhooks_reach_only_public_http_addresses(
    session: AsyncSession, client: httpx.AsyncClient, address: str, why: str
) -> None:
    admin = await account(session, client)
    refused = await client.post(
        "/api/v1/webhooks", json={"url": address, "kinds": ["outbid"]}, headers=admin.headers
    )
    assert refused.status_code == 422 and refused.json()["code"] == "webhook_url_refused"
    assert why in refused.json()["detail"]
