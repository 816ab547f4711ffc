"""Who is told of a proof-of-concept project's steps: the centre of an application; the
applicant and the centre of each step the centre takes (screening, plan, milestone
verdicts, closing), but not the user who took it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action
from techmarket.models.listing import Achievement
from techmarket.models.poc import PocProject
from techmarket.notify import audience
from techmarket.notify.audience import Message, drafts
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.web.labels import label


async def _tell(
    session: AsyncSession,
    index: int,
    data: dict[str, Any],
    title: str,
    body: str,
    *,
    applicant: bool = True,
) -> Sequence[Draft]:
    """The centre's users who run projects and (unless not ``applicant``) the applicant's
    who apply, but not the user who took the step."""
    project = await session.get(PocProject, data["project_id"])
    if project is None:
        return []
    achievement = await session.get(Achievement, project.achievement_id)
    name = achievement.title if achievement else f"项目 #{project.id}"
    message = Message(
        Kind.poc, f"poc/{project.id}", title, body.format(name=name), f"/my/poc/{project.id}"
    )
    centre = project.centre_id
    users = await audience.of_orgs(session, [centre], audience.may(Action.poc_run, centre))
    if applicant:
        applying = audience.may(Action.poc_apply, project.applicant_id)
        users += await audience.of_orgs(session, [project.applicant_id], applying)
    return drafts(message, [u for u in users if u != data["by_user_id"]], index)


async def applied(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The centre, which screens it."""
    body = "「{name}」申请概念验证，请遴选。"
    return await _tell(session, index, data, "收到概念验证申请", body, applicant=False)


async def screened(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    result = "已入选" if data["accepted"] else "未入选"
    return await _tell(session, index, data, f"概念验证申请{result}", f"「{{name}}」{result}。")


async def planned(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    body = "「{name}」的验证计划与里程碑已确定。"
    return await _tell(session, index, data, "概念验证计划已确定", body)


async def judged(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    verdict = label(data["verdict"], "poc_verdict")
    body = f"「{{name}}」的一个里程碑结论：{verdict}。"
    return await _tell(session, index, data, "里程碑已评定", body)


async def closed(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    outcome = label(data["outcome"], "poc_outcome")
    return await _tell(session, index, data, "概念验证已结题", f"「{{name}}」结题：{outcome}。")
