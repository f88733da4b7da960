"""Fixtures for the whole suite: a real database built by the migrations (SQLite by
default, PostgreSQL when CARETENDER_DATABASE_URL names one), a clock the tests move, the
app served through httpx, and factories named for what they make."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

# Before anything imports piccolo_conf: the engine is chosen from the environment once.
_TMP = Path(tempfile.mkdtemp(prefix="caretender-tests-"))
os.environ.setdefault("CARETENDER_DATABASE_URL", f"sqlite:///{_TMP / 'test.sqlite'}")
os.environ.setdefault("CARETENDER_VAR_DIR", str(_TMP / "var"))

import httpx  # noqa: E402
import lxml.html  # noqa: E402
import pytest  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from litestar import Litestar  # noqa: E402

from app import accounts, database  # noqa: E402
from app.accounts import CurrentUser  # noqa: E402
from app.application import create_app  # noqa: E402
from app.clock import FixedClock  # noqa: E402
from app.platform import Platform  # noqa: E402
from app.settings import PasswordSettings, Settings, database_settings_from_env  # noqa: E402
from app.tables import (  # noqa: E402
    AuditEvent,
    Organisation,
    OutboxMessage,
    RevokedSession,
    SignInAttempt,
    User,
)
from evaluation.tables import (  # noqa: E402
    AwardDecision,
    AwardReport,
    BidOutcome,
    ConflictDeclaration,
    Consensus,
    Notice,
    PanelMember,
    Score,
    ScoreSheet,
    SignOff,
)
from tenders.tables import (  # noqa: E402
    Answer,
    Bid,
    BidPrice,
    Clarification,
    Evidence,
    Interest,
    Lot,
    PriceItem,
    Question,
    Section,
    Submission,
    Tender,
    TenderDocument,
    TenderRelease,
)

#: Children before parents, so deleting in this order never trips a foreign key.
TABLES = [
    OutboxMessage,
    BidOutcome,
    Notice,
    AwardDecision,
    AwardReport,
    SignOff,
    Consensus,
    ScoreSheet,
    Score,
    ConflictDeclaration,
    PanelMember,
    Submission,
    Evidence,
    BidPrice,
    Answer,
    Bid,
    TenderRelease,
    Clarification,
    Interest,
    TenderDocument,
    PriceItem,
    Question,
    Section,
    Lot,
    Tender,
    AuditEvent,
    SignInAttempt,
    RevokedSession,
    User,
    Organisation,
]
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> AsyncIterator[None]:
    """A fresh database, built by running every migration forwards."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    db = database.engine()
    if database.is_sqlite():
        # Before anything else runs: nothing else is waiting on the loop yet.
        Path(database_settings_from_env().sqlite_path).unlink(missing_ok=True)  # noqa: ASYNC240
    else:
        await db.run_ddl("DROP SCHEMA public CASCADE")
        await db.run_ddl("CREATE SCHEMA public")
    opened = await database.start()
    result = await run_forwards("all")
    assert result.success, result.message
    yield
    await database.stop(opened)


@pytest.fixture(autouse=True)
async def empty_tables() -> None:
    for table in TABLES:
        await table.delete(force=True)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database=database_settings_from_env(),
        secret_key="test-secret-key-not-for-production",
        var_dir=tmp_path / "var",
        files_dir=tmp_path / "files",
        # The cheapest argon2id parameters: tests only.
        passwords=PasswordSettings(time_cost=1, memory_cost=8, parallelism=1),
    )


@pytest.fixture
def platform(settings: Settings, clock: FixedClock) -> Platform:
    return Platform(settings, clock)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Litestar:
    return create_app(settings, clock)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An https client (the cookies are Secure), served in this test's event loop."""
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield http


@pytest.fixture
async def other_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser: its own cookies, the same server."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def csrf_token(client: httpx.AsyncClient, page: str = "/sign-in") -> str:
    response = await client.get(page)
    match = CSRF_FIELD.search(response.text)
    assert match, f"no CSRF field on {page}"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str], *, page: str = "/sign-in"
) -> httpx.Response:
    """Post a form the way a browser does: with the CSRF token from a page."""
    return await client.post(url, data={"_csrf_token": await csrf_token(client, page), **data})


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    response = await post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 303, response.text


async def bearer(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict:
    """Headers for API calls with a fresh bearer token."""
    response = await client.post("/api/v1/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def provider_user(
    platform: Platform,
    email: str = "helen@moorlands-care.example",
    organisation: str = "Moorlands Supported Living CIC",
) -> CurrentUser:
    return await accounts.register_provider(
        platform,
        {
            "organisation_name": organisation,
            "cqc_provider_id": "1-101234567",
            "contact_name": "Helen Mills",
            "email": email,
            "password": PASSWORD,
        },
    )


async def buyer_officer(
    platform: Platform,
    email: str = "priya.shah@staffordshire.example",
    organisation: str = "Staffordshire County Council",
) -> CurrentUser:
    return await accounts.create_buyer(platform, organisation, "Priya Shah", email, PASSWORD)


async def provider_colleague(
    platform: Platform,
    provider: CurrentUser,
    email: str = "sam@moorlands-care.example",
    name: str = "Sam Okafor",
) -> CurrentUser:
    """Another user of the provider's organisation, added by the provider."""
    added = await accounts.add_colleague(
        platform, provider, {"name": name, "email": email, "password": PASSWORD}
    )
    return replace(provider, id=added.id, email=added.email, name=added.name)


async def evaluator(
    platform: Platform, officer: CurrentUser, email: str = "tom.barker@staffordshire.example"
) -> CurrentUser:
    added = await accounts.add_colleague(
        platform,
        officer,
        {"name": "Tom Barker", "email": email, "role": "evaluator", "password": PASSWORD},
    )
    return replace(officer, id=added.id, email=added.email, name=added.name, role=added.role)


async def count_rows() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in TABLES}


# Pages, read through their structure ---------------------------------------------------


def html(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(response.text)


def title(response: httpx.Response) -> str:
    return " ".join(html(response).findtext(".//title", "").split())


def flash(response: httpx.Response) -> str | None:
    """The success banner a post-redirect-get leaves for the next page."""
    banners = html(response).xpath('//*[contains(@class, "govuk-notification-banner")]//p')
    return " ".join(banners[0].text_content().split()) if banners else None


def assert_form_refused(
    response: httpx.Response, field: str, message: str, kept: dict[str, str]
) -> None:
    """A form re-rendered the GOV.UK way: 400, "Error: " in the title, the summary linking
    to the field, the field's own message, and what was typed kept (never a password)."""
    assert response.status_code == 400, response.text
    page = html(response)
    assert title(response).startswith("Error: ")
    summary = {
        link.get("href"): " ".join(link.text_content().split())
        for link in page.xpath('//*[contains(@class, "govuk-error-summary")]//li/a')
    }
    assert summary.get(f"#{field}") == message, summary
    assert page.xpath(f'//*[@id="{field}"]'), f"the summary links to #{field}, which is missing"
    assert message in " ".join(page.get_element_by_id(f"{field}-error").text_content().split())
    for name, value in kept.items():
        if "password" in name:
            assert not page.xpath(f'//input[@name="{name}"]/@value[. != ""]'), name
        elif radios := page.xpath(f'//input[@name="{name}"][@type="radio"]'):
            checked = [radio.get("value") for radio in radios if "checked" in radio.attrib]
            assert checked == [v for v in [value] if v in [r.get("value") for r in radios]], name
        else:
            assert page.xpath(f'//input[@name="{name}"]/@value') == [value], name


#: The OCDS schemas and codelists, beside the project (absent from a fresh clone).
OCDS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "ocds"


@pytest.fixture
def ocds_schema() -> None:
    """Skips the test where ../shared/ocds is absent."""
    if not OCDS_DIR.is_dir():
        pytest.skip("OCDS schemas are in ../shared/ocds, which a fresh clone does not have")
