"""The service agency directory: agencies declare categories and regions served, found by
category, region (either way round: a province served covers its cities, a city searched
finds agencies serving its districts) and text; profile changes are ledgered."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.audit import rule_books
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.models.org import OrgKind, OrgStatus
from tests.factories import Account, account, make_org, make_user
from tests.ledger.helpers import T0, export_lines, public_key


async def _agency(
    session: AsyncSession, client: httpx.AsyncClient, **profile: Any
) -> tuple[Account, dict[str, Any]]:
    agency = await account(session, client, kind=OrgKind.agency)
    await make_user(session, agency.org, roles=("broker",))
    await session.commit()
    body = {"categories": ["technology_transfer"], "regions": ["330100"], **profile}
    declared = await client.put(
        f"/api/v1/agencies/{agency.org.id}/profile", json=body, headers=agency.headers
    )
    assert declared.status_code == 200, declared.text
    return agency, dict(declared.json())


async def _found(client: httpx.AsyncClient, **query: str) -> list[int]:
    listed = await client.get("/api/v1/agencies", params=query)
    assert listed.status_code == 200, listed.text
    return [a["org_id"] for a in listed.json()["items"]]


async def test_agencies_are_found_by_category_region_and_text(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    ip, declared = await _agency(
        session,
        client,
        categories=["intellectual_property", "legal"],
        regions=["330000"],  # all Zhejiang
        description="专利代理、知识产权运营与维权",
    )
    assert declared["categories"] == ["intellectual_property", "legal"]
    assert declared["broker_count"] == 1
    brokers = (await client.get(f"/api/v1/agencies/{ip.org.id}/brokers")).json()
    assert [b["display_name"] for b in brokers["items"]] == ["测试用户"]
    testing, _ = await _agency(
        session, client, categories=["testing"], regions=["330106"], description="第三方检测"
    )
    finance, _ = await _agency(session, client, categories=["finance"], regions=["440300"])
    ids = (ip.org.id, testing.org.id, finance.org.id)

    def only(found: list[int]) -> list[int]:
        return [i for i in found if i in ids]

    assert only(await _found(client)) == list(ids)
    assert only(await _found(client, category="legal")) == [ip.org.id]
    assert only(await _found(client, category="intellectual_property")) == [ip.org.id]
    read = (await client.get(f"/api/v1/agencies/{ip.org.id}")).json()
    assert read["categories"] == ["intellectual_property", "legal"]  # the longest name whole
    assert only(await _found(client, region="330106")) == [ip.org.id, testing.org.id]
    assert only(await _found(client, region="330100")) == [ip.org.id, testing.org.id]
    assert only(await _found(client, region="440305")) == [finance.org.id]
    assert only(await _found(client, q="知识产权")) == [ip.org.id]
    assert only(await _found(client, q="100%")) == []  # a wildcard is a character
    assert only(await _found(client, category="testing", region="330000")) == [testing.org.id]
    unknown = await client.get("/api/v1/agencies", params={"category": "astrology"})
    assert unknown.status_code == 422


async def test_the_directory_pages_through_verified_agencies_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first, _ = await _agency(session, client)
    second, _ = await _agency(session, client)
    pending = await make_org(session, OrgKind.agency, OrgStatus.pending)
    await session.commit()
    page = (await client.get("/api/v1/agencies", params={"limit": 1})).json()
    seen = [a["org_id"] for a in page["items"]]
    while page["next_cursor"]:
        page = (
            await client.get("/api/v1/agencies", params={"limit": 1, "cursor": page["next_cursor"]})
        ).json()
        seen += [a["org_id"] for a in page["items"]]
    assert first.org.id in seen and second.org.id in seen and pending.id not in seen
    assert (await client.get(f"/api/v1/agencies/{pending.id}")).json()["code"] == "agency_not_found"


async def test_only_the_agencys_admin_declares_its_profile(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agency, _ = await _agency(session, client)
    body = {"categories": ["tax"], "regions": ["330100"]}
    url = f"/api/v1/agencies/{agency.org.id}/profile"
    other = await account(session, client, kind=OrgKind.agency)
    assert (await client.put(url, json=body, headers=other.headers)).json()[
        "code"
    ] == "not_your_org"
    broker = await account(session, client, kind=OrgKind.agency, roles=("broker",), org=agency.org)
    refused = await client.put(url, json=body, headers=broker.headers)
    assert refused.json()["code"] == "missing_role"
    firm = await account(session, client)
    mine = f"/api/v1/agencies/{firm.org.id}/profile"
    assert (await client.put(mine, json=body, headers=firm.headers)).json()[
        "code"
    ] == "wrong_org_kind"
    twice = await client.put(
        url, json={"categories": ["tax", "tax"], "regions": ["330100"]}, headers=agency.headers
    )
    assert (twice.status_code, twice.json()["code"]) == (422, "invalid_agency_profile")
    no_region = await client.put(
        url, json={"categories": ["tax"], "regions": ["990000"]}, headers=agency.headers
    )
    assert no_region.status_code == 422


async def test_profile_changes_are_ledgered_and_replayed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agency, declared = await _agency(session, client, categories=["tax"], regions=["330100"])
    changed = await client.put(
        f"/api/v1/agencies/{agency.org.id}/profile",
        json={"categories": ["tax", "legal"], "regions": ["330100", "310000"]},
        headers=agency.headers,
    )
    entry = (await client.get(f"/api/v1/ledger/entries/{changed.json()['ledger_index']}")).json()
    assert json.loads(entry["canonical"])["type"] == "agency.profile_updated"
    assert changed.json()["ledger_index"] > declared["ledger_index"]
    lines, verifier = await export_lines(client), Verifier.parse(await public_key(client))
    verify_export(lines, verifier, rule_books=rule_books())
    forged = await ledger.append(
        session,
        "agency.profile_updated",
        f"org/{agency.org.id}",
        {"org_id": agency.org.id, "categories": ["astrology"], "regions": ["330100"]},
        T0,
    )
    await session.commit()
    with pytest.raises(VerificationFailed, match="unknown service categories") as caught:
        verify_export(await export_lines(client), verifier, rule_books=rule_books())
    assert caught.value.index == forged
