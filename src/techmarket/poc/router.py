"""HTTP routes of proof-of-concept centres (概念验证中心) and their projects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.db import Session
from techmarket.deps import Authenticated, Now, Verified
from techmarket.models.poc import PocProject
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.poc import service
from techmarket.poc.rules import ProjectStatus
from techmarket.poc.schemas import (
    CentreProfileUpdate,
    CentreRead,
    Closing,
    FundingLineCreate,
    FundingLineRead,
    Judgement,
    MilestoneRead,
    PlanCreate,
    PocStats,
    ProjectCreate,
    ProjectRead,
    ResultRead,
    Screening,
)
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1/poc", tags=["proof of concept"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


async def _projects(
    session: AsyncSession, found: list[PocProject], index: int | None = None
) -> list[ProjectRead]:
    milestones = await service.milestones(session, [p.id for p in found])
    out = []
    for p in found:
        read = ProjectRead.model_validate(p)
        read.milestones = [
            MilestoneRead.model_validate(m) for m in milestones if m.project_id == p.id
        ]
        read.ledger_index = index
        out.append(read)
    return out


async def _project(session: AsyncSession, p: PocProject, index: int | None = None) -> ProjectRead:
    return (await _projects(session, [p], index))[0]


async def _centre(session: AsyncSession, centre_id: int) -> CentreRead:
    org, profile, _ = await service.centre(session, centre_id)
    return CentreRead(
        id=org.id,
        name=org.name,
        region_code=org.region_code,
        industries=profile.industries if profile else [],
        services=profile.services if profile else [],
        description=profile.description if profile else "",
    )


@router.get("/centres", response_model=Page[CentreRead])
async def list_centres(
    session: Session, cursor: Line | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[CentreRead]:
    """Verified proof-of-concept centres with their fields, services and funding lines."""
    orgs = await service.centres(session, decode_cursor(cursor), limit)
    items = [await _centre(session, org.id) for org in orgs]
    return Page(items=items, next_cursor=next_cursor([o.id for o in orgs], limit))


@router.get("/centres/{centre_id}", response_model=CentreRead)
async def get_centre(centre_id: Id, session: Session) -> CentreRead:
    return await _centre(session, centre_id)


@router.get("/centres/{centre_id}/funding-lines", response_model=Page[FundingLineRead])
async def list_funding_lines(
    centre_id: Id, session: Session, cursor: Line | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[FundingLineRead]:
    """The lines a centre grants milestone tranches from, with their amounts."""
    found = await service.funding_lines(session, centre_id, decode_cursor(cursor), limit)
    return Page(
        items=[FundingLineRead.model_validate(x) for x in found],
        next_cursor=next_cursor([x.id for x in found], limit),
    )


@router.put("/centre/profile", response_model=CentreRead)
async def set_profile(
    data: CentreProfileUpdate, session: Session, principal: Verified, now: Now
) -> CentreRead:
    """The caller's centre declares its fields and verification services (ledgered)."""
    _, index = await service.set_profile(session, principal, data, now)
    read = await _centre(session, principal.org.id)
    read.ledger_index = index
    return read


@router.post(
    "/centre/funding-lines", response_model=FundingLineRead, status_code=status.HTTP_201_CREATED
)
async def add_funding_line(
    data: FundingLineCreate, session: Session, principal: Verified, now: Now
) -> FundingLineRead:
    """The caller's centre declares a funding line (ledgered); tranches come only from these."""
    line, index = await service.add_line(session, principal, data, now)
    read = FundingLineRead.model_validate(line)
    read.ledger_index = index
    return read


@router.post("/projects", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
async def apply(
    data: ProjectCreate, session: Session, principal: Verified, now: Now
) -> ProjectRead:
    """An institution applies to a centre with one of its own published achievements."""
    return await _project(session, *await service.apply(session, principal, data, now))


@router.get("/projects", response_model=Page[ProjectRead])
async def list_projects(
    session: Session,
    principal: Authenticated,
    status: ProjectStatus | None = None,
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ProjectRead]:
    """A centre's applications received, an institution's applications made."""
    found = await service.of_org(session, principal, status, decode_cursor(cursor), limit)
    return Page(
        items=await _projects(session, found), next_cursor=next_cursor([p.id for p in found], limit)
    )


@router.get("/projects/{project_id}", response_model=ProjectRead)
async def get_project(project_id: Id, session: Session, principal: Authenticated) -> ProjectRead:
    return await _project(session, await service.load(session, principal, project_id))


@router.post("/projects/{project_id}/screening", response_model=ProjectRead)
async def screen(
    project_id: Id, data: Screening, session: Session, principal: Verified, now: Now
) -> ProjectRead:
    """The centre accepts or declines the application, with its reasons (项目遴选)."""
    project, index = await service.screen(
        session, principal, project_id, data.accept, data.reasons, now
    )
    return await _project(session, project, index)


@router.post("/projects/{project_id}/plan", response_model=ProjectRead)
async def plan(
    project_id: Id, data: PlanCreate, session: Session, principal: Verified, now: Now
) -> ProjectRead:
    """The agreed plan: milestones with what is to be shown, due date and tranche."""
    return await _project(session, *await service.plan(session, principal, project_id, data, now))


@router.post("/projects/{project_id}/milestones/{milestone_id}/verdict", response_model=ProjectRead)
async def judge(
    project_id: Id,
    milestone_id: Id,
    data: Judgement,
    session: Session,
    principal: Verified,
    now: Now,
) -> ProjectRead:
    """The centre records a milestone's evidence and verdict (met or not met)."""
    _, index = await service.judge(session, principal, project_id, milestone_id, data, now)
    return await _project(session, await service.load(session, principal, project_id), index)


@router.post("/projects/{project_id}/close", response_model=ProjectRead)
async def close(
    project_id: Id, data: Closing, session: Session, principal: Verified, now: Now
) -> ProjectRead:
    """Close once: passed (TRL and the centre's mark on the achievement), failed or stopped."""
    return await _project(session, *await service.close(session, principal, project_id, data, now))


@router.get("/results", response_model=Page[ResultRead])
async def results(
    session: Session,
    centre_id: Id | None = None,
    achievement_id: Id | None = None,
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ResultRead]:
    """Passed projects, public: the centre's mark, the TRL change, the public summary."""
    found = await service.results(session, centre_id, achievement_id, decode_cursor(cursor), limit)
    return Page(items=found, next_cursor=next_cursor([r.project_id for r in found], limit))


@router.get("/stats", response_model=PocStats)
async def stats(session: Session) -> PocStats:
    """Projects by centre, field and status; money by funding line; days to a result."""
    return await service.stats(session)
