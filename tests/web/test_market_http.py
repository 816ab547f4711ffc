"""The market pages over HTTP (in-process): region names and choices, money typed in
yuan, search filters reaching the service, the home page's figures."""

from __future__ import annotations

import re

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import OrgKind
from techmarket.web import places
from techmarket.web.money import YuanBound
from tests.factories import account
from tests.listings.helpers import published_achievement, published_demand


def test_region_codes_are_named_as_an_address() -> None:
    assert places.name("330106") == "浙江省 杭州市 西湖区"
    assert places.name("330000") == "浙江省"
    assert places.name("110108") == "北京市 海淀区"  # a municipality's 市辖区 is not said
    assert places.name("469001") == "海南省 五指山市"  # a county-level city under its province
    assert places.name("990000") == "990000"  # unknown: shown as it is


def test_the_most_specific_consistent_region_is_chosen() -> None:
    assert places.pick("330000", "330100", "330106") == "330106"
    assert places.pick("330000", "330100", None) == "330100"
    # A city left from another province (the lists refresh only when sent): ignored.
    assert places.pick("330000", "440300", "440305") == "330000"
    assert places.pick(None, "330100", None) is None
    assert places.pick("110000", "110100", "110108") == "110108"
    assert ("330100", "杭州市") in places.children("330000")


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("1,234.5", 123_450), ("¥12", 1_200), ("0.01", 1), (" 80 ", 8_000), ("12.10", 1_210)],
)
def test_yuan_typed_on_a_page_is_exact_fen(typed: str, fen: int) -> None:
    assert TypeAdapter(YuanBound).validate_python(typed) == fen


@pytest.mark.parametrize("typed", ["很贵", "1.234", "-5", "1e100", "nan"])
def test_yuan_that_is_not_an_amount_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(YuanBound).validate_python(typed)


async def test_search_filters_reach_the_service(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    institute = await account(session, client, kind=OrgKind.institute, roles=("tto",))
    cheap = await published_achievement(
        client, institute, approver=institute, title="锂电池隔膜涂覆工艺", asking_price_fen=500_000
    )
    dear = await published_achievement(
        client, institute, approver=institute, title="锂电池回收工艺", asking_price_fen=9_000_000
    )
    elsewhere = await published_achievement(
        client,
        institute,
        approver=institute,
        title="锂电池热管理系统",
        asking_price_fen=500_000,
        region_code="510104",
    )
    page = await client.get(
        "/achievements", params={"q": "电池", "province": "330000", "price_max": "10,000"}
    )
    assert page.status_code == 200
    assert cheap["title"] in page.text  # ¥5,000 ≤ ¥10,000, in Zhejiang
    assert dear["title"] not in page.text  # ¥90,000
    assert elsewhere["title"] not in page.text  # Sichuan
    assert "¥5,000.00" in page.text


async def test_home_figures_agree_with_the_statistics(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    institute = await account(session, client, kind=OrgKind.institute, roles=("tto",))
    enterprise = await account(session, client, kind=OrgKind.enterprise)
    for region in ("330106", "510104"):
        await published_achievement(client, institute, approver=institute, region_code=region)
    await published_demand(client, enterprise)
    stats = (await client.get("/api/v1/stats")).json()
    home = (await client.get("/")).text

    def figure(caption: str) -> str:
        found = re.search(rf"<dt>{caption}</dt><dd>([^<]+)</dd>", home)
        assert found, caption
        return found.group(1)

    assert figure("已发布科技成果") == str(stats["achievements"]["published"]) == "2"
    assert figure("征集中的企业需求") == str(stats["demands"]["open"]) == "1"
    assert figure("认证机构") == "2"
