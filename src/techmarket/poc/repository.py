"""SQL of proof-of-concept centres and projects."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.listing import Achievement
from techmarket.models.org import Organisation, OrgKind, OrgStatus
from techmarket.models.poc import PocCentreProfile, PocFundingLine, PocMilestone, PocProject
from techmarket.poc.rules import CLOSED, ProjectStatus, Verdict


async def centre(session: AsyncSession, org_id: int) -> Organisation | None:
    """A verified centre."""
    found = await session.scalar(
        select(Organisation).where(
            Organisation.id == org_id,
            Organisation.kind == OrgKind.poc_centre,
            Organisation.status == OrgStatus.verified,
        )
    )
    return found


async def centres(session: AsyncSession, after_id: int | None, limit: int) -> list[Organisation]:
    query = select(Organisation).where(
        Organisation.kind == OrgKind.poc_centre, Organisation.status == OrgStatus.verified
    )
    if after_id is not None:
        query = query.where(Organisation.id > after_id)
    return list(await session.scalars(query.order_by(Organisation.id).limit(limit)))


async def profile(session: AsyncSession, org_id: int) -> PocCentreProfile | None:
    return await session.get(PocCentreProfile, org_id)


async def lines(
    session: AsyncSession, centre_id: int, after_id: int | None = None, limit: int | None = None
) -> list[PocFundingLine]:
    """A centre's funding lines by id (all of them, unless a page is asked for)."""
    query = select(PocFundingLine).where(PocFundingLine.centre_id == centre_id)
    if after_id is not None:
        query = query.where(PocFundingLine.id > after_id)
    return list(await session.scalars(query.order_by(PocFundingLine.id).limit(limit)))


async def project(
    session: AsyncSession, project_id: int, seen_by: int | None, *, lock: bool = False
) -> PocProject | None:
    """A project, if organisation ``seen_by`` is its centre or applicant (None: anyone's)."""
    query = select(PocProject).where(PocProject.id == project_id)
    if seen_by is not None:
        query = query.where(_party(seen_by))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


def _party(org_id: int) -> ColumnElement[bool]:
    return (PocProject.centre_id == org_id) | (PocProject.applicant_id == org_id)


async def projects(
    session: AsyncSession,
    seen_by: int | None,
    status: ProjectStatus | None,
    after_id: int | None,
    limit: int,
) -> list[PocProject]:
    """Projects of organisation ``seen_by`` as centre or applicant (None: all), by id."""
    query = select(PocProject)
    if seen_by is not None:
        query = query.where(_party(seen_by))
    if status is not None:
        query = query.where(PocProject.status == status)
    if after_id is not None:
        query = query.where(PocProject.id > after_id)
    return list(await session.scalars(query.order_by(PocProject.id).limit(limit)))


async def milestones(session: AsyncSession, project_ids: Sequence[int]) -> list[PocMilestone]:
    query = select(PocMilestone).where(PocMilestone.project_id.in_(project_ids))
    return list(
        await session.scalars(query.order_by(PocMilestone.project_id, PocMilestone.position))
    )


async def results(
    session: AsyncSession,
    centre_id: int | None,
    achievement_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[tuple[PocProject, str, str]]:
    """Passed projects with their centre's name and the achievement's title, by id."""
    query = (
        select(PocProject, Organisation.name, Achievement.title)
        .join(Organisation, Organisation.id == PocProject.centre_id)
        .join(Achievement, Achievement.id == PocProject.achievement_id)
        .where(PocProject.status == ProjectStatus.passed)
    )
    if centre_id is not None:
        query = query.where(PocProject.centre_id == centre_id)
    if achievement_id is not None:
        query = query.where(PocProject.achievement_id == achievement_id)
    if after_id is not None:
        query = query.where(PocProject.id > after_id)
    rows = await session.execute(query.order_by(PocProject.id).limit(limit))
    return [(p, name, title) for p, name, title in rows]


def verified() -> ColumnElement[bool]:
    """Achievements a centre verified: a passed project (the search's "verified only")."""
    return (
        select(PocProject.id)
        .where(
            PocProject.achievement_id == Achievement.id,
            PocProject.status == ProjectStatus.passed,
        )
        .exists()
    )


async def by_centre(session: AsyncSession) -> list[tuple[int, str, str, int]]:
    query = (
        select(PocProject.centre_id, Organisation.name, PocProject.status, func.count())
        .join(Organisation, Organisation.id == PocProject.centre_id)
        .group_by(PocProject.centre_id, Organisation.name, PocProject.status)
        .order_by(PocProject.centre_id)
    )
    return [(c, n, str(s), k) for c, n, s, k in await session.execute(query)]


async def by_field(session: AsyncSession) -> list[tuple[str, str, int]]:
    query = (
        select(Achievement.industry, PocProject.status, func.count())
        .join(Achievement, Achievement.id == PocProject.achievement_id)
        .group_by(Achievement.industry, PocProject.status)
        .order_by(Achievement.industry)
    )
    return [(str(i), str(s), k) for i, s, k in await session.execute(query)]


async def by_line(session: AsyncSession) -> list[tuple[PocFundingLine, int, int]]:
    """Each funding line with the tranches planned from it and those granted (met)."""
    met = PocMilestone.verdict == Verdict.met
    query = (
        select(
            PocFundingLine,
            func.coalesce(func.sum(PocMilestone.tranche_fen), 0),
            func.coalesce(func.sum(PocMilestone.tranche_fen).filter(met), 0),
        )
        .outerjoin(PocMilestone, PocMilestone.line_id == PocFundingLine.id)
        .group_by(PocFundingLine.id)
        .order_by(PocFundingLine.id)
    )
    return [(line, int(p), int(g)) for line, p, g in await session.execute(query)]


async def days_to_result(session: AsyncSession) -> tuple[int, float | None]:
    """How many projects closed (declined ones included: screening is their result) and
    the median days from application to result."""
    ended = func.coalesce(PocProject.closed_at, PocProject.screened_at)
    days = func.extract("epoch", ended - PocProject.applied_at) / 86400
    done = PocProject.status.in_([*CLOSED, ProjectStatus.declined])
    row = (
        await session.execute(
            select(func.count(), func.percentile_cont(0.5).within_group(days)).where(done)
        )
    ).one()
    return int(row[0]), None if row[1] is None else float(row[1])


async def titles(session: AsyncSession, achievement_ids: Sequence[int]) -> dict[int, str]:
    """The titles of the achievements projects are about (public ones, as every project's)."""
    query = select(Achievement.id, Achievement.title).where(Achievement.id.in_(achievement_ids))
    return {i: t for i, t in await session.execute(query)}


async def verifiers(session: AsyncSession, achievement_ids: Sequence[int]) -> dict[int, str]:
    """The centre (its name) that verified each of these achievements, where one did."""
    query = (
        select(PocProject.achievement_id, Organisation.name)
        .join(Organisation, Organisation.id == PocProject.centre_id)
        .where(
            PocProject.achievement_id.in_(achievement_ids),
            PocProject.status == ProjectStatus.passed,
        )
        .order_by(PocProject.id)
    )
    return {a: name for a, name in await session.execute(query)}
