"""The authorisation matrix: every route of the app, read from its route table, asked by
every kind of user and, for a tender's routes, for a tender in every state of its
lifecycle; each answer compared with ``tests/authz/table.py``. A route without an entry
fails the test until it is given its outcomes there.

Beside the status: no 5xx ever; a visitor's redirect goes to sign in; a bid's content
(the sealed markers of test_sealed_routes) shows only to its bidder and, once opened, to
the council's officers and the lot's cleared panel; a refused unsafe request, and one
refused for its input or its moment (400, 409), changes nothing. The audit of reads is
test_sealed_routes' to check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import httpx
from litestar import Litestar

from app.clock import FixedClock
from app.platform import Platform
from tenders.services import bids
from tenders.services.bids import BidView
from tenders.tables import Bid, Tender
from tests.app.test_uploads import multipart
from tests.authz.table import API, TABLE, Route, status_in
from tests.authz.worlds import Actor, State, World, build_worlds, people
from tests.conftest import TABLES
from tests.tenders.test_sealed_routes import (
    IMPLICIT_METHODS,
    MARKER,
    PRICE_SHOWN,
    UPLOAD,
    Session,
    sessions,
)

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
#: Path parameters that name no tender's object.
UNTENDERED = {"user_id", "file_path", "path"}
#: Filled the same for every request.
FIXED = {
    "file_path": None,  # per route, below
    "path": "no-such-document",
}
STATIC_FILES = {
    "/static/{file_path:path}": "init.js",
    "/static/govuk/{file_path:path}": "assets/manifest.json",
}
#: Who, on the council's side, may read a bid's content once the bids are opened.
READERS = {Actor.OFFICER_A, Actor.EVALUATOR, Actor.MODERATOR}


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route in the app's table."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in set(handler.http_methods) - IMPLICIT_METHODS:
                found.add((method, route.path))
    return found


def classification_problems(app: Litestar) -> list[str]:
    entries = [(route.method, route.path) for route in TABLE]
    table, routes = set(entries), app_routes(app)
    problems = [
        f"{m} {p}: a route with no entry in the table; give it its outcomes"
        for m, p in sorted(routes - table)
    ]
    problems += [
        f"{m} {p}: in the table but not in the app; remove or rename it"
        for m, p in sorted(table - routes)
    ]
    problems += [
        f"{m} {p}: in the table twice" for m, p in sorted(table) if entries.count((m, p)) > 1
    ]
    for route in TABLE:
        if missing := [a.value for a in Actor if a not in route.expect]:
            problems.append(f"{route.method} {route.path}: no outcome for {', '.join(missing)}")
    return problems


def of_a_tender(route: Route) -> bool:
    return bool(set(PARAM.findall(route.path)) - UNTENDERED)


async def fingerprint(world: World | None) -> list[Any]:
    """Row counts of every table, and the state's tender and bid as they are."""
    # Table names from our own tables, not from input.
    counts = ", ".join(f'(SELECT COUNT(*) FROM "{t._meta.tablename}")' for t in TABLES)  # noqa: S608
    rows: list[Any] = [await Tender.raw(f"SELECT {counts}")]
    if world is not None:
        rows.append(await Tender.select().where(Tender.id == world.tender.id))
        rows.append(await Bid.select().where(Bid.id == world.bid_id))
    return rows


def fill(route: Route, world: World | None, user_id: str) -> str:
    params = world.params() if world else {}
    for name, other in (route.use or {}).items():
        params[name] = params[other]
    params.update(user_id=user_id, path=FIXED["path"], file_path=STATIC_FILES.get(route.path, ""))
    return PARAM.sub(lambda match: params[match.group(1)], route.path)


async def send(session: Session, route: Route, path: str, body: Any) -> httpx.Response:
    api = path.startswith(API)
    if route.method == "GET":
        return await session.client.get(path)
    if route.upload:
        # A page's upload carries its CSRF token before the file, as the form sends it.
        parts = [] if api else [("_csrf_token", None, session.csrf.encode())]
        content, headers = multipart([*parts, ("file", *UPLOAD)])
        return await session.client.post(path, content=content, headers=headers)
    if api:
        extra = {"json": body} if body is not None else {}
        return await session.client.request(route.method, path, **extra)
    return await session.client.post(path, data={"_csrf_token": session.csrf, **(body or {})})


def where(route: Route, actor: Actor, state: State | None) -> str:
    return f"{route.method} {route.path} x {actor.value}" + (f" x {state.value}" if state else "")


def may_see_content(actor: Actor, state: State | None) -> bool:
    """Rules 2 and 4: the bidder always; the council's readers once opened."""
    opened = state is not None and list(State).index(state) >= list(State).index(State.OPENED)
    return actor is Actor.PROVIDER_A or (opened and actor in READERS)


def refused(actor: Actor, expected: int) -> bool:
    return expected in (401, 403, 404) or (actor is Actor.VISITOR and expected == 303)


class Asker:
    """Asks and records every difference from the table."""

    def __init__(self, users: Mapping[Actor, Any]) -> None:
        self.user_id = str(users[Actor.EVALUATOR].id)
        self.failures: list[str] = []
        self.asked = 0

    async def ask(
        self, route: Route, session: Session, world: World | None, bid: BidView | None
    ) -> None:
        actor, state = session.actor, world.state if world else None
        expected = status_in(route.expect[actor], state)
        path = fill(route, world, self.user_id)
        body = route.body(world, bid) if route.body else None  # type: ignore[arg-type]
        before = await fingerprint(world) if route.method != "GET" else None
        response = await send(session, route, path, body)
        self.asked += 1
        got = response.status_code
        failures = []
        if got >= 500:
            failures.append(f"a server error {got}: {response.text[:200]!r}")
        elif got != expected:
            failures.append(f"got {got}, expected {expected}")
        permitted = 200 <= got < 300
        if any(m in response.content for m in (MARKER, *PRICE_SHOWN)) and not (
            permitted and may_see_content(actor, state)
        ):
            failures.append("the response shows the bid's content")
        if route.shows and permitted and got == expected and route.shows not in response.content:
            failures.append(f"permitted, yet without {route.shows!r}")
        if got == 303 and not route.redirects_anywhere:
            location = response.headers.get("location", "")
            if location.startswith("/sign-in") != (actor is Actor.VISITOR):
                failures.append(f"redirected to {location!r}")
        unchanged = refused(actor, expected) or expected >= 400
        if before is not None and unchanged and await fingerprint(world) != before:
            failures.append("a refused request changed the database")
        self.failures += [f"{where(route, actor, state)}: {failure}" for failure in failures]


def ordered(routes: list[Route], state: State | None) -> list[tuple[Route, Actor]]:
    """Reads and refusals first, so they meet the world as it was built; the permitted
    changes last, in the table's order."""
    pairs = [(route, actor) for route in routes for actor in Actor]

    def changes(pair: tuple[Route, Actor]) -> bool:
        route, actor = pair
        expected = status_in(route.expect[actor], state)
        return route.method != "GET" and not refused(actor, expected)

    return sorted(pairs, key=changes)


async def test_every_route_answers_every_user_in_every_state_as_the_table_says(
    app: Litestar, client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    """``client`` is asked for only to run the app's lifespan."""
    assert not (problems := classification_problems(app)), "\n".join(problems)
    users = await people(platform)
    worlds = await build_worlds(platform, clock, users)
    asker = Asker(users)
    untendered = [r for r in TABLE if not of_a_tender(r) and not r.ends_session]
    tendered = [r for r in TABLE if of_a_tender(r)]
    async with AsyncExitStack() as stack:
        people_now = await sessions(stack, app, users, Actor)
        for route, actor in ordered(untendered, None):
            await asker.ask(route, people_now[actor], None, None)
        for state, world in worlds.items():
            has_bid = await Bid.exists().where(Bid.id == world.bid_id)
            for route, actor in ordered(tendered, state):
                bid = None
                if has_bid and route.body is not None:
                    # Built from the bid as it is now: the bidder's changes follow each other.
                    bid = await bids.own_bid(world.provider, world.bid_id)
                await asker.ask(route, people_now[actor], world, bid)
        for route in [r for r in TABLE if r.ends_session]:
            for actor in Actor:
                await asker.ask(route, people_now[actor], None, None)
    size = (
        f"{len(untendered)} routes x {len(Actor)} actors + "
        f"{len(tendered)} x {len(Actor)} x {len(State)}"
    )
    assert not asker.failures, (
        f"{len(asker.failures)} differences in {asker.asked} requests ({size}):\n"
        + "\n".join(asker.failures)
    )
