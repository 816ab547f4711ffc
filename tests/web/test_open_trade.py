"""A university member opens an auction on a published achievement from its page, the
rules beside each field; mistakes come back next to their fields; the TTO approves it at
the 安心屋 desk and the room opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.test_auction_room import MEMBER, TTO, _published

TITLE = "发起交易测试：伺服电机振动抑制算法"


def _beijing(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


async def _send(page: Page) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name="提交").click()
    await check_a11y(page)


async def test_a_member_opens_an_auction_and_the_tto_approves_it(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    achievement_id = await _published(demo_site, TITLE)
    member = await new_page()
    await log_in(member, demo_site.login(MEMBER))
    await visit(member, f"/my/achievements/{achievement_id}")
    async with member.expect_navigation():
        await member.get_by_role("link", name="发起交易").click()
    await check_a11y(member)
    await expect(member.get_by_role("heading", level=1)).to_contain_text(TITLE)
    reserve = member.get_by_label("保留价（元，可不填）")
    await expect(reserve).to_have_accessible_description(
        "最高出价低于保留价则流拍。保留价成交前保密："
        "开拍时只把它的加盐 SHA-256 承诺值记入账本，结束时揭晓。"
    )

    now = datetime.now(UTC)
    await member.get_by_label("竞价拍卖").check()
    await member.get_by_label("加价幅度（元）").first.fill("1,000")
    await reserve.fill("60000")
    await member.get_by_label("保证金（元）").first.fill("5000")
    await member.get_by_label("报名截止").fill(_beijing(now + timedelta(days=2)))
    await member.get_by_label("开始时间").fill(_beijing(now + timedelta(days=3)))
    await member.get_by_label("结束时间").fill(_beijing(now + timedelta(days=1)))
    await _send(member)  # no start price
    await expect(member.get_by_label("起拍价（元）")).to_have_accessible_description(
        "第一口出价不得低于起拍价。 请填写此项。"
    )
    await member.get_by_label("起拍价（元）").fill("50,000")
    await _send(member)  # the end before the start
    await expect(member.get_by_role("alert")).to_have_text("结束时间须晚于开始时间。")
    await screenshot(member, "open-trade-errors")

    await member.get_by_label("开始时间").fill(_beijing(now))
    await member.get_by_label("结束时间").fill(_beijing(now + timedelta(days=3)))
    await _send(member)
    await expect(member.get_by_role("status").first).to_contain_text("交易已创建")
    await expect(member.get_by_role("main")).to_contain_text("等待卖方机构成果转化办公室")
    trade_path = member.url.split("?")[0]

    tto = await new_page()
    await log_in(tto, demo_site.login(TTO))
    await visit(tto, "/tto")
    async with tto.expect_navigation():
        await tto.get_by_role("button", name=f"批准《{TITLE}》的竞价拍卖").click()
    await check_a11y(tto)
    await visit(member, trade_path)
    await expect(member.get_by_role("main")).not_to_contain_text("等待卖方机构")
    await expect(member.get_by_role("main")).to_contain_text("这是本机构的拍卖")
    await expect(member.get_by_role("definition").filter(has_text="¥50,000.00")).to_have_count(1)
