"""Agencies, brokers and mandates for tests, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from tests.conftest import START
from tests.factories import Account, account


@dataclass
class Agency:
    admin: Account
    broker: Account


async def agency(session: AsyncSession, client: httpx.AsyncClient) -> Agency:
    admin = await account(session, client, kind=OrgKind.agency)
    broker = await account(session, client, roles=("broker",), org=admin.org)
    return Agency(admin, broker)


async def mandate(
    client: httpx.AsyncClient,
    client_admin: Account,
    by: Agency,
    object_kind: str,
    object_id: int,
    scope: list[str],
    *,
    accept: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A mandate the client gives the agency (and the agency accepts, by default), valid
    for a day from the start."""
    given = await client.post(
        "/api/v1/mandates",
        json={
            "agency_org_id": by.admin.org.id,
            "object_kind": object_kind,
            "object_id": object_id,
            "scope": scope,
            "fee_terms": "成交价的 2%",
            "valid_until": (START + timedelta(days=1)).isoformat(),
            **extra,
        },
        headers=client_admin.headers,
    )
    assert given.status_code == 201, given.text
    if not accept:
        return dict(given.json())
    accepted = await client.post(
        f"/api/v1/mandates/{given.json()['id']}/accept", headers=by.admin.headers
    )
    assert accepted.status_code == 200, accepted.text
    return dict(accepted.json())


def acting(broker: Account, mandate_id: int) -> dict[str, str]:
    """The headers of a broker acting for a client under a mandate."""
    return {**broker.headers, "X-Mandate": str(mandate_id)}
