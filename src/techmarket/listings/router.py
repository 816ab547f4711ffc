"""HTTP routes for achievements, demands and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, UploadFile, status

from techmarket.db import Session
from techmarket.deps import Anyone, Authenticated, Now, Verified
from techmarket.listings import achievements, demands, importer, search
from techmarket.listings.schemas import (
    AchievementCreate,
    AchievementRead,
    AchievementUpdate,
    DemandCreate,
    DemandRead,
    DemandUpdate,
    HistoryRead,
    ImportReport,
    MatchRead,
    MatchReason,
    OptionalReason,
    Reason,
    ResponseCreate,
    ResponseRead,
    Sort,
)
from techmarket.models.listing import ResponseStatus
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
MatchLimit = Annotated[int, Query(ge=1, le=100)]


def _achievement(a: Any, ledger_index: int | None = None) -> AchievementRead:
    read = AchievementRead.model_validate(a)
    read.ledger_index = ledger_index
    return read


def _demand(d: Any, now: datetime, ledger_index: int | None = None) -> DemandRead:
    read = DemandRead.model_validate(d)
    read.status = demands.effective_status(d, now)  # expired at the deadline, swept or not
    read.ledger_index = ledger_index
    return read


def _matches(found: list[Any]) -> list[MatchRead]:
    return [
        MatchRead(
            id=m.id,
            title=m.title,
            score=m.score,
            reasons=[MatchReason(code=r.code, detail=r.detail) for r in m.reasons],
        )
        for m in found
    ]


# Achievements ------------------------------------------------------------------------


@router.get("/achievements", response_model=Page[AchievementRead], tags=["achievements"])
async def search_achievements(
    session: Session,
    principal: Anyone,
    filters: Annotated[search.AchievementFilters, Depends()],
    sort: Sort = "relevance",
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AchievementRead]:
    """Search published achievements (Chinese full text, filters, sorts). With
    ``org_id`` of one's own organisation, every status is listed."""
    found, next_cursor = await search.search_achievements(
        session, principal, filters, sort, cursor, limit
    )
    return Page(items=[_achievement(a) for a in found], next_cursor=next_cursor)


@router.get(
    "/achievements/import/template",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    tags=["achievements"],
)
async def import_template() -> Response:
    """The column layout of a bulk import, as a CSV with example rows (UTF-8)."""
    return Response(
        importer.sample_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="achievements.csv"'},
    )


@router.post(
    "/achievements/import",
    response_model=ImportReport,
    status_code=status.HTTP_201_CREATED,
    tags=["achievements"],
)
async def import_achievements(
    file: UploadFile,
    session: Session,
    principal: Verified,
    now: Now,
    partial: bool = False,
) -> dict[str, Any]:
    """Bulk import (CSV or XLSX) of drafts, with a per-row report. All-or-nothing unless
    ``partial``: then valid rows are created and the invalid ones reported."""
    content = await file.read(importer.MAX_BYTES + 1)
    report = await importer.import_achievements(session, principal, content, now, partial=partial)
    return importer.report_dict(report)


@router.post(
    "/achievements",
    response_model=AchievementRead,
    status_code=status.HTTP_201_CREATED,
    tags=["achievements"],
)
async def create_achievement(
    data: AchievementCreate, session: Session, principal: Verified, now: Now
) -> AchievementRead:
    return _achievement(await achievements.create(session, principal, data, now))


@router.get("/achievements/{achievement_id}", response_model=AchievementRead, tags=["achievements"])
async def get_achievement(
    achievement_id: Id, session: Session, principal: Anyone
) -> AchievementRead:
    return _achievement(await achievements.load(session, principal, achievement_id))


@router.patch(
    "/achievements/{achievement_id}", response_model=AchievementRead, tags=["achievements"]
)
async def update_achievement(
    achievement_id: Id,
    data: AchievementUpdate,
    session: Session,
    principal: Authenticated,
    now: Now,
) -> AchievementRead:
    return _achievement(await achievements.update(session, principal, achievement_id, data, now))


@router.post(
    "/achievements/{achievement_id}/submit", response_model=AchievementRead, tags=["achievements"]
)
async def submit_achievement(
    achievement_id: Id, session: Session, principal: Authenticated, now: Now
) -> AchievementRead:
    """Universities and institutes: to the TTO for approval. Others: published at once."""
    return _achievement(*await achievements.submit(session, principal, achievement_id, now))


@router.post(
    "/achievements/{achievement_id}/approve", response_model=AchievementRead, tags=["achievements"]
)
async def approve_achievement(
    achievement_id: Id, session: Session, principal: Authenticated, now: Now
) -> AchievementRead:
    """The organisation's TTO approves and publishes (both ledgered)."""
    return _achievement(*await achievements.approve(session, principal, achievement_id, now))


@router.post(
    "/achievements/{achievement_id}/reject", response_model=AchievementRead, tags=["achievements"]
)
async def reject_achievement(
    achievement_id: Id, body: Reason, session: Session, principal: Authenticated, now: Now
) -> AchievementRead:
    return _achievement(
        await achievements.reject(session, principal, achievement_id, body.reason, now)
    )


@router.post(
    "/achievements/{achievement_id}/withdraw", response_model=AchievementRead, tags=["achievements"]
)
async def withdraw_achievement(
    achievement_id: Id,
    session: Session,
    principal: Authenticated,
    now: Now,
    body: OptionalReason | None = None,
) -> AchievementRead:
    """The owner withdraws it; the platform operator may suspend it the same way."""
    reason = body.reason if body else None
    return _achievement(
        *await achievements.withdraw(session, principal, achievement_id, reason, now)
    )


@router.get(
    "/achievements/{achievement_id}/history",
    response_model=list[HistoryRead],
    tags=["achievements"],
)
async def achievement_history(
    achievement_id: Id, session: Session, principal: Authenticated
) -> list[HistoryRead]:
    events = await achievements.history(session, principal, achievement_id)
    return [HistoryRead.model_validate(e) for e in events]


@router.get(
    "/achievements/{achievement_id}/matches",
    response_model=list[MatchRead],
    tags=["achievements"],
)
async def achievement_matches(
    achievement_id: Id, session: Session, principal: Anyone, now: Now, limit: MatchLimit = 10
) -> list[MatchRead]:
    """Open demands ranked for this achievement, each saying why."""
    achievement = await achievements.load(session, principal, achievement_id)
    return _matches(await search.demands_for_achievement(session, achievement, limit, now))


# Demands -----------------------------------------------------------------------------


@router.get("/demands", response_model=Page[DemandRead], tags=["demands"])
async def search_demands(
    session: Session,
    principal: Anyone,
    now: Now,
    filters: Annotated[search.DemandFilters, Depends()],
    sort: Sort = "relevance",
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DemandRead]:
    found, next_cursor = await search.search_demands(
        session, principal, filters, sort, cursor, limit, now
    )
    return Page(items=[_demand(d, now) for d in found], next_cursor=next_cursor)


@router.post(
    "/demands", response_model=DemandRead, status_code=status.HTTP_201_CREATED, tags=["demands"]
)
async def create_demand(
    data: DemandCreate, session: Session, principal: Verified, now: Now
) -> DemandRead:
    return _demand(await demands.create(session, principal, data, now), now)


@router.get("/demands/{demand_id}", response_model=DemandRead, tags=["demands"])
async def get_demand(demand_id: Id, session: Session, principal: Anyone, now: Now) -> DemandRead:
    return _demand(await demands.load(session, principal, demand_id, now), now)


@router.patch("/demands/{demand_id}", response_model=DemandRead, tags=["demands"])
async def update_demand(
    demand_id: Id, data: DemandUpdate, session: Session, principal: Authenticated, now: Now
) -> DemandRead:
    return _demand(await demands.update(session, principal, demand_id, data, now), now)


@router.post("/demands/{demand_id}/publish", response_model=DemandRead, tags=["demands"])
async def publish_demand(
    demand_id: Id, session: Session, principal: Authenticated, now: Now
) -> DemandRead:
    demand, index = await demands.publish(session, principal, demand_id, now)
    return _demand(demand, now, index)


@router.post("/demands/{demand_id}/close", response_model=DemandRead, tags=["demands"])
async def close_demand(
    demand_id: Id, session: Session, principal: Authenticated, now: Now
) -> DemandRead:
    return _demand(await demands.close(session, principal, demand_id, now), now)


@router.get("/demands/{demand_id}/matches", response_model=list[MatchRead], tags=["demands"])
async def demand_matches(
    demand_id: Id, session: Session, principal: Anyone, now: Now, limit: MatchLimit = 10
) -> list[MatchRead]:
    """Published achievements ranked for this demand, each saying why."""
    demand = await demands.load(session, principal, demand_id, now)
    return _matches(await search.achievements_for_demand(session, demand, limit))


@router.post(
    "/demands/{demand_id}/responses",
    response_model=ResponseRead,
    status_code=status.HTTP_201_CREATED,
    tags=["demands"],
)
async def respond_to_demand(
    demand_id: Id, data: ResponseCreate, session: Session, principal: Verified, now: Now
) -> ResponseRead:
    """揭榜: an institution, broker or agency proposes to solve the demand."""
    return ResponseRead.model_validate(
        await demands.respond(session, principal, demand_id, data, now)
    )


@router.get("/demands/{demand_id}/responses", response_model=Page[ResponseRead], tags=["demands"])
async def list_responses(
    demand_id: Id,
    session: Session,
    principal: Authenticated,
    now: Now,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ResponseRead]:
    """The owner sees all responses; a responder only its own; oldest first."""
    found = await demands.responses(
        session, principal, demand_id, now, decode_cursor(cursor), limit
    )
    return Page(
        items=[ResponseRead.model_validate(r) for r in found],
        next_cursor=next_cursor([r.id for r in found], limit),
    )


async def _decide(
    demand_id: Id, response_id: Id, to: ResponseStatus, session: Any, principal: Any, now: Any
) -> ResponseRead:
    response, index = await demands.decide(session, principal, demand_id, response_id, to, now)
    read = ResponseRead.model_validate(response)
    read.ledger_index = index
    return read


@router.post(
    "/demands/{demand_id}/responses/{response_id}/shortlist",
    response_model=ResponseRead,
    tags=["demands"],
)
async def shortlist_response(
    demand_id: Id, response_id: Id, session: Session, principal: Authenticated, now: Now
) -> ResponseRead:
    return await _decide(
        demand_id, response_id, ResponseStatus.shortlisted, session, principal, now
    )


@router.post(
    "/demands/{demand_id}/responses/{response_id}/decline",
    response_model=ResponseRead,
    tags=["demands"],
)
async def decline_response(
    demand_id: Id, response_id: Id, session: Session, principal: Authenticated, now: Now
) -> ResponseRead:
    return await _decide(demand_id, response_id, ResponseStatus.declined, session, principal, now)


@router.post(
    "/demands/{demand_id}/responses/{response_id}/accept",
    response_model=ResponseRead,
    tags=["demands"],
)
async def accept_response(
    demand_id: Id, response_id: Id, session: Session, principal: Authenticated, now: Now
) -> ResponseRead:
    """Awards the demand to this responder (ledgered); the other responses are declined."""
    return await _decide(demand_id, response_id, ResponseStatus.accepted, session, principal, now)


@router.post(
    "/demands/{demand_id}/responses/{response_id}/withdraw",
    response_model=ResponseRead,
    tags=["demands"],
)
async def withdraw_response(
    demand_id: Id, response_id: Id, session: Session, principal: Authenticated, now: Now
) -> ResponseRead:
    return ResponseRead.model_validate(
        await demands.withdraw_response(session, principal, demand_id, response_id, now)
    )
