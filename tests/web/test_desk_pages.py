"""The operator's desk and the ledger explorer over HTTP (in-process, no browser)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_receipt
from techmarket.models.org import OrgKind, OrgStatus
from techmarket.web.ledger import subject_url
from tests.factories import Account, account, make_org
from tests.ledger.helpers import seed
from tests.listings.helpers import published_achievement
from tests.trading.helpers import agreement_on_notice, raise_objection
from tests.web.test_sessions import csrf_token, sign_in


@pytest.fixture
async def operator(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    found = await account(session, client, OrgKind.operator)
    signed_in = await sign_in(client, found.user.email)
    assert signed_in.status_code == 303
    return found


async def _post(client: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_token(await client.get(page))
    return await client.post(action, data={**fields, "csrf_token": token})


def _ledger_index(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.search(r"\?ledger=(\d+)$", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


async def _entry(client: httpx.AsyncClient, index: int) -> dict[str, Any]:
    entry = (await client.get(f"/api/v1/ledger/entries/{index}")).json()
    return dict(json.loads(entry["canonical"]))


async def test_the_operator_verifies_and_rejects_pending_organisations(
    client: httpx.AsyncClient, session: AsyncSession, operator: Account
) -> None:
    applicant = await make_org(session, OrgKind.university, OrgStatus.pending)
    doubtful = await make_org(session, OrgKind.enterprise, OrgStatus.pending)
    await session.commit()
    desk = await client.get("/operator")
    assert desk.status_code == 200
    assert applicant.name in desk.text and doubtful.name in desk.text

    # A rejection needs a reason: the form comes back with the message at that field.
    refused = await _post(client, "/operator", f"/operator/orgs/{doubtful.id}/reject")
    assert refused.status_code == 422
    assert f'id="reject-reason-{doubtful.id}-error"' in refused.text
    assert "请填写此项" in refused.text
    assert (await client.get(f"/api/v1/orgs/{doubtful.id}", headers=operator.headers)).json()[
        "status"
    ] == "pending"

    rejected = await _post(
        client, "/operator", f"/operator/orgs/{doubtful.id}/reject", reason="信用代码与名称不符"
    )
    index = _ledger_index(rejected)
    assert (await _entry(client, index))["data"]["reason"] == "信用代码与名称不符"

    verified = await _post(client, "/operator", f"/operator/orgs/{applicant.id}/verify")
    index = _ledger_index(verified)
    body = await _entry(client, index)
    assert (body["type"], body["subject"]) == ("org.verified", f"org/{applicant.id}")
    after = await client.get(verified.headers["location"])
    assert f"第 <strong>#{index}</strong> 条" in after.text
    assert f'href="/ledger/entries/{index}/receipt"' in after.text
    assert f'action="/operator/orgs/{applicant.id}/verify"' not in after.text  # done

    # The same decision twice: the state is explained, nothing is written.
    again = await _post(client, "/operator", f"/operator/orgs/{applicant.id}/verify")
    assert again.status_code == 409
    assert "当前状态下不能进行此操作" in again.text


async def test_the_operator_suspends_an_organisation_by_its_number(
    client: httpx.AsyncClient, session: AsyncSession, operator: Account
) -> None:
    member = await make_org(session)
    await session.commit()
    unknown = await _post(
        client, "/operator", "/operator/suspensions", org_id="999999", reason="违规"
    )
    assert unknown.status_code == 404
    assert 'id="suspend-org_id-error"' in unknown.text
    suspended = await _post(
        client, "/operator", "/operator/suspensions", org_id=str(member.id), reason="资质过期"
    )
    body = await _entry(client, _ledger_index(suspended))
    assert (body["type"], body["data"]["reason"]) == ("org.suspended", "资质过期")


async def test_the_operator_rules_on_objections_from_the_desk(
    client: httpx.AsyncClient, session: AsyncSession, operator: Account
) -> None:
    seller, buyer, objector = [await account(session, client) for _ in range(3)]
    trade = await agreement_on_notice(client, seller, buyer)
    objection = await raise_objection(client, objector, trade["id"], "该专利已许可给第三方")
    desk = await client.get("/operator/objections")
    assert "该专利已许可给第三方" in desk.text
    assert objector.org.name in desk.text
    assert "¥9,000.00" in desk.text

    dismissed = await _post(
        client,
        "/operator/objections",
        f"/operator/objections/{trade['id']}/{objection['objection_id']}/dismiss",
    )
    body = await _entry(client, _ledger_index(dismissed))
    assert body["type"] == "trade.objection_resolved"
    assert body["data"]["ruling"] == "dismissed"
    assert "没有待裁定的异议" in (await client.get("/operator/objections")).text

    twice = await _post(
        client,
        "/operator/objections",
        f"/operator/objections/{trade['id']}/{objection['objection_id']}/uphold",
    )
    assert twice.status_code == 409


async def test_suspended_listings_show_what_and_why(
    client: httpx.AsyncClient, session: AsyncSession, operator: Account
) -> None:
    owner = await account(session, client)
    suspended = await published_achievement(client, owner, title="违规挂牌的成果")
    withdrawn = await published_achievement(client, owner, title="机构自行撤回的成果")
    moderated = await client.post(
        f"/api/v1/achievements/{suspended['id']}/withdraw",
        json={"reason": "专利已失效"},
        headers=operator.headers,
    )
    assert moderated.status_code == 200, moderated.text
    await client.post(
        f"/api/v1/achievements/{withdrawn['id']}/withdraw", json={}, headers=owner.headers
    )
    page = await client.get("/operator/listings")
    assert "违规挂牌的成果" in page.text and "专利已失效" in page.text
    assert owner.org.name in page.text
    assert f'href="/ledger/entries/{moderated.json()["ledger_index"]}"' in page.text
    assert "机构自行撤回的成果" not in page.text  # the owner's own withdrawal is no suspension


async def test_only_the_operator_opens_the_desk(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    anonymous = await client.get("/operator")
    assert anonymous.status_code == 403 and "请登录" in anonymous.text
    member = await account(session, client)
    await sign_in(client, member.user.email)
    for path in ("/operator", "/operator/objections", "/operator/listings"):
        refused = await client.get(path)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "只有平台运营方可以进行此操作" in refused.text


async def test_desk_posts_without_the_form_token_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, operator: Account
) -> None:
    applicant = await make_org(session, OrgKind.university, OrgStatus.pending)
    await session.commit()
    forged = await client.post(f"/operator/orgs/{applicant.id}/verify")
    assert forged.status_code == 403
    status = (await client.get(f"/api/v1/orgs/{applicant.id}", headers=operator.headers)).json()
    assert status["status"] == "pending"


async def test_the_ledger_explorer_pages_newest_first_and_in_order(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed(session, 70)
    owner = await account(session, client)
    listed = await published_achievement(client, owner)
    size = listed["ledger_index"] + 1

    def rows(page: httpx.Response) -> list[int]:
        return [int(i) for i in re.findall(r'href="/ledger/entries/(\d+)">#', page.text)]

    newest = await client.get("/ledger")
    assert newest.status_code == 200
    assert rows(newest) == list(range(size - 1, size - 51, -1))
    checkpoint = (await client.get("/api/v1/ledger/checkpoint")).text
    assert html.escape(checkpoint, quote=False) in newest.text
    assert f'href="/achievements/{listed["id"]}">achievement/{listed["id"]}' in newest.text
    more = re.search(r'href="(/ledger\?cursor=[^"]+)" rel="next"', newest.text)
    assert more
    older = await client.get(html.unescape(more.group(1)))
    assert rows(older) == list(range(size - 51, -1, -1))
    assert 'rel="next"' not in older.text

    ordered = await client.get("/ledger?start=2")
    assert rows(ordered) == list(range(2, 52))
    assert 'href="/ledger?start=52" rel="next"' in ordered.text
    last = await client.get("/ledger?start=52")
    assert rows(last) == list(range(52, size))
    assert 'href="/ledger?start=2" rel="prev"' in last.text
    assert 'rel="next"' not in last.text
    jump = await client.get("/ledger/entries", params={"index": 3})
    assert (jump.status_code, jump.headers["location"]) == (303, "/ledger/entries/3")


async def test_an_entry_page_shows_its_text_proof_and_receipt(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await account(session, client)
    for n in range(3):
        listed = await published_achievement(client, owner, title=f"收据测试成果{n}")
    entry = (await client.get(f"/api/v1/ledger/entries/{listed['ledger_index']}")).json()
    index = entry["index"]
    page = await client.get(f"/ledger/entries/{index}")
    assert page.status_code == 200
    assert entry["leaf_hash"] in page.text
    assert "收据测试成果2" in page.text
    size = int((await client.get("/api/v1/ledger/checkpoint")).text.split("\n")[1])
    proof = (
        await client.get(
            "/api/v1/ledger/proofs/inclusion", params={"index": index, "tree_size": size}
        )
    ).json()
    for h in proof["hashes"]:
        assert h in page.text
    assert f'href="/achievements/{listed["id"]}"' in page.text

    receipt = await client.get(f"/ledger/entries/{index}/receipt")
    assert receipt.headers["content-disposition"] == (
        f'attachment; filename="techmarket-receipt-{index}.tlog-proof"'
    )
    key = (await client.get("/ledger/public-key")).text
    verified = verify_receipt(receipt.text, Verifier.parse(key))
    assert (verified.index, verified.entry["subject"]) == (index, f"achievement/{listed['id']}")

    missing = await client.get("/ledger/entries/999999")
    assert missing.status_code == 404 and "页面不存在" in missing.text


async def test_the_verify_page_shows_the_public_key(client: httpx.AsyncClient) -> None:
    page = await client.get("/ledger/verify")
    key = (await client.get("/api/v1/ledger/public-key")).text.strip()
    assert html.escape(key) in page.text
    assert "techmarket ledger verify-receipt" in page.text
    download = await client.get("/ledger/public-key")
    assert download.headers["content-disposition"] == (
        'attachment; filename="techmarket-ledger.pub"'
    )


@pytest.mark.parametrize(
    ("subject", "url"),
    [
        ("trade/12", "/trades/12"),
        ("achievement/5", "/achievements/5"),
        ("org/3", "/orgs/3"),
        ("demand/7", "/demands/7"),
        ("ledger/1", None),
        ("org/", None),
    ],
)
def test_subjects_link_to_their_pages(subject: str, url: str | None) -> None:
    assert subject_url(subject) == url


BEYOND_BIGINT = str(2**63)


async def test_numbers_beyond_the_database_are_a_422_page(
    client: httpx.AsyncClient, operator: Account
) -> None:
    for path in (
        f"/ledger/entries/{BEYOND_BIGINT}",
        f"/ledger/entries/{BEYOND_BIGINT}/receipt",
        f"/ledger?start={BEYOND_BIGINT}",
        f"/ledger/entries?index={BEYOND_BIGINT}",
        f"/operator?ledger={BEYOND_BIGINT}",
        f"/operator/objections?ledger={BEYOND_BIGINT}",
    ):
        page = await client.get(path)
        assert page.status_code == 422, path
        assert page.headers["content-type"].startswith("text/html")
    for action in (
        f"/operator/orgs/{BEYOND_BIGINT}/verify",
        f"/operator/objections/{BEYOND_BIGINT}/1/dismiss",
    ):
        assert (await _post(client, "/operator", action)).status_code == 422, action
    suspended = await _post(
        client, "/operator", "/operator/suspensions", org_id=BEYOND_BIGINT, reason="违规"
    )
    assert suspended.status_code == 422
    assert 'id="suspend-org_id-error"' in suspended.text
