"""A university member drafts an achievement and submits it; the TTO approves it and a
trade at the 安心屋 desk; each decision shows its ledger entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.web.browser import check_a11y, log_in, screenshot, visit
from tests.web.conftest import DemoSite, NewPage
from tests.web.org_api import call

MEMBER = "prof@zju.demo.techmarket.cn"
TTO = "tto@zju.demo.techmarket.cn"
TITLE = "柔性钙钛矿太阳能电池封装工艺"


def _check_character(digits: str) -> str:
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if total == 10 else str(total)


async def _submit_form(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()
    await check_a11y(page)


async def _draft(page: Page, number: str) -> None:
    await visit(page, "/my/achievements/new")
    await page.get_by_label("成果名称").fill(TITLE)
    await page.get_by_label("成果简介（非保密内容）").fill(
        "低温封装工艺，使柔性组件在湿热环境下寿命提高三倍。"
    )
    await page.get_by_label("知识产权类型").select_option(label="发明专利")
    await page.get_by_label("专利申请号").fill(number)
    await page.get_by_label("行业").select_option(label="碳中和与新能源")
    await page.get_by_label("地区代码").fill("330106")
    await page.get_by_label("技术成熟度").select_option(label="5 级")
    await page.get_by_label("普通许可").check()
    await page.get_by_label("挂牌价格（元）").fill("1,200,000")
    await page.get_by_label("关键词").fill("钙钛矿、封装")


async def test_member_submits_and_tto_approves_with_ledger_receipts(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    digits = "202510234567"
    right = f"ZL {digits[:4]} {digits[4]} {digits[5:]}.{_check_character(digits)}"
    wrong_character = "0" if _check_character(digits) != "0" else "1"
    wrong = f"{digits}.{wrong_character}"

    member = await new_page()
    await log_in(member, demo_site.login(MEMBER))
    await _draft(member, wrong)
    await _submit_form(member, "保存草稿")
    number = member.get_by_label("专利申请号")
    await expect(number).to_have_attribute("aria-invalid", "true")
    await expect(number).to_have_accessible_description(
        re.compile(f"申请号不正确：{re.escape(wrong)}")
    )
    # What was typed is kept, the other fields are not marked.
    await expect(member.get_by_label("成果名称")).to_have_value(TITLE)
    await expect(member.get_by_label("成果名称")).not_to_have_attribute("aria-invalid", "true")
    await screenshot(member, "achievement-form-error")

    await number.fill(right)
    await _submit_form(member, "保存草稿")
    await expect(member.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(member.get_by_role("status")).to_contain_text("草稿已保存")
    achievement_id = int(member.url.split("/")[-1].split("?")[0])
    # Edited before it goes: the form shows the record as stored.
    async with member.expect_navigation():
        await member.get_by_role("link", name="修改").click()
    await check_a11y(member)
    await expect(member.get_by_label("专利申请号")).to_have_value(f"{digits}.{right[-1]}")
    await expect(member.get_by_label("挂牌价格（元）")).to_have_value("1200000")
    await expect(member.get_by_label("关键词")).to_have_value("钙钛矿、封装")
    await member.get_by_label("挂牌价格（元）").fill("1,300,000.50")
    await _submit_form(member, "保存修改")
    await expect(member.get_by_role("status")).to_contain_text("修改已保存")
    await expect(member.get_by_role("main")).to_contain_text("¥1,300,000.50")
    await _submit_form(member, "提交审批")
    await expect(member.get_by_role("status")).to_contain_text("已提交本机构成果转化办公室审批")
    history = member.get_by_role("table", name="每一次状态变化：谁、何时、为何")
    await expect(history.get_by_role("row")).to_have_count(3)  # header, created, submitted
    await expect(history).to_contain_text("草稿 → 待审批")
    await screenshot(member, "achievement-submitted")

    tto = await new_page()
    await log_in(tto, demo_site.login(TTO))
    await visit(tto, "/tto")
    queue = tto.get_by_role("region", name=re.compile("待审批的科技成果"))
    await expect(queue).to_contain_text(TITLE)
    await expect(queue).to_contain_text("¥1,300,000.50")
    await screenshot(tto, "tto-desk")
    await _submit_form(tto, f"批准并发布《{TITLE}》")
    done = tto.get_by_role("status")
    await expect(done).to_contain_text("已批准，成果已发布")
    receipt = done.get_by_role("link", name=re.compile(r"第 \d+ 条"))
    href = await receipt.get_attribute("href")
    assert href is not None and re.fullmatch(r"/ledger/entries/\d+", href)
    index = int(href.rsplit("/", 1)[1])
    entry = (await call(demo_site, "GET", f"/ledger/entries/{index}")).json()
    assert f'"achievement/{achievement_id}"' in entry["canonical"]
    assert '"achievement.published"' in entry["canonical"]
    await expect(queue).not_to_contain_text(TITLE)

    # Published: anyone reads it now.
    public = await call(demo_site, "GET", f"/achievements/{achievement_id}")
    assert public.status_code == 200 and public.json()["status"] == "published"
    # The member's page shows who approved, and the ledger entry.
    await visit(member, f"/my/achievements/{achievement_id}")
    await expect(history).to_contain_text("待审批 → 已发布")
    await expect(history).to_contain_text("成果转化办公室 陈静")
    await expect(history.get_by_role("link", name=f"账本第 {index} 条的存证")).to_be_visible()

    # The member asks to sell it by listing; the TTO sees the terms and approves.
    listing = await call(
        demo_site,
        "POST",
        "/trades",
        MEMBER,
        json={
            "achievement_id": achievement_id,
            "mode": "listed",
            "listed_price_fen": 150_000_000,
            "deposit_fen": 10_000_000,
            "increment_fen": 1_000_000,
            "listing_ends_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
        },
    )
    assert listing.status_code == 201, listing.text
    await visit(tto, "/tto")
    trades = tto.get_by_role("region", name=re.compile("待审批的交易"))
    await expect(trades).to_contain_text(f"{TITLE} · 挂牌交易")
    await expect(trades).to_contain_text("¥1,500,000.00")
    await expect(trades).to_contain_text("¥100,000.00")
    await screenshot(tto, "tto-desk-trade")
    await _submit_form(tto, f"批准《{TITLE}》的挂牌交易")
    await expect(done).to_contain_text("已批准交易方式和价格")
    href = await done.get_by_role("link", name=re.compile(r"第 \d+ 条")).get_attribute("href")
    assert href is not None
    opened = (await call(demo_site, "GET", href)).json()
    assert '"trade.opened"' in opened["canonical"]
    trade = (await call(demo_site, "GET", f"/trades/{listing.json()['id']}")).json()
    assert trade["status"] == "listed"
    await screenshot(tto, "tto-decided")


async def test_desk_is_for_the_tto_only(page: Page, demo_site: DemoSite) -> None:
    await log_in(page, demo_site.login(MEMBER))
    response = await visit(page, "/tto")
    assert response.status == 403
    await expect(page.get_by_role("main")).to_contain_text("您的角色不能进行此操作")


async def _submitted(site: DemoSite, title: str, number: str) -> int:
    created = await call(
        site,
        "POST",
        "/achievements",
        MEMBER,
        json={
            "title": title,
            "summary": "用于测试退回与否决。",
            "ip_type": "utility_model",
            "patent_numbers": [number],
            "industry": "intelligent_manufacturing",
            "region_code": "330100",
            "trl": 4,
            "transfer_modes": ["assignment"],
            "asking_price_fen": 30_000_000,
        },
    )
    assert created.status_code == 201, created.text
    achievement_id = int(created.json()["id"])
    await call(site, "POST", f"/achievements/{achievement_id}/submit", MEMBER)
    return achievement_id


async def test_tto_sends_back_an_achievement_and_declines_a_trade_saying_why(
    new_page: NewPage, demo_site: DemoSite
) -> None:
    sent_back = await _submitted(demo_site, "数控机床热误差补偿装置", "202520345678.7")
    to_sell = await _submitted(demo_site, "焊缝视觉跟踪传感器", "202520345679.1")
    await call(demo_site, "POST", f"/achievements/{to_sell}/approve", TTO)
    listing = await call(
        demo_site,
        "POST",
        "/trades",
        MEMBER,
        json={
            "achievement_id": to_sell,
            "mode": "listed",
            "listed_price_fen": 20_000_000,
            "deposit_fen": 2_000_000,
            "increment_fen": 500_000,
            "listing_ends_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
        },
    )
    assert listing.status_code == 201, listing.text

    tto = await new_page()
    await log_in(tto, demo_site.login(TTO))
    await visit(tto, "/tto")
    async with tto.expect_navigation():
        await tto.get_by_role("link", name="退回《数控机床热误差补偿装置》").click()
    await check_a11y(tto)
    await _submit_form(tto, "退回")
    reason = tto.get_by_label("原因")
    await expect(reason).to_have_accessible_description(re.compile("请填写此项"))
    await reason.fill("专利权属待确认，请补充转让协议。")
    await _submit_form(tto, "退回")
    await expect(tto.get_by_role("status")).to_contain_text("已退回")

    async with tto.expect_navigation():
        await tto.get_by_role("link", name="否决《焊缝视觉跟踪传感器》的挂牌交易").click()
    await check_a11y(tto)
    await expect(tto.get_by_role("main")).to_contain_text("¥200,000.00")
    await tto.get_by_label("原因（可选）").fill("挂牌价低于评估值")
    await screenshot(tto, "tto-decline-trade")
    await _submit_form(tto, "否决")
    done = tto.get_by_role("status")
    await expect(done).to_contain_text("已否决该交易")
    href = await done.get_by_role("link", name=re.compile(r"第 \d+ 条")).get_attribute("href")
    assert href is not None
    entry = (await call(demo_site, "GET", href)).json()
    assert '"trade.rejected"' in entry["canonical"]
    assert "评估值" not in entry["canonical"]  # the reason stays in the organisation

    member = await new_page()
    await log_in(member, demo_site.login(MEMBER))
    history = member.get_by_role("table", name="每一次状态变化：谁、何时、为何")
    await visit(member, f"/my/achievements/{sent_back}")
    await expect(member.get_by_role("main")).to_contain_text("已退回（专利权属待确认")
    await expect(history).to_contain_text("待审批 → 已退回")
    await visit(member, f"/my/achievements/{to_sell}")
    await expect(history.get_by_role("row").last).to_contain_text(
        "交易未获成果转化办公室批准：挂牌价低于评估值"
    )
    await expect(history.get_by_role("row").last).to_contain_text("成果转化办公室 陈静")
    await screenshot(member, "achievement-trade-declined")

    # On offer again; its owner takes it off the market, on the ledger.
    await member.get_by_label("撤回原因（可选）").fill("已与合作企业另行洽谈")
    await _submit_form(member, "撤回")
    await expect(member.get_by_role("status")).to_contain_text("已撤回")
    withdrawn = (
        await member.get_by_role("status")
        .get_by_role("link", name=re.compile(r"第 \d+ 条"))
        .get_attribute("href")
    )
    assert withdrawn is not None
    entry = (await call(demo_site, "GET", withdrawn)).json()
    assert '"achievement.withdrawn"' in entry["canonical"]
    await expect(history.get_by_role("row").last).to_contain_text("已发布 → 已撤回")
    await expect(member.get_by_role("link", name="修改")).to_be_visible()
