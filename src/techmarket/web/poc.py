"""Proof-of-concept pages: the public centres (/poc) with their passed results and the
statistics, and the desk (/my/poc) where an institution applies and a centre screens,
plans, judges milestones and closes its projects, with plain forms over the same services."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts.policy import Action, Principal, open_to
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings import achievements
from techmarket.models.listing import AchievementStatus
from techmarket.models.poc import PocProject
from techmarket.poc import service as poc
from techmarket.poc.schemas import (
    Closing,
    Judgement,
    MilestonePlan,
    PlanCreate,
    ProjectCreate,
    Screening,
)
from techmarket.poc.service import EmptyPlan
from techmarket.web import entry, forms
from techmarket.web.display import SHANGHAI
from techmarket.web.listing_queries import TRL_LEVELS
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

LIST = 200
PLAN_ROWS = 3  # milestone rows of the plan form; empty ones are left out
DONE = {
    "applied": "申请已提交，等待中心遴选。",
    "screened": "遴选结果已记录。",
    "planned": "验证计划已确定，项目进入验证阶段。",
    "judged": "里程碑结论已记录。",
    "closed": "项目已结题。",
}


@router.get("/poc")
async def centres_page(request: Request, session: Session) -> HTMLResponse:
    centres = [await poc.centre(session, c.id) for c in await poc.centres(session, None, LIST)]
    return render(
        request,
        "poc.html",
        {
            "centres": centres,
            "results": await poc.results(session, None, None, None, LIST),
            "stats": await poc.stats(session),
        },
    )


@router.get("/poc/centres/{centre_id}")
async def centre_page(request: Request, centre_id: int, session: Session) -> HTMLResponse:
    org, profile, lines = await poc.centre(session, centre_id)
    stats = await poc.stats(session)
    return render(
        request,
        "poc_centre.html",
        {
            "centre": org,
            "profile": profile,
            "lines": [x for x in stats.by_line.values() if x.centre_id == centre_id] or lines,
            "figures": stats.by_centre.get(str(centre_id)),
            "results": await poc.results(session, centre_id, None, None, LIST),
        },
    )


async def _desk(session: Session, principal: Principal) -> dict[str, Any]:
    projects = await poc.of_org(session, principal, None, None, LIST)
    applying = Action.poc_apply in open_to(principal)
    own = (
        await achievements.of_org(session, principal, [AchievementStatus.published], None, LIST)
        if applying
        else []
    )
    centres = await poc.centres(session, None, LIST) if applying else []
    return {
        "projects": projects,
        "titles": await poc.titles(session, projects),
        "applying": applying,
        "own": [(str(a.id), a.title) for a in own],
        "centre_choices": [(str(c.id), c.name) for c in centres],
        "done": None,
    }


@router.get("/my/poc")
async def desk(
    request: Request, session: Session, principal: SignedIn, done: str | None = None
) -> HTMLResponse:
    context = await _desk(session, principal)
    return render(request, "my_poc.html", {**context, "done": DONE.get(done or "")})


@router.post("/my/poc")
async def apply(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        project, _ = await poc.apply(session, principal, ProjectCreate.model_validate(values), now)
    except (ValidationError, DomainError) as exc:
        context = {**await _desk(session, principal), "form": values}
        raise forms.reject(request, "my_poc.html", exc, context) from exc
    return RedirectResponse(f"/my/poc/{project.id}?done=applied", 303)


async def _project(session: Session, principal: Principal, project: PocProject) -> dict[str, Any]:
    org, _, lines = await poc.centre(session, project.centre_id)
    achievement = await poc.achievement(session, project)
    return {
        "p": project,
        "centre": org,
        "achievement": achievement,
        "milestones": await poc.milestones(session, [project.id]),
        "line_choices": [(str(x.id), x.name) for x in lines],
        "line_names": {x.id: x.name for x in lines},
        "running": principal.org.id == project.centre_id,
        "rows": range(1, PLAN_ROWS + 1),
        "trl_levels": TRL_LEVELS,
        "done": None,
        "ledger_index": None,
    }


@router.get("/my/poc/{project_id}")
async def project_page(
    request: Request,
    project_id: int,
    session: Session,
    principal: SignedIn,
    done: str | None = None,
    ledger: int | None = None,
) -> HTMLResponse:
    project = await poc.load(session, principal, project_id)
    context = await _project(session, principal, project)
    return render(
        request,
        "my_poc_project.html",
        {**context, "done": DONE.get(done or ""), "ledger_index": ledger},
    )


def _milestones(values: dict[str, Any]) -> PlanCreate:
    """The plan form's filled-in rows (m<n>.<field>, the due date a day in Beijing), each
    validated as the API's milestone; a refusal carries its messages by the form's names."""
    plans: list[MilestonePlan] = []
    errors: forms.FieldErrors = {}
    first: ValidationError | None = None
    for n in range(1, PLAN_ROWS + 1):
        row = {k: values.get(f"m{n}.{k}") for k in MilestonePlan.model_fields}
        if not any(row.values()):
            continue
        try:
            due = datetime.combine(date.fromisoformat(row["due_at"] or ""), time(), SHANGHAI)
            row["due_at"] = due
        except ValueError:
            pass  # refused by the schema, next to the field
        row["tranche_fen"] = entry.fen(row["tranche_fen"])
        try:
            typed = {k: v for k, v in row.items() if v is not None}
            plans.append(MilestonePlan.model_validate(typed))
        except ValidationError as exc:
            first = first or exc
            for name, texts in forms.field_errors(exc).items():
                errors[f"m{n}.{name}"] = texts
    if first is not None:
        raise PlanRejected(first, errors)
    if not plans:
        raise PlanRejected(EmptyPlan(), {forms.FORM_LEVEL: ["请至少填写一个里程碑。"]})
    return PlanCreate(milestones=plans)


class PlanRejected(Exception):
    """The plan form's rows refused, with the messages by the form's field names."""

    def __init__(self, cause: DomainError | ValidationError, errors: forms.FieldErrors) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.errors = errors


async def _step(session: Session, principal: Principal, project_id: int) -> dict[str, Any]:
    """The project page again, for a refused form."""
    project = await poc.load(session, principal, project_id)
    return await _project(session, principal, project)


def _done(project_id: int, what: str, index: int) -> RedirectResponse:
    return RedirectResponse(f"/my/poc/{project_id}?done={what}&ledger={index}", 303)


@router.post("/my/poc/{project_id}/screening")
async def screen(
    request: Request, project_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        data = Screening.model_validate(values)
        _, index = await poc.screen(session, principal, project_id, data.accept, data.reasons, now)
    except (ValidationError, DomainError) as exc:
        context = {**await _step(session, principal, project_id), "form": values}
        raise forms.reject(request, "my_poc_project.html", exc, context) from exc
    return _done(project_id, "screened", index)


@router.post("/my/poc/{project_id}/plan")
async def plan(
    request: Request, project_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        _, index = await poc.plan(session, principal, project_id, _milestones(values), now)
    except PlanRejected as exc:
        context = {**await _step(session, principal, project_id), "form": values}
        page = render(
            request, "my_poc_project.html", {**context, "errors": exc.errors}, status_code=422
        )
        raise forms.FormRejected(page, exc.cause) from exc
    except DomainError as exc:
        context = {**await _step(session, principal, project_id), "form": values}
        raise forms.reject(request, "my_poc_project.html", exc, context) from exc
    return _done(project_id, "planned", index)


@router.post("/my/poc/{project_id}/milestones/{milestone_id}/verdict")
async def judge(
    request: Request,
    project_id: int,
    milestone_id: int,
    session: Session,
    principal: SignedIn,
    now: Now,
) -> RedirectResponse:
    values = await forms.read(request)
    typed = {
        "evidence": values.get(f"evidence.{milestone_id}"),
        "verdict": values.get(f"verdict.{milestone_id}"),
    }
    try:
        data = Judgement.model_validate(typed)
        _, index = await poc.judge(session, principal, project_id, milestone_id, data, now)
    except ValidationError as exc:
        context = {**await _step(session, principal, project_id), "form": values}
        errors = {f"{name}.{milestone_id}": t for name, t in forms.field_errors(exc).items()}
        page = render(
            request, "my_poc_project.html", {**context, "errors": errors}, status_code=422
        )
        raise forms.FormRejected(page, exc) from exc
    except DomainError as exc:
        context = {**await _step(session, principal, project_id), "form": values}
        raise forms.reject(request, "my_poc_project.html", exc, context) from exc
    return _done(project_id, "judged", index)


@router.post("/my/poc/{project_id}/close")
async def close(
    request: Request, project_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        data = Closing.model_validate(values)
        _, index = await poc.close(session, principal, project_id, data, now)
    except (ValidationError, DomainError) as exc:
        context = {**await _step(session, principal, project_id), "form": values}
        raise forms.reject(request, "my_poc_project.html", exc, context) from exc
    return _done(project_id, "closed", index)
