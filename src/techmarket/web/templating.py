"""The Jinja2 environment of the pages and ``render``, the one way a page is drawn."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from techmarket.web import csrf, display, labels, places, reasons

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

NAV = (
    ("/", "首页"),
    ("/achievements", "科技成果"),
    ("/demands", "企业需求"),
    ("/orgs", "机构"),
    ("/agencies", "服务机构"),
    ("/poc", "概念验证"),
    ("/notices", "公示"),
    ("/deals", "成交"),
    ("/stats", "统计"),
    ("/ledger", "账本"),
)

# Pages load nothing but this service's own files; no inline script, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,  # a misspelt variable fails the test, not the reader
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    yuan=display.yuan,
    local_time=display.local_time,
    local_date=display.local_date,
    label=labels.label,
    time_left=display.time_left,
)
environment.globals.update(nav=NAV, options=labels.options, page_url=display.page_url)
environment.filters["place"] = places.name  # region codes as names (行政区划)
environment.filters["reason"] = reasons.text  # why a listing matched
templates = Jinja2Templates(env=environment)


def _current(path: str, href: str) -> bool:
    return path == href if href == "/" else path == href or path.startswith(href + "/")


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Draw ``template`` with the page's common context: ``me`` (who is signed in, or
    None), ``csrf_token()``, ``current(href)`` for the navigation, and empty ``form`` and
    ``errors`` unless given (see ``forms``)."""
    me = getattr(request.state, "signed_in_as", None)
    values: dict[str, Any] = {
        "me": me,
        # A broker acting for a client keeps its mandate on the page's links and forms.
        "acting_query": f"?mandate={me.mandate_id}" if me and me.mandate_id else "",
        "csrf_token": partial(csrf.token, request),
        "current": partial(_current, request.url.path),
        "form": {},
        "errors": {},
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers or {})
    )
    response.headers.update(SECURITY_HEADERS)
    csrf.remember_nonce(request, response)
    return response
