"""A problem on a page is a page: 403 (请登录 / not yours), 404, 409, 422, 500 in Chinese.

The API keeps its problem details: every handler of ``techmarket.errors`` is wrapped, and
answers with a page only for paths that are not the API's.
"""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from techmarket import errors
from techmarket.errors import DomainError, NotAuthenticated
from techmarket.web import messages, sessions
from techmarket.web.forms import FormRejected
from techmarket.web.templating import render

log = logging.getLogger("techmarket.web")

# Paths answered with problem details (or plain JSON), never with a page.
API_PREFIXES = ("/api/", "/ws/")
API_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/metrics"})

TITLES = {
    403: "无权访问",
    404: "页面不存在",
    405: "不支持此请求方式",
    409: "当前状态不允许此操作",
    422: "提交的内容有误",
    429: "操作过于频繁",
    500: "服务器内部错误",
}


def is_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(API_PREFIXES) and path not in API_PATHS


def _error_page(
    request: Request, status: int, message: str, details: list[str] | None = None
) -> HTMLResponse:
    template = "not_found.html" if status == 404 else "error.html"
    return render(
        request,
        template,
        {
            "status": status,
            "title": TITLES.get(status, "请求无法处理"),
            "message": message,
            "details": details or [],
            "login_needed": False,
        },
        status_code=status,
    )


async def _page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, FormRejected):
        return exc.response
    if isinstance(exc, NotAuthenticated):
        return render(
            request,
            "error.html",
            {
                "status": 403,
                "title": "请登录",
                "message": "此页面需要登录后查看。",
                "details": [],
                "login_needed": True,
            },
            status_code=403,
        )
    if isinstance(exc, DomainError):
        response = _error_page(request, exc.status, messages.domain(exc))
        response.headers.update({k: v for k, v in exc.headers.items() if k == "Retry-After"})
        return response
    if isinstance(exc, RequestValidationError):
        details = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or '请求'}：{messages.validation(e)}"
            for e in exc.errors()
        ]
        return _error_page(request, 422, "请检查链接或表单中的内容。", details)
    if isinstance(exc, StarletteHTTPException):
        await sessions.identify(request)
        message = {
            404: "您要找的页面不存在，或已被移除。",
            405: "此地址不支持这种请求方式。",
        }.get(exc.status_code, "请求无法处理。")
        return _error_page(request, exc.status_code, message)
    return _server_error(request, exc)


def _server_error(request: Request, exc: Exception) -> Response:
    request_id = getattr(request.state, "request_id", "")
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = f"服务器出了问题，我们已记录下来。错误编号：{request_id}"
    try:
        return _error_page(request, 500, message)
    except Exception:  # the page itself failed to draw: still never a stack trace
        log.exception("error page failed to render")
        page = "<!doctype html><html lang=zh-CN><title>服务器内部错误</title>"
        return HTMLResponse(f"{page}<h1>服务器内部错误</h1><p>{html.escape(request_id)}", 500)


def _either(problem: errors.Handler) -> errors.Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        return await (_page(request, exc) if is_page(request) else problem(request, exc))

    return handler


def install(app: FastAPI) -> None:
    for exc_class, problem in errors.HANDLERS.items():
        app.add_exception_handler(exc_class, _either(problem))
