"""The ``callfunnel`` command: serving and processing, users and tokens, the inbox, the database,
the reports' rollups, a client's recordings."""

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import select, update

from app import backups
from app.auth import passwords
from app.auth import service as auth_service
from app.auth.models import Role
from app.database import Database, utcnow
from app.errors import AppError
from app.flows.call_events import CallPolicy
from app.inbox.models import InboxItem
from app.inbox.processor import InboxProcessor
from app.metrics import exposition
from app.migrations import upgrade_to_head
from app.operators import service as operators_service
from app.pbx.events import inbox_handler
from app.processing import process_until_stopped
from app.recordings import kept, purge
from app.recordings.cache import file_path
from app.reports import rollups
from app.settings import get_settings
from app.table_sizes import table_sizes
from schemas.operators import skills_from_text
from telephony import registry

cli = typer.Typer(help="callfunnel administration", no_args_is_help=True)
user_cli = typer.Typer(help="users and their API tokens", no_args_is_help=True)
inbox_cli = typer.Typer(help="stored PBX webhooks", no_args_is_help=True)
db_cli = typer.Typer(help="the database", no_args_is_help=True)
reports_cli = typer.Typer(help="the reports' rollups", no_args_is_help=True)
contacts_cli = typer.Typer(help="clients", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
cli.add_typer(inbox_cli, name="inbox")
cli.add_typer(db_cli, name="db")
cli.add_typer(reports_cli, name="reports")
cli.add_typer(contacts_cli, name="contacts")

T = TypeVar("T")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Runs one piece of work against the configured database, migrated first."""
    settings = get_settings()
    upgrade_to_head(settings.database_url)

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None


@user_cli.command("add")
def user_add(
    name: str,
    role: Annotated[Role, typer.Option(help="admin, supervisor or operator")],
    extension: Annotated[str | None, typer.Option(help="the operator's PBX extension, e.g. 101")] = None,
    skills: Annotated[str, typer.Option(help="an operator's skills with levels 0-10, e.g. sales:8,english:5")] = "",
    password_stdin: Annotated[bool, typer.Option(help="read a password to sign in with from standard input")] = False,
) -> None:
    """Creates a user; the last line printed is their bearer token (shown once, stored only as a digest)."""
    try:
        levels = skills_from_text(skills)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--skills") from None
    if levels and role != Role.operator:
        raise typer.BadParameter("only operators have skills", param_hint="--skills")
    password = _password_from_stdin() if password_stdin else None

    async def work(db: Database) -> str:
        password_hash = await passwords.hashed(password) if password is not None else None
        user, token = await db.run(
            lambda s: operators_service.create_user(
                session=s, name=name, role=role, extension=extension, skills=levels, password_hash=password_hash
            )
        )
        typer.echo(f"created {role.value} {name!r} (id {user.id})" + (f", extension {extension}" if extension else ""))
        return token

    typer.echo(_run(work))


@user_cli.command("token")
def user_token(name: str) -> None:
    """Issues a new token for the user; the old one stops working."""

    async def work(db: Database) -> str:
        return await db.run(lambda s: auth_service.reissue_token(session=s, name=name))

    typer.echo(_run(work))


@user_cli.command("revoke")
def user_revoke(name: str) -> None:
    """Revokes the user's token and ends their sign-ins."""

    async def work(db: Database) -> None:
        await db.run(lambda s: auth_service.revoke_token(session=s, name=name, now=utcnow()))

    _run(work)
    typer.echo(f"token of {name!r} revoked")


@user_cli.command("password")
def user_password(name: str) -> None:
    """Sets the user's password, read from standard input; their sign-ins end (the token stays)."""
    password = _password_from_stdin()

    async def work(db: Database) -> None:
        password_hash = await passwords.hashed(password)

        def write(session):
            user = auth_service.get_by_name(session=session, name=name)
            auth_service.set_password(
                session=session, user=user, password_hash=password_hash, must_change=False, now=utcnow()
            )

        await db.run(write)

    _run(work)
    typer.echo(f"password of {name!r} set")


def _password_from_stdin() -> str:
    """One line from standard input; the newline that ends it is not part of the password."""
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


@inbox_cli.command("failed")
def inbox_failed() -> None:
    """Lists stored webhooks that could not be processed, with the reason."""

    async def work(db: Database) -> list[InboxItem]:
        query = select(InboxItem).where(InboxItem.error.is_not(None)).order_by(InboxItem.id)
        return await db.read(lambda s: list(s.execute(query).scalars()))

    for item in _run(work):
        typer.echo(f"{item.id}\t{item.vendor}\t{item.path}\t{item.received_at:%Y-%m-%d %H:%M:%S}\t{item.error}")


@inbox_cli.command("replay")
def inbox_replay(
    item_id: Annotated[list[int] | None, typer.Option("--id", help="only these rows (repeatable)")] = None,
) -> None:
    """Processes failed webhooks again (after a fix), and anything still pending."""

    async def work(db: Database) -> tuple[int, int]:
        query = update(InboxItem).where(InboxItem.error.is_not(None), InboxItem.handled_at.is_(None))
        if item_id:
            query = query.where(InboxItem.id.in_(item_id))
        put_back = await db.run(lambda s: s.execute(query.values(error=None)).rowcount)
        settings = get_settings()
        handler = inbox_handler(CallPolicy.from_settings(settings), registry.vendors(settings))
        return put_back, await InboxProcessor(db, handler).drain()

    put_back, processed = _run(work)
    # (A running server's processor may take some of the rows put back first, as this one would.)
    typer.echo(f"{put_back} failed webhook(s) put back; processed {processed} webhook(s) here")


@reports_cli.command("rebuild")
def reports_rebuild() -> None:
    """Builds the calls report's per-day rollups again from every call: after a TIMEZONE or
    FCR_DAYS change (until then the report reads raw rows, right but slower)."""
    settings = get_settings()

    async def work(db: Database) -> int:
        return await db.run(lambda s: rollups.rebuild(s, timezone=settings.timezone, fcr_days=settings.fcr_days))

    typer.echo(f"rollups rebuilt from {_run(work):,} inbound call(s), days in {settings.timezone}")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Applies every Alembic revision (the server also does this on start)."""
    upgrade_to_head(get_settings().database_url)
    typer.echo("database is at the latest revision")


@db_cli.command("stats")
def db_stats() -> None:
    """Rows and size of every table, the largest first."""

    async def work(db: Database) -> list:
        return await db.read(table_sizes)

    rows = _run(work)
    typer.echo(f"{'table':<28}{'rows':>12}{'size':>12}")
    for table, count, size in rows:
        typer.echo(f"{table:<28}{count:>12,}{_human(size):>12}")


def _human(size: int | None) -> str:
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"


@contacts_cli.command("purge-recordings")
def contacts_purge_recordings(contact_id: int) -> None:
    """For an erasure request: removes the client's calls' cached audio, their marks as examples and
    the review notes pinned to them."""
    directory = Path(get_settings().recording_cache_dir)

    async def work(db: Database) -> tuple[list[int], int, int]:
        return await db.run(lambda s: purge.purge_contact(session=s, contact_id=contact_id))

    files, marks, notes = _run(work)
    for recording_id in files:
        file_path(directory, recording_id).unlink(missing_ok=True)
    typer.echo(
        f"contact {contact_id}: {len(files)} cached recording(s), {marks} example mark(s) "
        f"and {notes} review note(s) removed"
    )


@db_cli.command("backup")
def db_backup(path: Annotated[Path, typer.Argument(help="where the copy goes (replaced if it exists)")]) -> None:
    """One consistent copy of the SQLite database while the server runs (PostgreSQL: pg_dump), and the
    coaching examples' audio beside it (PATH.examples/)."""
    try:
        size = backups.backup(get_settings().database_url, path)
    except backups.NotHere as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up to {path} ({_human(size)})")
    examples = _run(lambda db: db.read(kept.example_recordings))
    folder = kept.folder_beside(path)
    saved = kept.save(examples, cache_dir=Path(get_settings().recording_cache_dir), folder=folder)
    typer.echo(f"{saved} example recording(s) to {folder}")


@db_cli.command("restore")
def db_restore(path: Annotated[Path, typer.Argument(help="a copy made by `callfunnel db backup`")]) -> None:
    """Puts a backup in place of the SQLite database. Stop the server first (PostgreSQL: pg_restore)."""
    try:
        backups.restore(get_settings().database_url, path)
    except backups.NotHere as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    restored = kept.put_back(kept.folder_beside(path), cache_dir=Path(get_settings().recording_cache_dir))
    typer.echo(
        f"restored from {path} with {restored} example recording(s); "
        "start the server (it upgrades an older copy on start)"
    )


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="processes (several need PostgreSQL)", min=1)] = 1,
) -> None:
    """Serves callfunnel (uvicorn) as deployed: proxy headers trusted from FORWARDED_ALLOW_IPS,
    idle connections kept 75 s, a stop (SIGTERM) bounded by SHUTDOWN_SECONDS, websockets without
    per-message compression, and the workers' metrics summed through one multiprocess directory."""
    import uvicorn

    given = os.environ.get(exposition.MULTIPROCESS_DIR)
    directory = exposition.prepare_for_workers() if workers > 1 or given else None
    try:
        uvicorn.run(
            "app.main:app",
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            timeout_keep_alive=75,
            timeout_graceful_shutdown=get_settings().shutdown_seconds,
            # Frames are small JSON; a zlib context per socket cost 74 KB an idle panel, 41 without
            # (10,000 idle panels: 951 MiB, 582 MiB).
            ws_per_message_deflate=False,
        )
    finally:
        if directory is not None and not given:  # (the temporary one this start made)
            shutil.rmtree(directory, ignore_errors=True)


@cli.command("process")
def process(
    poll: Annotated[
        float, typer.Option(help="seconds between looks for webhooks the server stored", min=0.005, max=5)
    ] = 0.05,
) -> None:
    """Processes the webhooks a server started with PROCESSING=separate stores (same database),
    until stopped (SIGTERM, Ctrl-C): the processing on a core of its own."""
    asyncio.run(process_until_stopped(get_settings(), poll_seconds=poll))


@cli.command("simulate")
def simulate(
    token: Annotated[str, typer.Option(envvar="CALLFUNNEL_SIM_TOKEN", help="a supervisor's or admin's API token")],
    vendor: Annotated[str, typer.Option(help="the PBX to play: mango, zadarma or generic")] = "generic",
    url: Annotated[str, typer.Option(help="the running callfunnel")] = "http://127.0.0.1:8000",
    rate: Annotated[float, typer.Option(help="calls a second (Poisson arrivals)", min=0.01)] = 5.0,
    duration: Annotated[float, typer.Option(help="seconds during which callers arrive", min=1)] = 60.0,
    operators: Annotated[int, typer.Option(help="simulated operators (sim-op-1...)", min=1, max=500)] = 10,
    seed: Annotated[int | None, typer.Option(help="repeatable callers and behaviour")] = None,
    patience: Annotated[float, typer.Option(help="mean seconds a caller waits before hanging up")] = 60.0,
    api_port: Annotated[int, typer.Option(help="loopback port of the simulated PBX's own APIs")] = 8090,
    status_every: Annotated[float, typer.Option(help="seconds between status lines")] = 10.0,
    demo_data: Annotated[bool, typer.Option(help="also create a few hundred clients with owners and deals")] = False,
) -> None:
    """Plays a virtual PBX against a running callfunnel in the vendor's real wire format (secrets from
    the same CALLFUNNEL_* settings as the server), then compares callfunnel's reports with what happened."""
    from telephony.simulator.run import VENDORS, Options
    from telephony.simulator.run import simulate as run_simulation

    if vendor not in VENDORS:
        raise typer.BadParameter(f"one of {', '.join(VENDORS)}", param_hint="--vendor")
    settings = get_settings()
    secret = {"generic": settings.generic_secret, "zadarma": settings.zadarma_secret}.get(vendor, "")
    options = Options(
        vendor=vendor,
        url=url.rstrip("/"),
        token=token,
        rate=rate,
        duration=duration,
        operators=operators,
        seed=seed,
        patience=patience,
        secret=secret,
        mango_key=settings.mango_api_key,
        mango_salt=settings.mango_api_salt,
        zadarma_key=settings.zadarma_api_key,
        timezone=settings.timezone,
        api_port=api_port,
        status_every=status_every,
        demo_data=demo_data,
    )
    raise typer.Exit(asyncio.run(run_simulation(options)))


def main() -> None:
    cli()
