"""The ``techmarket`` command: serve, db, admin, demo, backup and restore, and the auditor's
``ledger`` commands. Database code is imported by the commands that use it, so that
``techmarket ledger verify`` runs without it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.table import Table

from techmarket.config import Settings, get_settings
from techmarket.ledger_commands import ledger_app
from techmarket.terminal import console, err

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

app = typer.Typer(help="techmarket: technology market and auction platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations", no_args_is_help=True)
admin_app = typer.Typer(help="Platform administration", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(ledger_app, name="ledger")
app.add_typer(import_app, name="import")

T = TypeVar("T")


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
    from techmarket.db import make_engine, resolve_database_url

    url, embedded = await resolve_database_url(settings)
    engine = make_engine(url, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()
        if embedded:
            embedded.stop()


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    from techmarket.demo import DEMO_PASSWORD

    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for column in ("organisation", "email", "roles"):
        table.add_column(column, no_wrap=True)
    for row in logins:
        table.add_row(*row)
    console.print(table)


UnsafeDemo = Annotated[
    bool,
    typer.Option(
        "--unsafe-demo-on-database-url",  # demo.UNSAFE_FLAG, which its refusal names
        help="Load the demo (published passwords!) into the TECHMARKET_DATABASE_URL database",
    ),
]


def _refuse_demo_on_database_url(settings: Settings, unsafe: bool) -> None:
    from techmarket import demo as demo_data

    try:
        demo_data.refuse_database_url(settings.database_url is not None, unsafe)
    except demo_data.DemoRefused as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if settings.database_url is not None:
        err.print(
            "[bold red]WARNING: loading demo logins with a published password, an operator's "
            "among them, into the TECHMARKET_DATABASE_URL database. Never on a real "
            "deployment.[/bold red]"
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load demo data at start (embedded database only)")
    ] = False,
    unsafe_demo: UnsafeDemo = False,
    migrate_on_start: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the schema at start")
    ] = True,
) -> None:
    """Run the HTTP and websocket service."""
    import uvicorn

    from techmarket import logs, server
    from techmarket.app import create_app

    settings = _settings().model_copy(update={"migrate_on_start": migrate_on_start})
    if demo:
        _refuse_demo_on_database_url(settings, unsafe_demo)
    logs.configure(settings.log_level)
    application = create_app(
        settings, demo=demo, demo_on_database_url=unsafe_demo, on_demo_loaded=print_logins
    )
    config = uvicorn.Config(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        # Small JSON messages to thousands of watchers: compressing each for each
        # connection costs more CPU (and a zlib context per socket) than it saves.
        ws_per_message_deflate=False,
        ws=server.Sockets,
    )
    server.run(application, config, settings.shutdown_grace_seconds)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Upgrade the schema (to the newest revision by default)."""
    from techmarket import migrate

    async def run() -> None:
        async with _database(_settings()) as engine:
            await migrate.upgrade(engine, revision)

    asyncio.run(run())
    console.print(f"database upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (``base`` removes everything)."""
    from techmarket import migrate

    async def run() -> None:
        async with _database(_settings()) as engine:
            await migrate.downgrade(engine, revision)

    asyncio.run(run())
    console.print(f"database downgraded to {revision}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision and whether it is the newest."""
    from techmarket import migrate

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
    from techmarket import migrate
    from techmarket.accounts import bootstrap
    from techmarket.db import make_sessionmaker

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


PgBin = Annotated[
    list[Path] | None,
    typer.Option("--pg-bin", help="Folder with pg_dump/pg_restore of the server's version"),
]


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write")],
    with_key: Annotated[
        bool, typer.Option("--with-key", help="Include the ledger's signing key (a secret!)")
    ] = False,
    pg_bin: PgBin = None,
) -> None:
    """Back up the database (embedded or TECHMARKET_DATABASE_URL) to FILE, with pg_dump."""
    from techmarket import backup as backups
    from techmarket.clock import SystemClock

    settings = _settings()
    if with_key:
        err.print(
            f"[bold red]WARNING: {file} will hold the ledger's signing key: whoever has it "
            "can sign checkpoints in this ledger's name. Keep it as you keep the key.[/bold red]"
        )

    async def run(progress: Callable[[int, int], None]) -> backups.Manifest:
        async with (
            _database_and_tools(settings, pg_bin) as (url, engine, bin_dirs),
            backups.exported_snapshot(engine) as (conn, snapshot),
        ):
            return await asyncio.to_thread(
                backups.backup,
                await backups.inspect(conn, url),
                file,
                snapshot=snapshot,
                now=SystemClock().now(),
                key=settings.signing_key_path if with_key else None,
                bin_dirs=bin_dirs,
                progress=progress,
            )

    manifest = _with_progress("backing up", run)
    console.print(
        f"backed up PostgreSQL {manifest.server_version}, {manifest.ledger_size} ledger "
        f"entries{', and the signing key' if with_key else ''} to {file}"
    )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `techmarket backup`")],
    pg_bin: PgBin = None,
) -> None:
    """Restore FILE into the (empty) database, embedded or TECHMARKET_DATABASE_URL; a
    signing key in it goes to TECHMARKET_LEDGER_KEY_PATH."""
    from techmarket import backup as backups

    settings = _settings()

    async def run(progress: Callable[[int, int], None]) -> backups.Manifest:
        async with _database_and_tools(settings, pg_bin) as (url, engine, bin_dirs):
            async with engine.connect() as conn:
                before = await backups.inspect(conn, url)
            manifest = await asyncio.to_thread(
                backups.restore,
                before,
                file,
                key=settings.signing_key_path,
                bin_dirs=bin_dirs,
                progress=progress,
            )
            async with engine.connect() as conn:
                backups.check_restored(manifest, await backups.inspect(conn, url))
            return manifest

    manifest = _with_progress("restoring", run)
    console.print(
        f"restored {manifest.ledger_size} ledger entries, backed up at {manifest.created_at}"
        + (f"; the signing key is at {settings.signing_key_path}" if manifest.with_key else "")
    )


@asynccontextmanager
async def _database_and_tools(
    settings: Settings, pg_bin: list[Path] | None
) -> AsyncIterator[tuple[str, AsyncEngine, list[Path]]]:
    """The database's URL and engine, and where to look for its tools first."""
    from techmarket.db import bundled_bin_dirs, make_engine, resolve_database_url

    url, embedded = await resolve_database_url(settings)
    engine = make_engine(url, pool_size=1)
    try:
        yield url, engine, [*(pg_bin or []), *bundled_bin_dirs()]
    finally:
        await engine.dispose()
        if embedded:
            embedded.stop()


def _with_progress(
    what: str, run: Callable[[Callable[[int, int], None]], Coroutine[Any, Any, T]]
) -> T:
    """Run ``run`` with a progress bar over the tables, and a clear message on failure."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from techmarket.backup import BackupError

    progress = Progress(
        TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn("tables"), console=err
    )
    task = progress.add_task(what, total=None)
    try:
        with progress:
            return asyncio.run(
                run(lambda done, total: progress.update(task, completed=done, total=total))
            )
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@app.command()
def demo(unsafe_demo: UnsafeDemo = False) -> None:
    """Load the demo data into the embedded database (idempotent) and print the demo logins.

    Never into a database with accounts of its own."""
    from techmarket import demo as demo_data
    from techmarket import migrate
    from techmarket.clock import SystemClock
    from techmarket.db import make_sessionmaker

    settings = _settings()
    _refuse_demo_on_database_url(settings, unsafe_demo)

    async def run() -> list[tuple[str, str, str]]:
        async with _database(settings) as engine:
            await migrate.upgrade(engine)
            return await demo_data.load(
                make_sessionmaker(engine),
                SystemClock().now(),
                on_database_url=settings.database_url is not None,
                allow_database_url=unsafe_demo,
            )

    try:
        logins = asyncio.run(run())
    except demo_data.DemoRefused as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    print_logins(logins)


@import_app.command("achievements")
def import_achievements(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX; see `techmarket import template`")],
    org: Annotated[int, typer.Option(help="Importing organisation's id")],
    user: Annotated[
        str | None, typer.Option(help="Member recorded as creator (default: an admin)")
    ] = None,
    partial: Annotated[bool, typer.Option(help="Keep valid rows when some are invalid")] = False,
) -> None:
    """Import a patent inventory as draft achievements, with a per-row report."""
    from rich.progress import Progress

    from techmarket import migrate
    from techmarket.clock import SystemClock
    from techmarket.db import make_sessionmaker
    from techmarket.errors import DomainError
    from techmarket.listings import importer

    content = file.read_bytes()

    async def run(progress: Progress) -> importer.Report:
        task = progress.add_task("validating and importing", total=None)
        async with _database(_settings()) as engine:
            await migrate.upgrade(engine)
            async with make_sessionmaker(engine).begin() as session:
                return await importer.import_achievements(
                    session,
                    await _member(session, org, user),
                    content,
                    SystemClock().now(),
                    partial=partial,
                    progress=lambda n: progress.advance(task, n),
                )

    try:
        with Progress(console=err, transient=True) as progress:
            report = asyncio.run(run(progress))
    except DomainError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        for row in exc.extra.get("report", {}).get("rows", []):
            if row["errors"]:
                err.print(f"  row {row['row']}: {'; '.join(row['errors'])}")
        raise typer.Exit(1) from None
    for row in report.rows:
        if row.errors:
            err.print(f"  row {row.row}: {'; '.join(row.errors)}")
    console.print(f"{report.created} created, {report.failed} invalid, of {report.total} rows")


async def _member(session: Any, org_id: int, email: str | None) -> Any:
    """The member an import acts as: by email, or the organisation's first admin."""
    from techmarket.accounts import repository as repo
    from techmarket.accounts.policy import Principal

    organisation = await repo.get_org(session, org_id)
    if organisation is None:
        err.print(f"[red]no organisation {org_id}[/red]")
        raise typer.Exit(2)
    members = [u for u in await repo.list_users(session, org_id) if u.is_active]
    chosen = [u for u in members if (u.email == email if email else "admin" in u.roles)]
    if not chosen:
        err.print(f"[red]no such active member of organisation {org_id}[/red]")
        raise typer.Exit(2)
    return Principal(user=chosen[0], org=organisation)


@import_app.command("template")
def import_template() -> None:
    """Print the import column layout as a CSV with example rows."""
    from techmarket.listings.importer import sample_csv

    typer.echo(sample_csv(), nl=False)


if __name__ == "__main__":
    app()
