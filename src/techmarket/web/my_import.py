"""Bulk import of the organisation's patent inventory (/my/import): upload CSV or XLSX
through the same importer as the API and the CLI, and read its per-row report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings import importer
from techmarket.web import forms, messages
from techmarket.web.my_achievements import patent_message
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

# Each field by the first Chinese column name the importer reads for it.
COLUMN_NAMES = {f: h for h, f in reversed(importer.COLUMNS.items()) if not h.isascii()}


def row_messages(row: importer.RowResult) -> list[str]:
    """A row's problems in Chinese, each under its column's name."""
    shown = []
    for problem in row.problems:
        name = problem.field.split(".")[0]
        if name == "proof_of_concept":
            name = "poc_" + problem.field.split(".")[-1]
        column = COLUMN_NAMES.get(name, "本行")
        text = patent_message([problem.error]) if name == "patent_numbers" else None
        shown.append(f"{column}：{text or messages.validation(problem.error)}")
    return shown


@router.get("/my/import")
async def import_page(request: Request, principal: SignedIn) -> HTMLResponse:
    return render(request, "my_import.html", {"report": None})


@router.post("/my/import")
async def import_achievements(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> HTMLResponse:
    """The report is the answer (nothing to redirect to: it is not stored). All or
    nothing unless 'partial' is ticked; a rejected file leaves nothing behind."""
    posted = await request.form()
    upload = posted.get("file")
    shown: dict[str, Any] = {"partial": posted.getlist("partial")}
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise importer.UnreadableUpload("no file was chosen")
        content = await upload.read(importer.MAX_BYTES + 1)
        report = await importer.import_achievements(
            session, principal, content, now, partial=bool(shown["partial"])
        )
    except DomainError as exc:
        rejected = exc.report if isinstance(exc, importer.ImportRejected) else None
        raise forms.reject(
            request,
            "my_import.html",
            exc,
            {"form": shown, "report": rejected, "row_messages": row_messages},
            fields={"unreadable_upload": "file"},
        ) from exc
    return render(
        request,
        "my_import.html",
        {"form": shown, "report": report, "row_messages": row_messages},
    )
