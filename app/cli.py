"""The ``caretender`` command line: serve, worker, migrate, create-buyer, demo, audit verify."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

import click

from app import accounts, audit, database, demo_data, mail
from app.clock import clock_for
from app.errors import Invalid
from app.platform import Platform
from app.settings import settings_from_env
from app.tables import User
from evaluation import demo as evaluation_demo
from tenders import demo as tender_demo

T = TypeVar("T")


def run_on_platform(work: Callable[[Platform], Awaitable[T]]) -> T:
    """``work`` on the platform the environment configures, with its database open."""
    settings = settings_from_env()
    platform = Platform(settings, clock_for(settings.clock_file))

    async def main() -> T:
        opened = await database.start()
        try:
            return await work(platform)
        finally:
            await database.stop(opened)

    return asyncio.run(main())


async def _migrate(_: Platform | None = None) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards("all")
    if not result.success:
        raise click.ClickException(f"Migrations failed: {result.message}")


@click.group()
def main() -> None:
    """caretender: tenders for the commissioning of care."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    settings_from_env()  # fail early, before workers start, on bad settings
    click.echo(f"caretender is at http://{host}:{port}/")
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
        # Named, not "auto": without them uvicorn would quietly fall back to slower ones.
        http="httptools",
        loop="uvloop",
        # A worker imports the whole app before it can answer uvicorn's health check; on a
        # busy machine that took longer than the default 5 s, and uvicorn killed it.
        timeout_worker_healthcheck=30,
    )


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--interval", default=5.0, show_default=True, type=float, help="Seconds between passes."
)
def worker(once: bool, interval: float) -> None:
    """Deliver the mail outbox until interrupted."""

    async def work(platform: Platform) -> mail.DeliveryReport | None:
        if platform.settings.smtp_url:
            try:
                mail.smtp_server(platform.settings.smtp_url)
            except ValueError as error:
                raise click.ClickException(str(error)) from error
        if once:
            return await mail.deliver_all_due(platform)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        click.echo(f"Delivering mail every {interval:g} seconds; Ctrl-C to stop.")
        await mail.run_worker(platform, stop, interval)
        return None

    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("caretender").setLevel(logging.INFO)
    report = run_on_platform(work)
    if report is not None:
        click.echo(f"Mail: {report.sent} sent, {report.deferred} to retry, {report.failed} failed.")


@main.command()
def migrate() -> None:
    """Bring the database's tables up to date."""
    run_on_platform(_migrate)
    click.echo("Database is up to date.")


@main.command("create-buyer")
@click.option("--organisation", required=True, help="The buyer organisation's name")
@click.option("--name", required=True, help="The first procurement officer's full name")
@click.option("--email", required=True, help="The officer's email address")
@click.password_option(help="The officer's first password (asked for if not given)")
def create_buyer(organisation: str, name: str, email: str, password: str) -> None:
    """Create a buyer organisation and its first procurement officer."""

    async def work(platform: Platform) -> accounts.CurrentUser:
        return await accounts.create_buyer(platform, organisation, name, email, password)

    try:
        officer = run_on_platform(work)
    except Invalid as error:
        for field, message in error.field_errors.items():
            click.echo(f"{field}: {message}", err=True)
        sys.exit(2)
    click.echo(
        f"Created {officer.organisation_name} with officer {officer.name} <{officer.email}>."
    )


async def load_demo(platform: Platform) -> bool:
    """Load the demo organisations unless they are there already."""
    await _migrate()
    officer = demo_data.COUNCIL_OFFICER
    if await User.exists().where(User.email == officer.email):
        return False
    council_officer = await accounts.create_buyer(
        platform, demo_data.COUNCIL, officer.name, officer.email, officer.password
    )
    colleagues = []
    for person in (*demo_data.COUNCIL_EVALUATORS, demo_data.COUNCIL_MODERATING_OFFICER):
        added = await accounts.add_colleague(
            platform,
            council_officer,
            {
                "name": person.name,
                "email": person.email,
                "role": person.role,
                "password": person.password,
            },
        )
        colleagues.append(
            replace(
                council_officer, id=added.id, email=added.email, name=added.name, role=added.role
            )
        )
    await tender_demo.load(platform, council_officer)
    providers = [
        await accounts.register_provider(
            platform,
            {
                "organisation_name": provider.organisation,
                "cqc_provider_id": provider.cqc_provider_id,
                "contact_name": provider.user.name,
                "email": provider.user.email,
                "password": provider.user.password,
            },
        )
        for provider in demo_data.PROVIDERS
    ]
    *evaluators, moderator, moderating_officer = colleagues
    await evaluation_demo.load(platform, council_officer, evaluators, moderator, providers)
    await evaluation_demo.load_moderated(
        platform, council_officer, evaluators, moderating_officer, providers
    )
    return True


@main.command()
def demo() -> None:
    """Migrate, load demo organisations and users, and print how to sign in."""
    loaded = run_on_platform(load_demo)
    click.echo("Demo data loaded." if loaded else "Demo data was already loaded.")
    click.echo("")
    click.echo("Sign in with any of these (email / password):")
    people = [
        (demo_data.COUNCIL, demo_data.COUNCIL_OFFICER),
        (demo_data.COUNCIL, demo_data.COUNCIL_MODERATING_OFFICER),
        *((demo_data.COUNCIL, evaluator) for evaluator in demo_data.COUNCIL_EVALUATORS),
        *((provider.organisation, provider.user) for provider in demo_data.PROVIDERS),
    ]
    for organisation, person in people:
        click.echo(
            f"  {person.role.label:<20} {person.email:<38} {person.password:<24} {organisation}"
        )
    *evaluators, moderator = demo_data.COUNCIL_EVALUATORS
    evaluating = " and ".join(e.name for e in evaluators)
    click.echo("")
    click.echo(
        f"{evaluating} evaluate, and {moderator.name} moderates,"
        f' the bids of "{evaluation_demo.TITLE}" (Evaluations, in the menu).'
    )
    click.echo(
        f'"{evaluation_demo.MODERATED_TITLE}" is scored by {evaluating} and moderated by'
        f" {demo_data.COUNCIL_MODERATING_OFFICER.name}: {demo_data.COUNCIL_OFFICER.name},"
        " who is not on its panel, can approve its award."
    )


@main.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain and its signed checkpoints; exit 1 naming the first bad event."""

    async def work(platform: Platform) -> audit.Verification:
        return await audit.verify(platform)

    result = run_on_platform(work)
    if not result.ok:
        click.echo(f"Audit log is NOT intact: {result.problem}.", err=True)
        if result.first_bad_seq is not None:
            click.echo(f"First bad event: {result.first_bad_seq}", err=True)
        sys.exit(1)
    click.echo(
        f"Audit log intact: {result.events_checked} events chained"
        + (f", {result.unanchored} after the newest checkpoint" if result.unanchored else "")
        + "."
    )
