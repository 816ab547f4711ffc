"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text

from techmarket import migrate

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    """``ready``, or why not (``unavailable``, ``migrations_pending``, ``listener_down``)
    with what was found."""

    model_config = ConfigDict(extra="allow")

    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={200: {"model": Readiness}, 503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    """The database answers, its schema is at the newest migration, and the process
    hears the trades' events (its LISTEN connection is up)."""
    broadcaster = getattr(request.app.state, "broadcaster", None)
    if broadcaster is not None and not broadcaster.ready.is_set():
        return JSONResponse({"status": "listener_down"}, status_code=503)
    engine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await migrate.current_revisions(engine)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": str(exc)[:200]}, status_code=503)
    head = migrate.head_revisions()
    if current != head:
        return JSONResponse(
            {"status": "migrations_pending", "current": sorted(current), "head": sorted(head)},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "revision": sorted(current)})
