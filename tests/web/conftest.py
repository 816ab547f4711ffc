"""Fixtures for journeys in a real browser: one `techmarket serve --demo` for the session
(a fresh data directory, the logins it printed), Debian's Chromium through Playwright,
and pages that fail their test if any request leaves 127.0.0.1 or any page visited was
not checked for accessibility (browser.check_a11y)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright

from tests.e2e.servers import Server
from tests.web.browser import DemoLogin, is_local, parse_demo_logins, track, unaudited

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class DemoSite:
    url: str
    logins: dict[str, DemoLogin]  # by email

    def login(self, email: str) -> DemoLogin:
        return self.logins[email]


@pytest.fixture(scope="session")
async def demo_site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoSite]:
    """A real server with the demo data on a fresh data directory."""
    # Wide enough that the printed table of logins is never cropped.
    server = Server(tmp_path_factory.mktemp("web-demo"), "--demo", env={"COLUMNS": "300"})
    try:
        await asyncio.to_thread(server.wait_ready)
        yield DemoSite(server.url, parse_demo_logins(server.log.read_text()))
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium (Playwright's own browser downloads are not used)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the web tests drive Debian's Chromium. "
            "Install it with `apt-get install chromium fonts-wqy-microhei`."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


NewPage = Callable[..., Awaitable[Page]]


@pytest.fixture
async def new_page(browser: Browser, demo_site: DemoSite) -> AsyncIterator[NewPage]:
    """Pages in browser contexts of their own (one per person in a journey), in Chinese
    and Beijing time. Requests to anywhere but 127.0.0.1 are blocked and fail the test,
    as does a page loaded and never checked for accessibility."""
    contexts = []
    outside: list[str] = []
    loads: dict[Page, list[str]] = {}

    async def keep_local(route: Route) -> None:
        if is_local(route.request.url):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    async def make(**options: Any) -> Page:
        context = await browser.new_context(
            base_url=demo_site.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
        )
        contexts.append(context)
        await context.route("**/*", keep_local)
        page = await context.new_page()
        track(page)
        loads[page] = []
        page.on("load", lambda loaded: loads[loaded].append(loaded.url))
        page.on("websocket", lambda ws: None if is_local(ws.url) else outside.append(ws.url))
        return page

    yield make
    for context in contexts:
        await context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"
    for page, urls in loads.items():
        missed = unaudited(page, urls)
        assert not missed, f"pages visited without an accessibility check: {missed}"


@pytest.fixture
async def page(new_page: NewPage) -> Page:
    return await new_page()
