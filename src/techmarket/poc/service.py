"""Proof-of-concept centres and projects: each step authorised, checked by ``poc.rules``
and written to the ledger in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.errors import Conflict, DomainError, InvalidInput, NotFound
from techmarket.ledger import commitment
from techmarket.ledger import service as ledger
from techmarket.listings import repository as listings
from techmarket.models.listing import Achievement, AchievementStatus
from techmarket.models.org import Organisation
from techmarket.models.poc import PocCentreProfile, PocFundingLine, PocMilestone, PocProject
from techmarket.poc import repository as repo
from techmarket.poc import rules
from techmarket.poc.rules import Outcome, ProjectStatus
from techmarket.poc.schemas import (
    CentreFigures,
    CentreProfileUpdate,
    Closing,
    FieldFigures,
    FundingLineCreate,
    Judgement,
    LineFigures,
    PlanCreate,
    PocStats,
    ProjectCreate,
    ResultRead,
)
from techmarket.types import wire_time


class CentreNotFound(NotFound):
    code = "poc_centre_not_found"
    title = "No such verified proof-of-concept centre"


class ProjectNotFound(NotFound):
    code = "poc_project_not_found"
    title = "No such proof-of-concept project"


class MilestoneNotFound(NotFound):
    code = "poc_milestone_not_found"
    title = "No such milestone in this project"


class AchievementNotOnOffer(Conflict):
    code = "poc_achievement_not_public"
    title = "Only a published achievement can be verified"


class AlreadyInProject(Conflict):
    code = "poc_already_open"
    title = "The achievement is already in an open proof-of-concept project"


class NotApplied(Conflict):
    code, title = "poc_not_applied", "The project is past screening"


class NotAccepted(Conflict):
    code, title = "poc_not_accepted", "A plan is agreed once, after acceptance"


class EmptyPlan(InvalidInput):
    code, title = "poc_plan_empty", "A plan needs a milestone"


class UnknownLine(InvalidInput):
    code, title = "poc_unknown_line", "A tranche comes from one of the centre's funding lines"


class NotActive(Conflict):
    code, title = "poc_not_active", "The project is not active"


class MilestoneJudged(Conflict):
    code, title = "poc_milestone_judged", "The milestone already has its verdict"


class ProjectClosed(Conflict):
    code, title = "poc_closed", "The project is already closed"


class MilestonesUnmet(Conflict):
    code, title = "poc_milestones_unmet", "A project passes only with every milestone met"


class BadTrlChange(InvalidInput):
    code, title = "poc_trl_change", "Only a passed project raises the TRL, and never lowers it"


# The rules' refusals as errors, by their code.
REFUSALS: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (
        NotApplied,
        NotAccepted,
        EmptyPlan,
        UnknownLine,
        NotActive,
        MilestoneJudged,
        ProjectClosed,
        MilestonesUnmet,
        BadTrlChange,
    )
}


def _refused(refusal: rules.Refusal) -> DomainError:
    return REFUSALS[refusal.code](refusal.message)


# Centres ------------------------------------------------------------------------------


async def set_profile(
    session: AsyncSession, principal: Principal, data: CentreProfileUpdate, now: datetime
) -> tuple[PocCentreProfile, int]:
    """The centre declares its fields and verification services (replacing the last)."""
    authorize(principal, Action.poc_profile, principal.org.id)
    profile = await repo.profile(session, principal.org.id)
    if profile is None:
        profile = PocCentreProfile(org_id=principal.org.id)
        session.add(profile)
    profile.industries = [str(i) for i in data.industries]
    profile.services = list(data.services)
    profile.description = data.description
    profile.updated_at = now
    await session.flush()
    index = await ledger.append(
        session,
        rules.PROFILE,
        f"poc_centre/{principal.org.id}",
        {
            "centre_id": principal.org.id,
            "industries": profile.industries,
            "services": profile.services,
            "by_user_id": principal.user.id,
        },
        now,
    )
    return profile, index


async def add_line(
    session: AsyncSession, principal: Principal, data: FundingLineCreate, now: datetime
) -> tuple[PocFundingLine, int]:
    """The centre declares a funding line its tranches may come from."""
    authorize(principal, Action.poc_profile, principal.org.id)
    line = PocFundingLine(
        centre_id=principal.org.id, name=data.name, amount_fen=data.amount_fen, declared_at=now
    )
    session.add(line)
    await session.flush()
    index = await ledger.append(
        session,
        rules.LINE,
        f"poc_centre/{principal.org.id}",
        {
            "centre_id": principal.org.id,
            "line_id": line.id,
            "name": line.name,
            "amount_fen": line.amount_fen,
            "by_user_id": principal.user.id,
        },
        now,
    )
    return line, index


async def centres(session: AsyncSession, after_id: int | None, limit: int) -> list[Organisation]:
    """Verified centres, by id."""
    return await repo.centres(session, after_id, limit)


async def funding_lines(
    session: AsyncSession, centre_id: int, after_id: int | None, limit: int
) -> list[PocFundingLine]:
    """A verified centre's funding lines, by id."""
    if await repo.centre(session, centre_id) is None:
        raise CentreNotFound()
    return await repo.lines(session, centre_id, after_id, limit)


async def centre(
    session: AsyncSession, centre_id: int
) -> tuple[Organisation, PocCentreProfile | None, list[PocFundingLine]]:
    """A verified centre (public), its profile and funding lines."""
    org = await repo.centre(session, centre_id)
    if org is None:
        raise CentreNotFound()
    return org, await repo.profile(session, centre_id), await repo.lines(session, centre_id)


# Projects -----------------------------------------------------------------------------


async def load(
    session: AsyncSession, principal: Principal, project_id: int, *, lock: bool = False
) -> PocProject:
    """A project of the caller's organisation, as centre or applicant (the operator sees
    every one); to anyone else it does not exist."""
    seen_by = None if principal.is_operator else principal.org.id
    found = await repo.project(session, project_id, seen_by, lock=lock)
    if found is None:
        raise ProjectNotFound()
    return found


async def of_org(
    session: AsyncSession,
    principal: Principal,
    status: ProjectStatus | None,
    after_id: int | None,
    limit: int,
) -> list[PocProject]:
    """Projects made to the caller's centre or by the caller's institution."""
    seen_by = None if principal.is_operator else principal.org.id
    return await repo.projects(session, seen_by, status, after_id, limit)


async def titles(session: AsyncSession, projects: list[PocProject]) -> dict[int, str]:
    """The titles of the projects' achievements, by achievement id."""
    return await repo.titles(session, [p.achievement_id for p in projects])


async def achievement(session: AsyncSession, project: PocProject) -> Achievement:
    """The project's achievement, whatever its status now: the parties' record of it."""
    found: Achievement = await listings.get(session, Achievement, project.achievement_id)
    return found


async def milestones(session: AsyncSession, project_ids: list[int]) -> list[PocMilestone]:
    return await repo.milestones(session, project_ids)


async def apply(
    session: AsyncSession, principal: Principal, data: ProjectCreate, now: datetime
) -> tuple[PocProject, int]:
    """An institution applies to a centre with one of its own published achievements."""
    achievement = await listings.get(session, Achievement, data.achievement_id)
    if achievement is None:
        raise AchievementNotOnOffer(f"no achievement {data.achievement_id}")
    authorize(principal, Action.poc_apply, achievement.org_id)
    if achievement.status not in (AchievementStatus.published, AchievementStatus.in_trade):
        raise AchievementNotOnOffer(f"the achievement is {achievement.status}")
    if await repo.centre(session, data.centre_id) is None:
        raise CentreNotFound()
    project = PocProject(
        centre_id=data.centre_id,
        applicant_id=principal.org.id,
        achievement_id=achievement.id,
        applied_by=principal.user.id,
        proposal=data.proposal,
        status=ProjectStatus.applied,
        applied_at=now,
    )
    session.add(project)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise AlreadyInProject() from None
    index = await _record(
        session,
        rules.APPLIED,
        project,
        principal,
        now,
        centre_id=project.centre_id,
        applicant_id=project.applicant_id,
        achievement_id=project.achievement_id,
        trl=achievement.trl,
    )
    return project, index


async def _record(
    session: AsyncSession,
    type_: str,
    project: PocProject,
    principal: Principal,
    now: datetime,
    **data: Any,
) -> int:
    body = {"project_id": project.id, "by_user_id": principal.user.id, **data}
    return await ledger.append(session, type_, f"poc/{project.id}", body, now)


async def screen(
    session: AsyncSession,
    principal: Principal,
    project_id: int,
    accept: bool,
    reasons: str,
    now: datetime,
) -> tuple[PocProject, int]:
    """The centre accepts or declines (项目遴选); its reasons are for the applicant, so the
    ledger holds their salted commitment."""
    project = await load(session, principal, project_id, lock=True)
    authorize(principal, Action.poc_run, project.centre_id)
    try:
        project.status = rules.screen(project.status, accept)
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    project.screening_reasons = reasons
    project.screening_salt = commitment.new_salt()
    project.screened_at = now
    index = await _record(
        session,
        rules.SCREENED,
        project,
        principal,
        now,
        accepted=accept,
        reasons_sha256=rules.commit_text(reasons, project.screening_salt),
    )
    return project, index


async def plan(
    session: AsyncSession, principal: Principal, project_id: int, data: PlanCreate, now: datetime
) -> tuple[PocProject, int]:
    """The plan both sides agreed: milestones, each with a tranche from a funding line."""
    project = await load(session, principal, project_id, lock=True)
    authorize(principal, Action.poc_run, project.centre_id)
    line_ids = {line.id for line in await repo.lines(session, project.centre_id)}
    tranches = [(m.line_id, m.tranche_fen) for m in data.milestones]
    try:
        project.status = rules.plan(project.status, line_ids, tranches)
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    rows = [
        PocMilestone(
            project_id=project.id,
            position=position,
            deliverable=m.deliverable,
            due_at=m.due_at,
            line_id=m.line_id,
            tranche_fen=m.tranche_fen,
        )
        for position, m in enumerate(data.milestones, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    index = await _record(
        session,
        rules.PLANNED,
        project,
        principal,
        now,
        milestones=[
            {
                "milestone_id": m.id,
                "deliverable": m.deliverable,
                "due_at": wire_time(m.due_at),
                "line_id": m.line_id,
                "tranche_fen": m.tranche_fen,
            }
            for m in rows
        ],
    )
    return project, index


async def judge(
    session: AsyncSession,
    principal: Principal,
    project_id: int,
    milestone_id: int,
    data: Judgement,
    now: datetime,
) -> tuple[PocMilestone, int]:
    """The centre records a milestone's evidence (committed on the ledger, kept for the
    parties) and its verdict."""
    project = await load(session, principal, project_id, lock=True)
    authorize(principal, Action.poc_run, project.centre_id)
    milestone = next(
        (m for m in await repo.milestones(session, [project.id]) if m.id == milestone_id), None
    )
    if milestone is None:
        raise MilestoneNotFound()
    try:
        rules.judge(project.status, milestone.verdict)
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    milestone.evidence = data.evidence
    milestone.evidence_salt = commitment.new_salt()
    milestone.verdict = data.verdict
    milestone.judged_at = now
    index = await _record(
        session,
        rules.JUDGED,
        project,
        principal,
        now,
        milestone_id=milestone.id,
        verdict=str(data.verdict),
        evidence_sha256=rules.commit_text(data.evidence, milestone.evidence_salt),
        tranche_fen=milestone.tranche_fen,
        line_id=milestone.line_id,
    )
    return milestone, index


async def close(
    session: AsyncSession, principal: Principal, project_id: int, data: Closing, now: datetime
) -> tuple[PocProject, int]:
    """Close once. A passed project raises the achievement's TRL, marks it verified by the
    centre and publishes the report's public summary."""
    project = await load(session, principal, project_id, lock=True)
    authorize(principal, Action.poc_run, project.centre_id)
    achievement = await listings.get(session, Achievement, project.achievement_id, lock=True)
    verdicts = [m.verdict for m in await repo.milestones(session, [project.id])]
    before = achievement.trl
    try:
        project.status = rules.close(project.status, data.outcome, verdicts, before, data.trl_after)
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    passed = data.outcome == Outcome.passed
    after = (data.trl_after or before) if passed else None
    project.outcome = data.outcome
    project.trl_before = before
    project.trl_after = after
    project.public_summary = data.public_summary if passed else None
    project.closed_at = now
    if after is not None:
        achievement.trl = after
        achievement.updated_at = now
    await session.flush()
    index = await _record(
        session,
        rules.CLOSED_EVENT,
        project,
        principal,
        now,
        outcome=str(data.outcome),
        achievement_id=project.achievement_id,
        trl_before=before,
        trl_after=after,
        public_summary=project.public_summary,
    )
    return project, index


# What the public sees -----------------------------------------------------------------


async def results(
    session: AsyncSession,
    centre_id: int | None,
    achievement_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[ResultRead]:
    """Passed projects: the centre's mark, the TRL change and the public summary only."""
    found = await repo.results(session, centre_id, achievement_id, after_id, limit)
    return [
        ResultRead(
            project_id=p.id,
            centre_id=p.centre_id,
            centre_name=name,
            achievement_id=p.achievement_id,
            achievement_title=title,
            trl_before=p.trl_before or 0,
            trl_after=p.trl_after or 0,
            public_summary=p.public_summary or "",
            closed_at=p.closed_at or p.applied_at,
        )
        for p, name, title in found
    ]


async def verifiers(session: AsyncSession, achievement_ids: list[int]) -> dict[int, str]:
    """Which centre verified each of these achievements (public: from passed projects)."""
    return await repo.verifiers(session, achievement_ids)


async def stats(session: AsyncSession) -> PocStats:
    """Projects by centre, field and status; money by funding line; time to a result."""
    centres: dict[int, CentreFigures] = {}
    for centre_id, name, status, count in await repo.by_centre(session):
        row = centres.setdefault(
            centre_id,
            CentreFigures(centre_id=centre_id, centre_name=name, projects=0, by_status={}),
        )
        row.projects += count
        row.by_status[status] = count
    fields: dict[str, FieldFigures] = {}
    for industry, status, count in await repo.by_field(session):
        frow = fields.setdefault(
            industry, FieldFigures(industry=industry, projects=0, by_status={})
        )
        frow.projects += count
        frow.by_status[status] = count
    lines = {
        str(line.id): LineFigures(
            line_id=line.id,
            centre_id=line.centre_id,
            name=line.name,
            amount_fen=line.amount_fen,
            planned_fen=planned,
            granted_fen=granted,
        )
        for line, planned, granted in await repo.by_line(session)
    }
    closed, median = await repo.days_to_result(session)
    return PocStats(
        by_centre={str(k): v for k, v in centres.items()},
        by_field=fields,
        by_line=lines,
        closed=closed,
        median_days_to_result=median,
    )
