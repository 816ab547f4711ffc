"""Demo data of a proof-of-concept centre: its profile, two funding lines and projects in
several states (passed, active with a met milestone, declined, applied), made through the
same services people use, so each has its ledger entries. Skipped where already made."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import demo_listings
from techmarket.accounts import repository as accounts
from techmarket.accounts.policy import Principal
from techmarket.listings import repository as listings
from techmarket.listings.taxonomy import Industry
from techmarket.models.listing import AchievementStatus
from techmarket.poc import repository as repo
from techmarket.poc import service as poc
from techmarket.poc.rules import Outcome, Verdict
from techmarket.poc.schemas import (
    CentreProfileUpdate,
    Closing,
    FundingLineCreate,
    Judgement,
    MilestonePlan,
    PlanCreate,
    ProjectCreate,
)

CENTRE_ADMIN = "admin@poc.demo.techmarket.cn"
# A demo achievement (by its place in the catalogue), who applies for it, and how far it goes.
PROJECTS = (
    (2, "tto@zjut.demo.techmarket.cn", "passed"),
    (3, "admin@nbu.demo.techmarket.cn", "active"),
    (4, "admin@wmu.demo.techmarket.cn", "declined"),
    (6, "admin@nimte.demo.techmarket.cn", "applied"),
)


async def _principal(session: AsyncSession, email: str) -> Principal:
    user = await accounts.find_user_by_email(session, email)
    assert user is not None, email
    org = await accounts.get_org(session, user.org_id)
    assert org is not None
    return Principal(user=user, org=org)


async def load(session: AsyncSession, now: datetime) -> None:
    centre = await _principal(session, CENTRE_ADMIN)
    lines = await repo.lines(session, centre.org.id)
    if not lines:
        await poc.set_profile(
            session,
            centre,
            CentreProfileUpdate(
                industries=[Industry.new_materials, Industry.carbon_neutral_energy],
                services=["二次开发", "工艺验证", "中试熟化"],
                description="面向新材料与新能源早期成果，提供工艺验证与中试熟化服务。",
            ),
            now,
        )
        for name, fen in (("省级概念验证专项资金", 500_000_000), ("概念验证天使基金", 300_000_000)):
            line, _ = await poc.add_line(
                session, centre, FundingLineCreate(name=name, amount_fen=fen), now
            )
            lines.append(line)
    catalogue = demo_listings.achievements()
    made = {
        p.achievement_id for p in await poc.of_org(session, centre, None, None, len(PROJECTS) * 2)
    }
    for position, applicant_email, goal in PROJECTS:
        achievement = await listings.achievement_by_title(session, catalogue[position].title)
        if achievement.id in made or achievement.status != AchievementStatus.published:
            continue
        applicant = await _principal(session, applicant_email)
        await _project(
            session, centre, applicant, achievement.id, achievement.trl, lines[0].id, goal, now
        )


async def _project(
    session: AsyncSession,
    centre: Principal,
    applicant: Principal,
    achievement_id: int,
    trl: int,
    line_id: int,
    goal: str,
    now: datetime,
) -> None:
    proposal = "申请概念验证：在中心完成工艺验证与小试放大，形成可转化的工艺包。"
    project, _ = await poc.apply(
        session,
        applicant,
        ProjectCreate(centre_id=centre.org.id, achievement_id=achievement_id, proposal=proposal),
        now,
    )
    if goal == "applied":
        return
    if goal == "declined":
        await poc.screen(
            session,
            centre,
            project.id,
            False,
            "成果方向与本中心验证能力不匹配，建议申请生物医药类中心。",
            now,
        )
        return
    await poc.screen(session, centre, project.id, True, "技术路线清晰，具备中试条件。", now)
    plan = PlanCreate(
        milestones=[
            MilestonePlan(
                deliverable="小试工艺稳定，批次一致性达标",
                due_at=now + timedelta(days=90),
                line_id=line_id,
                tranche_fen=30_000_000,
            ),
            MilestonePlan(
                deliverable="中试线连续运行 72 小时，良率不低于 90%",
                due_at=now + timedelta(days=180),
                line_id=line_id,
                tranche_fen=50_000_000,
            ),
        ]
    )
    await poc.plan(session, centre, project.id, plan, now)
    milestones = await poc.milestones(session, [project.id])
    evidence = Judgement(evidence="第三方检测报告 CMA-2026-0815", verdict=Verdict.met)
    await poc.judge(session, centre, project.id, milestones[0].id, evidence, now)
    if goal == "active":
        return
    evidence = Judgement(evidence="中试运行记录及良率统计表", verdict=Verdict.met)
    await poc.judge(session, centre, project.id, milestones[1].id, evidence, now)
    summary = "完成小试与中试验证，工艺稳定、良率 92%，具备产业化条件。"
    closing = Closing(outcome=Outcome.passed, trl_after=min(trl + 2, 9), public_summary=summary)
    await poc.close(session, centre, project.id, closing, now)
