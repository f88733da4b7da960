"""axe-core (WCAG 2.2 A and AA) over every page of the app, as every role that sees it.

The pages come from the app's own route table: every GET route but the API, the OpenAPI
documents, static files, open data, the health check and file downloads (``NOT_PAGES`` and
``FILE_DOWNLOAD`` say which). ``PAGES`` says where each page is visited, as whom, and, for
a page with a form, how the form is refused (sent empty, or with a wrong value) so that
its error summary and field errors are checked too. A page route the sweep neither visits
nor lists in ``NOT_SWEPT`` with a reason fails ``test_the_sweep_visits_every_page``.

The data is realistic (``sweep_data``): names and titles of 200 characters, a tender of
twelve lots, long answers, and tenders in every state from draft to awarded. Each role
browses in one context of its own; every page's violations are gathered, so one run
reports them all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.response import Template
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app import demo_data
from app.application import create_app
from app.settings import PasswordSettings, Settings, database_settings_from_env
from tests.browser.conftest import ServerClock, assert_accessible
from tests.browser.sweep_data import World, build_world


class Role(StrEnum):
    VISITOR = "visitor"
    PROVIDER = "provider"
    COLLEAGUE = "provider's colleague"
    OFFICER = "council officer"
    EVALUATOR = "evaluator"
    MODERATOR = "moderator"


V, P, C, O, E, M = Role  # noqa: E741 (O is the officer)
EVERYONE = frozenset(Role)
SIGNED_IN = EVERYONE - {V}
PROVIDERS = frozenset({P, C})
COUNCIL = frozenset({O, E, M})
PANEL = frozenset({E, M})

# Which routes are pages -----------------------------------------------------------------

#: Not pages: the JSON API and its OpenAPI documents, static files, open data (JSON), the
#: health check.
NOT_PAGES = ("/api/v1", "/schema", "/static", "/ocds", "/healthz")
#: File downloads: a path ending in a file name (.pdf, .csv, .xlsx, .ics, .zip, .json), or
#: in a stored file's id (evidence, documents, notices, reports, a bid's files by digest),
#: or the decision record (a zip).
FILE_DOWNLOAD = re.compile(
    r"\.(pdf|csv|xlsx|ics|zip|json)$"
    r"|/(evidence|documents|notices|reports|files)/\{\w+:str\}$"
    r"|/decision-record$"
)
#: Page routes the sweep does not visit, and why.
NOT_SWEPT: dict[str, str] = {}
#: Pages whose form the sweep does not refuse, and why.
NOT_REFUSED = {
    "/evaluations/{tender_id:str}/lots/{lot_id:str}/submit": "the form is shown only once "
    "every bid is scored, when it cannot be refused; before, the page lists what is left "
    "to score (visited)",
    "/evaluations/{tender_id:str}/lots/{lot_id:str}/sign-off": "the form is shown only once "
    "every consensus is recorded, when it cannot be refused; before, the page lists what "
    "is left (visited)",
}


def page_routes(app: Litestar) -> set[str]:
    """The path of every GET route that renders a page (see NOT_PAGES, FILE_DOWNLOAD)."""
    found = set()
    for route in app.routes:
        if route.path.startswith(NOT_PAGES) or FILE_DOWNLOAD.search(route.path):
            continue
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods:
                found.add(route.path)
    return found


def form_routes(app: Litestar) -> set[str]:
    """Pages whose form posts back to the page's own path: each is refused in the sweep."""
    posts = {
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if "POST" in handler.http_methods
    }
    return page_routes(app) & posts


# How forms are refused --------------------------------------------------------------------

#: Clear the form: text emptied, choices unchosen.
CLEAR = """(form) => {
    for (const field of form.querySelectorAll("input, textarea, select")) {
        if (["hidden", "submit", "button", "file"].includes(field.type)) continue;
        if (field.type === "checkbox" || field.type === "radio") field.checked = false;
        else field.value = "";
    }
}"""
#: Empty the text (reasons, rationales), keeping the marks chosen.
CLEAR_TEXT = """(form) => {
    for (const field of form.querySelectorAll("textarea, input[type=text]")) field.value = "";
}"""
#: Every long answer over its word limit (750).
TOO_LONG = """(form) => {
    // Different each time: a colleague sending what is saved already changes nothing.
    const words = Array.from({length: 760}, (_, n) => `word${n}-${Date.now()}`).join(" ");
    for (const answer of form.querySelectorAll("textarea")) answer.value = words;
}"""
#: A price in words.
NOT_A_PRICE = """(form) => { form.querySelector("input[type=text]").value = "twelve pounds"; }"""


@dataclass(frozen=True)
class Form:
    """How a page's form is refused: ``spoil`` runs on the form, then its first visible
    button is pressed. ``action`` is the path it posts to, if not the page's own."""

    spoil: str = CLEAR
    action: Callable[[World], str] | None = None
    #: The button pressed, if not the form's first.
    button: str | None = None


@dataclass(frozen=True)
class Visit:
    """A page visited at ``url`` (made from the sweep's data) by each of ``roles``; its
    route in the app's table is ``route``."""

    route: str
    url: Callable[[World], str]
    roles: frozenset[Role]
    form: Form | None = None
    #: Who sees the form (the others see the page without it).
    form_roles: frozenset[Role] | None = None
    #: A page may answer with an error status: results before the sign-off (409), a
    #: search refused (400, with its error summary).
    status: int = 200


def _bid(w: World) -> str:
    return f"/bids/{w.draft_bid}"


def _lot(w: World, tender: str, number: int = 0) -> str:
    t = getattr(w, tender)
    return f"/evaluations/{t.id}/lots/{t.lots[number]}"


T = "/tenders/{tender_id:str}"
EV = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
BID = "/bids/{bid_id:str}"

PAGES: tuple[Visit, ...] = (
    Visit("/", lambda w: "/", EVERYONE),
    Visit("/accessibility", lambda w: "/accessibility", EVERYONE),
    Visit("/register", lambda w: "/register", frozenset({V}), Form()),
    Visit("/sign-in", lambda w: "/sign-in", frozenset({V}), Form()),
    Visit("/account", lambda w: "/account", SIGNED_IN),
    Visit("/account/password", lambda w: "/account/password", SIGNED_IN, Form()),
    Visit("/organisation/users", lambda w: "/organisation/users", PROVIDERS | {O}),
    Visit("/organisation/users/new", lambda w: "/organisation/users/new", PROVIDERS | {O}, Form()),
    Visit(
        "/organisation/users/{user_id:str}",
        lambda w: f"/organisation/users/{w.evaluator.id}",
        frozenset({O}),
        Form(),
    ),
    # Opportunities: the list (every tender, long titles), a tender of twelve lots, one
    # awarded.
    Visit("/opportunities", lambda w: "/opportunities", EVERYONE),
    Visit("/opportunities", lambda w: f"/opportunities?keywords={w.suffix}", EVERYONE),
    Visit(
        "/opportunities",
        lambda w: f"/opportunities?status=closed&order=newest&keywords={w.suffix}",
        EVERYONE,
    ),
    # The filters refused: the page shows its errors.
    Visit("/opportunities", lambda w: "/opportunities?order=sideways", EVERYONE, status=400),
    Visit("/opportunities/{tender_id:str}", lambda w: f"/opportunities/{w.published.id}", EVERYONE),
    Visit("/opportunities/{tender_id:str}", lambda w: f"/opportunities/{w.awarded.id}", EVERYONE),
    Visit("/opportunities/{tender_id:str}", lambda w: f"/opportunities/{w.cancelled.id}", EVERYONE),
    Visit(
        "/opportunities/{tender_id:str}/questions/new",
        lambda w: f"/opportunities/{w.published.id}/questions/new",
        PROVIDERS,
        Form(),
    ),
    Visit("/my-opportunities", lambda w: "/my-opportunities", PROVIDERS),
    # The provider's bids: a draft of twelve lots, one submitted, one awarded, one closed.
    Visit("/bids", lambda w: "/bids", PROVIDERS),
    Visit(BID, _bid, PROVIDERS),
    Visit(BID, lambda w: f"/bids/{w.submitted.bids['provider']}", PROVIDERS),
    Visit(BID, lambda w: f"/bids/{w.closed.bids['provider']}", PROVIDERS),
    Visit(BID, lambda w: f"/bids/{w.awarded.bids['provider']}", PROVIDERS),
    Visit(BID, lambda w: f"/bids/{w.cancelled.bids['provider']}", PROVIDERS),
    Visit(f"{BID}/lots", lambda w: f"{_bid(w)}/lots", PROVIDERS, Form()),
    Visit(
        f"{BID}/lots/{{lot_id:str}}/sections/{{section_id:str}}",
        lambda w: (
            f"{_bid(w)}/lots/{w.published.lots[0]}/sections/{w.published.sections['Quality']}"
        ),
        PROVIDERS,
        Form(TOO_LONG, button="Save and continue"),
    ),
    Visit(
        f"{BID}/lots/{{lot_id:str}}/sections/{{section_id:str}}",
        lambda w: (
            f"{_bid(w)}/lots/{w.published.lots[11]}/sections/{w.published.sections['Outcomes']}"
        ),
        PROVIDERS,
    ),
    Visit(
        f"{BID}/lots/{{lot_id:str}}/prices",
        lambda w: f"{_bid(w)}/lots/{w.published.lots[0]}/prices",
        PROVIDERS,
        Form(NOT_A_PRICE),
    ),
    Visit(
        f"{BID}/lots/{{lot_id:str}}/questions/{{question_id:str}}/evidence",
        lambda w: f"{_bid(w)}/lots/{w.published.lots[0]}/questions/{w.evidence_question}/evidence",
        PROVIDERS,
        Form(),
    ),
    Visit(f"{BID}/check", lambda w: f"{_bid(w)}/check", PROVIDERS),
    Visit(f"{BID}/check", lambda w: f"/bids/{w.submitted.bids['provider']}/check", PROVIDERS),
    Visit(
        f"{BID}/submissions/{{submission_id:str}}",
        lambda w: f"/bids/{w.submitted.bids['provider']}/submissions/{w.submission}",
        PROVIDERS,
    ),
    Visit(
        f"{BID}/withdraw",
        lambda w: f"/bids/{w.submitted.bids['provider']}/withdraw",
        PROVIDERS,
        Form(),
    ),
    Visit(f"{BID}/decision", lambda w: f"/bids/{w.approved.bids['provider']}/decision", PROVIDERS),
    Visit(f"{BID}/decision", lambda w: f"/bids/{w.awarded.bids['provider']}/decision", PROVIDERS),
    # The officer's tenders: a draft of twelve lots, being built.
    Visit("/tenders", lambda w: "/tenders", frozenset({O})),
    Visit("/tenders/new", lambda w: "/tenders/new", frozenset({O}), Form()),
    Visit(T, lambda w: f"/tenders/{w.draft.id}", frozenset({O})),
    Visit(f"{T}/edit", lambda w: f"/tenders/{w.draft.id}/edit", frozenset({O}), Form()),
    Visit(f"{T}/lots/new", lambda w: f"/tenders/{w.draft.id}/lots/new", frozenset({O}), Form()),
    Visit(
        f"{T}/lots/{{lot_id:str}}",
        lambda w: f"/tenders/{w.draft.id}/lots/{w.draft.lots[11]}",
        frozenset({O}),
        Form(),
    ),
    Visit(
        f"{T}/lots/{{lot_id:str}}/prices/new",
        lambda w: f"/tenders/{w.draft.id}/lots/{w.draft.lots[11]}/prices/new",
        frozenset({O}),
        Form(),
    ),
    Visit(
        f"{T}/sections/new", lambda w: f"/tenders/{w.draft.id}/sections/new", frozenset({O}), Form()
    ),
    Visit(
        f"{T}/sections/{{section_id:str}}",
        lambda w: f"/tenders/{w.draft.id}/sections/{w.draft.sections['Quality']}",
        frozenset({O}),
        Form(),
    ),
    Visit(
        f"{T}/questions/new",
        lambda w: f"/tenders/{w.draft.id}/questions/new",
        frozenset({O}),
        Form(),
    ),
    Visit(f"{T}/preview", lambda w: f"/tenders/{w.draft.id}/preview", frozenset({O})),
    Visit(f"{T}/publish", lambda w: f"/tenders/{w.draft.id}/publish", frozenset({O}), Form()),
    # A published tender: its clarifications, addenda, and cancelling.
    Visit(T, lambda w: f"/tenders/{w.published.id}", frozenset({O})),
    Visit(
        f"{T}/clarifications", lambda w: f"/tenders/{w.published.id}/clarifications", frozenset({O})
    ),
    Visit(
        f"{T}/clarifications/new",
        lambda w: f"/tenders/{w.published.id}/clarifications/new",
        frozenset({O}),
        Form(),
    ),
    Visit(
        f"{T}/clarifications/{{clarification_id:str}}/answer",
        lambda w: f"/tenders/{w.published.id}/clarifications/{w.clarification}/answer",
        frozenset({O}),
        Form(),
    ),
    Visit(f"{T}/extend", lambda w: f"/tenders/{w.published.id}/extend", frozenset({O}), Form()),
    Visit(
        f"{T}/documents/new",
        lambda w: f"/tenders/{w.published.id}/documents/new",
        frozenset({O}),
        Form(),
    ),
    Visit(f"{T}/cancel", lambda w: f"/tenders/{w.published.id}/cancel", frozenset({O}), Form()),
    # Closed, opened, evaluated.
    Visit(T, lambda w: f"/tenders/{w.closed.id}", frozenset({O})),
    Visit(T, lambda w: f"/tenders/{w.scoring.id}", frozenset({O})),
    Visit(T, lambda w: f"/tenders/{w.awarded.id}", frozenset({O})),
    Visit(T, lambda w: f"/tenders/{w.cancelled.id}", frozenset({O})),
    Visit(f"{T}/bids", lambda w: f"/tenders/{w.scoring.id}/bids", frozenset({O})),
    Visit(
        f"{T}/bids/{{bid_id:str}}",
        lambda w: f"/tenders/{w.scoring.id}/bids/{w.scoring.bids['provider']}",
        frozenset({O}),
    ),
    Visit(f"{T}/panels", lambda w: f"/tenders/{w.scoring.id}/panels", frozenset({O})),
    Visit(
        f"{T}/lots/{{lot_id:str}}/panel",
        lambda w: f"/tenders/{w.scoring.id}/lots/{w.scoring.lots[2]}/panel",
        frozenset({O}),
        Form(),
    ),
    Visit(f"{T}/conflicts", lambda w: f"/tenders/{w.scoring.id}/conflicts", frozenset({O})),
    Visit(f"{T}/award", lambda w: f"/tenders/{w.scoring.id}/award", frozenset({O})),
    Visit(
        f"{T}/award",
        lambda w: f"/tenders/{w.moderated.id}/award",
        frozenset({O}),
        Form(action=lambda w: f"/tenders/{w.moderated.id}/award/approve"),
    ),
    Visit(f"{T}/award", lambda w: f"/tenders/{w.approved.id}/award", frozenset({O})),
    Visit(f"{T}/award", lambda w: f"/tenders/{w.awarded.id}/award", frozenset({O})),
    # The panel's pages: lot 1 of the tender being scored waits for the consensus, lot 2
    # is being scored, lot 3 waits for the declarations.
    Visit("/evaluations", lambda w: "/evaluations", COUNCIL),
    Visit(EV, lambda w: _lot(w, "scoring", 0), PANEL),
    Visit(EV, lambda w: _lot(w, "scoring", 1), PANEL),
    Visit(EV, lambda w: _lot(w, "awarded", 0), PANEL),
    Visit(f"{EV}/conflicts", lambda w: f"{_lot(w, 'scoring', 2)}/conflicts", PANEL, Form()),
    Visit(
        f"{EV}/bids/{{bid_id:str}}",
        lambda w: f"{_lot(w, 'scoring', 1)}/bids/{w.scoring.bids['provider']}",
        frozenset({E}),
        Form(CLEAR_TEXT),
    ),
    Visit(
        f"{EV}/bids/{{bid_id:str}}",
        lambda w: f"{_lot(w, 'scoring', 0)}/bids/{w.scoring.bids['rival']}",
        frozenset({E}),
    ),
    Visit(f"{EV}/submit", lambda w: f"{_lot(w, 'scoring', 1)}/submit", frozenset({E})),
    Visit(f"{EV}/moderation", lambda w: f"{_lot(w, 'scoring', 0)}/moderation", frozenset({M, O})),
    Visit(f"{EV}/moderation", lambda w: f"{_lot(w, 'awarded', 0)}/moderation", frozenset({M, O})),
    Visit(
        f"{EV}/moderation/bids/{{bid_id:str}}",
        lambda w: f"{_lot(w, 'scoring', 0)}/moderation/bids/{w.scoring.bids['provider']}",
        frozenset({M}),
        Form(CLEAR_TEXT),
    ),
    Visit(f"{EV}/sign-off", lambda w: f"{_lot(w, 'scoring', 0)}/sign-off", frozenset({M})),
    Visit(f"{EV}/results", lambda w: f"{_lot(w, 'scoring', 0)}/results", COUNCIL, status=409),
    Visit(f"{EV}/results", lambda w: f"{_lot(w, 'awarded', 0)}/results", COUNCIL),
    Visit(f"{EV}/matrix", lambda w: f"{_lot(w, 'awarded', 0)}/matrix", COUNCIL),
)


# The sweep ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(server: str, server_var_dir: Path, browser: Browser) -> World:
    started = time.monotonic()
    made = build_world(server, ServerClock(server_var_dir / "clock"), browser)
    print(f"\nsweep data made in {time.monotonic() - started:.1f} s")
    return made


CREDENTIALS: dict[Role, Callable[[World], tuple[str, str]]] = {
    P: lambda w: (w.provider.email, w.provider.password),
    C: lambda w: (w.colleague.email, w.colleague.password),
    O: lambda w: (demo_data.COUNCIL_OFFICER.email, demo_data.COUNCIL_OFFICER.password),
    E: lambda w: (w.evaluator.email, w.evaluator.password),
    M: lambda w: (w.moderator.email, w.moderator.password),
}


def signed_in(context: BrowserContext, role: Role, world: World) -> Page:
    page = context.new_page()
    if role is V:
        return page
    email, password = CREDENTIALS[role](world)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    return page


def _axe(page: Page, where: str, found: list[str]) -> None:
    try:
        assert_accessible(page)
    except AssertionError as violations:
        found.append(f"{where}: {violations}")


def refuse(page: Page, visit: Visit, world: World, found: list[str]) -> None:
    """Send the page's form spoiled; the page must come back with its errors shown."""
    assert visit.form is not None
    action = visit.form.action(world) if visit.form.action else visit.url(world).split("?")[0]
    form = page.locator(f'form[action="{action}"]')
    if form.count() != 1:
        found.append(f"{visit.url(world)}: no form posting to {action}")
        return
    form.evaluate(visit.form.spoil)
    buttons = form.locator("button[type=submit]:visible")
    if visit.form.button:
        buttons = buttons.filter(has_text=visit.form.button)
    buttons.first.click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    if not summary.count() or not page.title().startswith("Error: "):
        found.append(f"{visit.url(world)}: refused form shows no error summary ({page.url})")
        return
    _axe(page, f"{visit.url(world)} with its errors shown", found)


#: Every role with JavaScript; the provider without it too: the bid's pages, errors
#: included, must work and pass without it. (The visitor's pages without JavaScript are
#: in test_journeys.)
BROWSERS = [(role, True) for role in Role] + [(P, False)]


@pytest.mark.parametrize(
    ("role", "javascript"),
    BROWSERS,
    ids=[f"{role.name.lower()}{'' if js else '-without-javascript'}" for role, js in BROWSERS],
)
def test_every_page_is_accessible(
    role: Role, javascript: bool, world: World, new_context: Callable[..., BrowserContext]
) -> None:
    started = time.monotonic()
    page = signed_in(new_context(java_script_enabled=javascript), role, world)
    found: list[str] = []
    runs = visits = 0
    for visit in PAGES:
        if role not in visit.roles:
            continue
        url = visit.url(world)
        response = page.goto(url)
        visits += 1
        status = response.status if response else None
        if status != visit.status:
            found.append(f"{url}: {status} for the {role}")
            continue
        if visit.status == 400 and not page.locator(".govuk-error-summary").count():
            found.append(f"{url}: refused, but shows no error summary")
        _axe(page, url, found)
        runs += 1
        if visit.form and role in (visit.form_roles or visit.roles):
            refuse(page, visit, world, found)
            runs += 1
    browsing = "" if javascript else " without JavaScript"
    took = time.monotonic() - started
    print(f"\n{role}{browsing}: {visits} pages, {runs} axe runs in {took:.1f} s")
    assert not found, f"{len(found)} problem(s) as the {role}:\n" + "\n".join(found)


# What the sweep covers ------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Litestar:
    """The app's route table (the app is not served)."""
    tmp = tmp_path
    return create_app(
        Settings(
            database=database_settings_from_env(),
            secret_key="route-table-only-not-served",
            var_dir=tmp / "var",
            files_dir=tmp / "files",
            passwords=PasswordSettings(time_cost=1, memory_cost=8, parallelism=1),
        )
    )


def coverage_problems(app: Litestar) -> list[str]:
    pages = page_routes(app)
    visited = {visit.route for visit in PAGES}
    refused = {visit.route for visit in PAGES if visit.form}
    problems = [
        f"GET {path}: a page the sweep does not visit; add it to PAGES (or NOT_SWEPT, why)"
        for path in sorted(pages - visited - NOT_SWEPT.keys())
    ]
    problems += [
        f"GET {path}: in PAGES or NOT_SWEPT but not a page of the app"
        for path in sorted((visited | NOT_SWEPT.keys()) - pages)
    ]
    forms = form_routes(app)
    problems += [
        f"POST {path}: the page's form is never refused in the sweep; give its visit a Form"
        for path in sorted(forms - refused - NOT_SWEPT.keys() - NOT_REFUSED.keys())
    ]
    problems += [
        f"POST {path}: in NOT_REFUSED but not a page's form, or refused after all"
        for path in sorted(NOT_REFUSED.keys() - (forms - refused))
    ]
    return problems


def test_the_sweep_visits_every_page(app: Litestar) -> None:
    assert not coverage_problems(app)


def test_a_page_the_sweep_misses_is_reported(app: Litestar) -> None:
    """The check above can fail: a page route added to the app is caught."""

    @get("/new-page-nobody-sweeps")
    async def unswept() -> Template:  # pragma: no cover (never served)
        return Template("home.html")

    app.register(unswept)
    assert coverage_problems(app) == [
        "GET /new-page-nobody-sweeps: a page the sweep does not visit; add it to PAGES "
        "(or NOT_SWEPT, why)"
    ]
