"""Helpers for journeys in a real Chromium: demo logins, signing in, accessibility checks
and screenshots. The fixtures that use them are in conftest.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, Response

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
LOCAL_HOSTS = frozenset({"127.0.0.1"})
# Schemes that never touch the network.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})

_axe = Axe()  # axe-core, bundled in the package: nothing is fetched
_audited: dict[Page, set[str]] = {}  # the pages each browser page has had checked
SERIOUS = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class DemoLogin:
    organisation: str
    email: str
    roles: frozenset[str]
    password: str


def parse_demo_logins(output: str) -> dict[str, DemoLogin]:
    """The logins `techmarket serve --demo` printed (a table of organisation, email and
    roles, the password in its title or in a column of its own), by email."""
    common = re.search(r"password for all: (\S+?)\)", output)
    header: list[str] = []
    logins: dict[str, DemoLogin] = {}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("┃"):
            header = [cell.strip() for cell in line.strip("┃").split("┃")]
        elif line.startswith("│") and header:
            row = dict(zip(header, (c.strip() for c in line.strip("│").split("│")), strict=True))
            password = row.get("password") or (common.group(1) if common else None)
            assert password, f"no password printed for {row}"
            logins[row["email"]] = DemoLogin(
                organisation=row["organisation"],
                email=row["email"],
                roles=frozenset(filter(None, row["roles"].split(","))),
                password=password,
            )
    assert logins, f"no demo logins in the server's output:\n{output[-3000:]}"
    return logins


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def track(page: Page) -> None:
    _audited[page] = set()


def unaudited(page: Page, visited: list[str]) -> list[str]:
    audited = _audited.pop(page, set())
    return [url for url in visited if url not in audited]


async def check_a11y(page: Page, known: frozenset[str] = frozenset()) -> None:
    """Fail on any serious or critical axe-core violation on the page as it is now.
    ``known``: rule ids a third-party page (Swagger UI) breaks in markup we do not write."""
    await page.wait_for_load_state("load")
    results = await _axe.run(page)
    _audited.setdefault(page, set()).add(page.url)
    found = [
        v for v in results.response["violations"] if v["impact"] in SERIOUS and v["id"] not in known
    ]
    assert not found, f"accessibility violations on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
    )


async def visit(page: Page, path: str) -> Response:
    """Open ``path`` as a person would (typing the address) and check the page."""
    response = await page.goto(path)
    assert response is not None
    await check_a11y(page)
    return response


async def log_in(page: Page, login: DemoLogin) -> None:
    """Sign in through the login form; ends on the account page, checked."""
    await visit(page, "/login")
    await page.get_by_label("邮箱").fill(login.email)
    await page.get_by_label("密码").fill(login.password)
    async with page.expect_navigation():
        await page.get_by_role("main").get_by_role("button", name="登录").click()
    await check_a11y(page)


async def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under test-output/screenshots/ (kept for people to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path
