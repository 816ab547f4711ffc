"""The API's interactive documentation at /docs, offline: Swagger UI's files come from a
Python package (fastapi-offline's copy of Swagger UI 5, which reads OpenAPI 3.1) and are
served by this service, never from a CDN."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/swagger-ui"
SWAGGER_UI_FILES = files("fastapi_offline") / "static"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title="techmarket API 文档",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        oauth2_redirect_url=OAUTH2_REDIRECT,
        # No badge that sends the document to an online validator.
        swagger_ui_parameters={"validatorUrl": None},
    )
    # FastAPI's page declares no language (Swagger UI speaks English), and some of Swagger
    # UI's colours fall short of AA contrast: our own stylesheet darkens them.
    body = (
        bytes(page.body)
        .replace(b"<html>", b'<html lang="en">', 1)
        .replace(
            b"</head>", b'<link rel="stylesheet" href="/static/swagger-contrast.css"></head>', 1
        )
    )
    return HTMLResponse(body)


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


def install(app: FastAPI) -> None:
    """Serve the documentation; the app must be built with ``docs_url=None``."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI_FILES)), name="swagger-ui")
    app.include_router(router)
