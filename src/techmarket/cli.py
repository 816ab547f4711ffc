"""The ``techmarket`` command: serve, db, admin, demo."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from techmarket import demo as demo_data
from techmarket import migrate
from techmarket.config import Settings, get_settings
from techmarket.db import make_engine, make_sessionmaker, resolve_database_url

app = typer.Typer(help="techmarket: technology market and auction platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations", no_args_is_help=True)
admin_app = typer.Typer(help="Platform administration", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")

console = Console(width=max(Console().width, 120))
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        err.print("[red]Invalid configuration:[/red]")
        for e in exc.errors():
            name = "TECHMARKET_" + str(e["loc"][0]).upper() if e["loc"] else "?"
            err.print(f"  {name}: {e['msg']}")
        raise typer.Exit(2) from None


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    url, embedded = await resolve_database_url(settings)
    engine = make_engine(url, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()
        if embedded:
            embedded.stop()


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    table = Table(title=f"Demo logins (password for all: {demo_data.DEMO_PASSWORD})")
    for column in ("organisation", "email", "roles"):
        table.add_column(column, no_wrap=True)
    for row in logins:
        table.add_row(*row)
    console.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load demo data at start")] = False,
    migrate_on_start: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the schema at start")
    ] = True,
) -> None:
    """Run the HTTP and websocket service."""
    import uvicorn

    from techmarket import logs
    from techmarket.app import create_app

    settings = _settings().model_copy(update={"migrate_on_start": migrate_on_start})
    logs.configure(settings.log_level)
    application = create_app(settings, demo=demo, on_demo_loaded=print_logins)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Upgrade the schema (to the newest revision by default)."""

    async def run() -> None:
        async with _database(_settings()) as engine:
            await migrate.upgrade(engine, revision)

    asyncio.run(run())
    console.print(f"database upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (``base`` removes everything)."""

    async def run() -> None:
        async with _database(_settings()) as engine:
            await migrate.downgrade(engine, revision)

    asyncio.run(run())
    console.print(f"database downgraded to {revision}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision and whether it is the newest."""

    async def run() -> set[str]:
        async with _database(_settings()) as engine:
            return await migrate.current_revisions(engine)

    current = asyncio.run(run())
    head = migrate.head_revisions()
    state = "at head" if current == head else f"head is {', '.join(sorted(head))}"
    console.print(f"{', '.join(sorted(current)) or '(empty)'} ({state})")


@admin_app.command("create-operator")
def create_operator(
    email: Annotated[str, typer.Option(help="Operator's login email")],
    display_name: Annotated[str, typer.Option(help="Operator's name")],
    org_name: Annotated[str, typer.Option(help="Operator organisation's name")],
    credit_code: Annotated[str, typer.Option(help="Operator organisation's credit code")],
    region_code: Annotated[str, typer.Option(help="Operator organisation's region")] = "330000",
) -> None:
    """Create the platform operator organisation (verified) and an operator administrator.

    The password is read from TECHMARKET_OPERATOR_PASSWORD or asked for; there is no default.
    """
    from techmarket.accounts import bootstrap

    password = os.environ.get("TECHMARKET_OPERATOR_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )

    async def run() -> None:
        async with _database(_settings()) as engine:
            await migrate.upgrade(engine)
            await bootstrap.create_operator(
                make_sessionmaker(engine),
                email=email,
                display_name=display_name,
                password=password,
                org_name=org_name,
                credit_code=credit_code,
                region_code=region_code,
            )

    try:
        asyncio.run(run())
    except bootstrap.BootstrapError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"operator {email} created for {org_name}")


@app.command()
def demo() -> None:
    """Load the demo data into the database (idempotent) and print the demo logins."""
    from techmarket.clock import SystemClock

    async def run() -> list[tuple[str, str, str]]:
        async with _database(_settings()) as engine:
            await migrate.upgrade(engine)
            return await demo_data.load(make_sessionmaker(engine), SystemClock().now())

    print_logins(asyncio.run(run()))


if __name__ == "__main__":
    app()
