"""The soak run's simulated people (``tests.bench.soak``): each journey a person's visit,
over HTTP against the served platform, through the pages (with their CSRF tokens, cookies
kept as a browser keeps them) or the JSON API (with a bearer token).

Every request is timed and recorded under its route template (``GET /bids/{id}/check``).
An answer outside 2xx and 3xx that the journey did not expect, a form post that is not
answered with a redirect, a transport error or a timeout is a failure: recorded with what
was asked and answered, and the journey stops there (what follows would fail with it).

The work flows like the platform's: evaluators' score sheets, once both of a lot's are
submitted, put the lot on the moderator's list; the moderator's sign-off puts the tender
on the officer's; the officer's notices put each bidder's decision on its provider's.
"""

from __future__ import annotations

import random
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, NoReturn
from urllib.parse import urlencode

import httpx
import lxml.html

from tests.bench.upload import pdf_chunks

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID = re.compile(UUID)
_SHA256 = re.compile(r"\b[0-9a-f]{64}\b")
#: Evidence files: a few hundred KB each, as scanned policies are.
EVIDENCE_BYTES = (150_000, 450_000)
ANSWER = (
    "Each person has a named key worker who agrees a support plan with them and their family "
    "before support starts, and we review it every six weeks. Staff complete safeguarding, "
    "medication and positive behaviour support training before working alone, and our "
    "on-call manager is there day and night. We recruit locally and cover absence from a "
    "bank of staff who already know the people we support."
)
REASON = "The answer names who does what and when, with examples; reviews are described."


def route_of(method: str, path: str) -> str:
    """The route template a request is counted under: ids and digests made placeholders."""
    path = path.split("?", 1)[0]
    return f"{method} {_SHA256.sub('{sha256}', _UUID.sub('{id}', path))}"


# -- what is recorded ---------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    journey: str
    method: str
    path: str
    status: int | None
    detail: str
    #: Seconds since the load began.
    at: float


@dataclass
class Recorder:
    """Latencies by route, in ms, and every failure."""

    began: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[Failure] = field(default_factory=list)
    #: By kind: [started, done, failed].
    journeys: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def fail(self, journey: str, method: str, path: str, status: int | None, detail: str) -> None:
        self.failures.append(
            Failure(journey, method, path, status, detail, time.monotonic() - self.began)
        )

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())


class JourneyFailed(Exception):
    """A request failed: the failure is recorded; the journey goes no further."""


# -- a browser ----------------------------------------------------------------------------


@dataclass
class Form:
    """A form as a browser would send it: its fields as the page left them."""

    action: str
    fields: list[tuple[str, str]]
    #: Radio groups: name -> the values offered.
    radios: dict[str, list[str]]
    checkboxes: dict[str, list[str]]
    textareas: list[str]
    #: Submit buttons with a name: name -> their values.
    buttons: dict[str, list[str]]

    def with_(self, changes: dict[str, str | list[str]]) -> list[tuple[str, str]]:
        """The fields with ``changes`` (a list of values for a field sent many times)."""
        kept = [(name, value) for name, value in self.fields if name not in changes]
        for name, value in changes.items():
            kept.extend((name, one) for one in ([value] if isinstance(value, str) else value))
        return kept


def forms(response: httpx.Response) -> dict[str, Form]:
    """The page's forms that post, by action."""
    found = {}
    for form in lxml.html.fromstring(response.text).xpath('//form[@method="post"]'):
        fields: list[tuple[str, str]] = []
        radios: dict[str, list[str]] = defaultdict(list)
        checkboxes: dict[str, list[str]] = defaultdict(list)
        textareas: list[str] = []
        buttons: dict[str, list[str]] = defaultdict(list)
        for element in form.xpath(".//input | .//textarea | .//button | .//select"):
            name, kind = element.get("name"), element.get("type", "text")
            if not name:
                continue
            if element.tag == "button" or kind == "submit":
                buttons[name].append(element.get("value", ""))
            elif element.tag == "textarea":
                textareas.append(name)
                fields.append((name, element.text or ""))
            elif element.tag == "select":
                chosen = element.xpath(".//option[@selected]/@value") or element.xpath(
                    ".//option/@value"
                )
                fields.append((name, chosen[0] if chosen else ""))
            elif kind in ("radio", "checkbox"):
                (radios if kind == "radio" else checkboxes)[name].append(element.get("value"))
                if "checked" in element.attrib:
                    fields.append((name, element.get("value")))
            elif kind != "file":
                fields.append((name, element.get("value", "")))
        found[form.get("action")] = Form(
            form.get("action"), fields, dict(radios), dict(checkboxes), textareas, dict(buttons)
        )
    return found


def links(response: httpx.Response, pattern: str) -> list[str]:
    """The page's links whose href matches ``pattern`` (anchored), in order, once each."""
    matcher = re.compile(pattern + r"\Z")
    seen: dict[str, None] = {}
    for href in lxml.html.fromstring(response.text).xpath("//a/@href"):
        if matcher.match(href):
            seen.setdefault(href)
    return list(seen)


class Browser:
    """One person's visit, on ``http``: cookies of their own, kept here, as httpx sends no
    ``Secure`` cookie over plain HTTP (a browser does, to 127.0.0.1)."""

    def __init__(self, http: httpx.AsyncClient, recorder: Recorder, journey: str) -> None:
        self.http = http
        self.recorder = recorder
        self.journey = journey
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    async def request(
        self, method: str, path: str, *, expect: Iterable[int] = (), **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        route = route_of(method, path)
        began = time.perf_counter()
        try:
            response = await self.http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            self.recorder.fail(self.journey, method, path, None, repr(error))
            raise JourneyFailed from error
        self.recorder.latencies[route].append((time.perf_counter() - began) * 1000)
        for raw in response.headers.get_list("set-cookie"):
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if not 200 <= response.status_code < 400 and response.status_code not in set(expect):
            self.recorder.fail(
                self.journey, method, path, response.status_code, response.text[:300]
            )
            raise JourneyFailed
        return response

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    def wrong(self, method: str, path: str, response: httpx.Response, detail: str) -> NoReturn:
        """A 2xx or 3xx that is not what the journey needed: a failure all the same."""
        self.recorder.fail(
            self.journey,
            method,
            path,
            response.status_code,
            f"{detail}: {response.headers.get('location') or response.text[:300]}",
        )
        raise JourneyFailed

    async def post_form(
        self, path: str, data: Sequence[tuple[str, str]], *, to: str | None = None, **kwargs: Any
    ) -> str:
        """Post a form as a browser does; it must redirect (post-redirect-get), to a path
        matching ``to`` if given: where it redirects to."""
        if "files" in kwargs:
            response = await self.request("POST", path, data=dict(data), **kwargs)
        else:
            response = await self.request(
                "POST",
                path,
                content=urlencode(data),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                **kwargs,
            )
        location = response.headers.get("location", "")
        if response.status_code != 303 or (to and not re.match(to + r"(#.*)?\Z", location)):
            self.wrong("POST", path, response, f"not redirected to {to or 'a page'}")
        return location

    async def press(self, page: str, action: str, *, to: str | None = None) -> str:
        """Open ``page`` and post its form to ``action`` as it stands (a button with
        nothing to fill in); it must redirect, to ``to`` if given: where it redirects to."""
        response = await self.get(page)
        form = forms(response).get(action)
        if form is None:
            self.wrong("GET", page, response, f"no form posting to {action}")
        return await self.post_form(action, form.fields, to=to)

    async def sign_in(self, email: str, password: str) -> None:
        page = await self.get("/sign-in")
        form = forms(page)["/sign-in"]
        await self.post_form(
            "/sign-in", form.with_({"email": email, "password": password}), to="/.*"
        )

    async def api_sign_in(self, email: str, password: str) -> None:
        response = await self.request(
            "POST", "/api/v1/tokens", json={"email": email, "password": password}
        )
        self.headers["Authorization"] = f"Bearer {response.json()['token']}"


def evidence_pdf(rng: random.Random, tag: int) -> bytes:
    """A PDF of a few hundred KB, unlike any other (the store keeps one copy of a file)."""
    return b"".join(pdf_chunks(rng.randrange(*EVIDENCE_BYTES), tag))


def price(rng: random.Random, reference_pence: int | None) -> int:
    """A unit price in pence about the reference."""
    return round((reference_pence or 2000) * rng.uniform(0.85, 1.15))


# -- the work to do -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str
    password: str


@dataclass(frozen=True)
class EvaluationLot:
    """A tender of one lot, opened, its panel seated and cleared: two evaluators and a
    moderator; its bids by provider email."""

    tender_id: str
    lot_id: str
    bids: dict[str, str]


@dataclass
class Work:
    """What there is to do, filled by the seed and by the journeys as they go."""

    visitor_tenders: list[str]
    evaluators: tuple[Person, Person]
    moderator: Person
    officer: Person
    providers: dict[str, Person]
    #: (provider, published tender) pairs with no bid yet.
    bids: deque[tuple[Person, str]]
    #: (lot, evaluator) score sheets to fill and submit; a lot's two sheets in a row.
    sheets: deque[tuple[EvaluationLot, Person]]
    moderation: deque[EvaluationLot] = field(default_factory=deque)
    awards: deque[EvaluationLot] = field(default_factory=deque)
    #: (provider, bid) with notices issued.
    decisions: deque[tuple[Person, str]] = field(default_factory=deque)
    #: Sheets submitted, by lot: both in, the lot goes to moderation.
    _submitted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    evidence_tag: int = 0

    def sheet_submitted(self, lot: EvaluationLot) -> None:
        self._submitted[lot.lot_id] += 1
        if self._submitted[lot.lot_id] == len(self.evaluators):
            self.moderation.append(lot)


Journey = Callable[[Browser, random.Random, Work], Awaitable[None]]


# -- visitors -----------------------------------------------------------------------------

FILTERS = (
    "?status=open",
    "?service_type=supported_living&service_type=home_care",
    "?district=North&band=complex",
    "?keywords=care&order=newest",
    "?status=closed",
    "?page=2",
)


async def visitor(browser: Browser, rng: random.Random, work: Work) -> None:
    """Someone browsing opportunities: the list, a filter, a tender and its deadline."""
    listing = await browser.get("/opportunities")
    await browser.get("/opportunities" + rng.choice(FILTERS))
    shown = links(listing, f"/opportunities/{UUID}") or work.visitor_tenders
    tender = rng.choice(shown)
    await browser.get(tender)
    await browser.get(f"{tender}/deadline.ics")
    roll = rng.random()
    if roll < 0.3:
        await browser.get("/api/v1/opportunities?page=1")
        await browser.get(f"/api/v1/tenders/{tender.rsplit('/', 1)[1]}")
    elif roll < 0.4:
        await browser.get(f"/ocds/tenders/{tender.rsplit('/', 1)[1]}/releases.json")
    elif roll < 0.45:
        await browser.get("/ocds/release-package.json")


async def account(browser: Browser, rng: random.Random, work: Work) -> None:
    """A provider signs in, looks at their account and bids, and signs out."""
    person = rng.choice(list(work.providers.values()))
    await browser.sign_in(person.email, person.password)
    page = await browser.get("/account")
    await browser.get("/bids")
    await browser.get("/my-opportunities")
    await browser.post_form("/sign-out", forms(page)["/sign-out"].fields, to="/.*")


# -- providers ----------------------------------------------------------------------------


async def bid_through_pages(browser: Browser, rng: random.Random, work: Work) -> None:
    """A provider drafts a bid through the pages: lots, answers, a file of evidence,
    prices, the check page, submission, the receipt and its PDF."""
    person, tender_id = work.bids.popleft()
    await browser.sign_in(person.email, person.password)
    tender_page = f"/opportunities/{tender_id}"
    page = await browser.get(tender_page)
    bid = await browser.post_form(
        f"{tender_page}/bid", forms(page)[f"{tender_page}/bid"].fields, to=f"/bids/{UUID}"
    )
    await browser.get(bid)
    page = await browser.get(f"{bid}/lots")
    form = forms(page)[f"{bid}/lots"]
    offered = form.checkboxes["lots"]
    chosen = rng.sample(offered, min(len(offered), rng.choice((1, 1, 2))))
    await browser.post_form(f"{bid}/lots", form.with_({"lots": chosen}), to=bid)
    overview = await browser.get(bid)
    sections = links(overview, f"{bid}/lots/{UUID}/sections/{UUID}")
    prices = links(overview, f"{bid}/lots/{UUID}/prices")
    for number, section in enumerate(sections):
        page = await browser.get(section)
        form = forms(page)[section]
        changes: dict[str, str | list[str]] = {
            name: ANSWER for name in form.textareas if name.startswith("answer-")
        }
        changes |= {name: "yes" for name in form.radios if name.startswith("declaration-")}
        files = [value for value in form.buttons.get("action", []) if value.startswith("files:")]
        if number == 0 and files:
            # "Save and add files": saves the answers, then the question's files page.
            evidence = await browser.post_form(
                section,
                form.with_({**changes, "action": rng.choice(files)}),
                to=f"{bid}/lots/{UUID}/questions/{UUID}/evidence",
            )
            page = await browser.get(evidence)
            token = forms(page)[evidence].with_({})
            work.evidence_tag += 1
            await browser.post_form(
                evidence,
                [pair for pair in token if pair[0] == "_csrf_token"],
                files={
                    "file": (
                        "Safeguarding policy.pdf",
                        evidence_pdf(rng, work.evidence_tag),
                        "application/pdf",
                    )
                },
                to=evidence,
            )
            await browser.get(evidence)
        else:
            await browser.post_form(section, form.with_({**changes, "action": "continue"}))
    for path in prices:
        page = await browser.get(path)
        form = forms(page)[path]
        amounts = {
            name: f"£{price(rng, None) / 100:.2f}"
            for name, _ in form.fields
            if name.startswith("price-")
        }
        await browser.post_form(path, form.with_({**amounts, "action": "continue"}))
    receipt = await browser.press(f"{bid}/check", f"{bid}/submit", to=f"{bid}/submissions/{UUID}")
    await browser.get(receipt)
    await browser.get(f"{receipt}/receipt.pdf")


async def bid_through_the_api(browser: Browser, rng: random.Random, work: Work) -> None:
    """A provider's script bids through the API: a token, the tender, the bid's lots,
    answers and prices, a file, the problems (none), the submission and its receipt."""
    person, tender_id = work.bids.popleft()
    await browser.api_sign_in(person.email, person.password)
    tender = (await browser.get(f"/api/v1/tenders/{tender_id}")).json()
    bid = (await browser.request("POST", f"/api/v1/tenders/{tender_id}/bid")).json()
    base = f"/api/v1/bids/{bid['id']}"
    lots = rng.sample(tender["lots"], min(len(tender["lots"]), rng.choice((1, 1, 2))))
    await browser.request(
        "PUT",
        f"{base}/lots",
        json={"lot_ids": [lot["id"] for lot in lots], "version": bid["version"]},
    )
    questions = [question for section in tender["sections"] for question in section["questions"]]
    for number, lot in enumerate(lots):
        for question in questions:
            if question["lot_id"] not in (None, lot["id"]):
                continue
            gate = question["kind"] == "pass_fail"
            await browser.request(
                "PUT",
                f"{base}/lots/{lot['id']}/answers/{question['id']}",
                json={"text": "" if gate else ANSWER, "declaration": "yes" if gate else None},
            )
        for item in lot["price_items"]:
            await browser.request(
                "PUT",
                f"{base}/lots/{lot['id']}/prices/{item['id']}",
                json={"unit_price_pence": price(rng, item["reference_price_pence"])},
            )
        scored = [q for q in questions if q["kind"] != "pass_fail" and q["lot_id"] is None]
        if number == 0 and scored:
            work.evidence_tag += 1
            await browser.request(
                "POST",
                f"{base}/lots/{lot['id']}/questions/{rng.choice(scored)['id']}/evidence",
                files={
                    "file": (
                        "Staffing plan.pdf",
                        evidence_pdf(rng, work.evidence_tag),
                        "application/pdf",
                    )
                },
            )
    path = base
    checked = await browser.get(path)
    if checked.json()["problems"]:
        browser.wrong("GET", path, checked, "problems left")
    receipt = (await browser.request("POST", f"{base}/submissions", json={})).json()
    await browser.get(f"{base}/submissions/{receipt['id']}")
    await browser.get(f"{base}/submissions/{receipt['id']}/receipt.pdf")
    await browser.get("/api/v1/bids")


async def decision(browser: Browser, rng: random.Random, work: Work) -> None:
    """A bidder reads the decision on its bid and downloads a notice."""
    person, bid_id = work.decisions.popleft()
    await browser.sign_in(person.email, person.password)
    await browser.get("/bids")
    page = await browser.get(f"/bids/{bid_id}/decision")
    notices = links(page, f"/bids/{bid_id}/notices/{UUID}")
    if not notices:
        browser.wrong("GET", f"/bids/{bid_id}/decision", page, "no notice to read")
    await browser.get(rng.choice(notices))


# -- the council ----------------------------------------------------------------------------


def marks(form: Form, rng: random.Random) -> dict[str, str | list[str]]:
    """A mark and a reason for every question of a scoring or consensus form: gates
    passed, scores of 2 to 5 (none excluded), outcome tests as they come."""
    given: dict[str, str | list[str]] = {}
    for name, values in form.radios.items():
        if not name.startswith("mark-"):
            continue
        if "pass" in values:
            given[name] = "pass"
        elif "5" in values:
            given[name] = rng.choice(["2", "3", "4", "5"])
        else:
            given[name] = rng.choice(values)
    given |= {name: REASON for name in form.textareas if name.startswith("rationale-")}
    return given


async def evaluate(browser: Browser, rng: random.Random, work: Work) -> None:
    """An evaluator scores every bid of a lot, then submits the sheet."""
    lot, evaluator = work.sheets.popleft()
    await browser.sign_in(evaluator.email, evaluator.password)
    await browser.get("/evaluations")
    base = f"/evaluations/{lot.tender_id}/lots/{lot.lot_id}"
    page = await browser.get(base)
    bids = links(page, f"{base}/bids/{UUID}")
    if not bids:
        browser.wrong("GET", base, page, "no bids to score")
    for path in bids:
        page = await browser.get(path)
        form = forms(page)[path]
        await browser.post_form(path, form.with_({**marks(form, rng), "action": "next"}))
    await browser.press(f"{base}/submit", f"{base}/submit")
    await browser.get(base)
    work.sheet_submitted(lot)


async def moderate(browser: Browser, rng: random.Random, work: Work) -> None:
    """The moderator records the consensus for every bid of a lot and signs it off."""
    lot = work.moderation.popleft()
    await browser.sign_in(work.moderator.email, work.moderator.password)
    base = f"/evaluations/{lot.tender_id}/lots/{lot.lot_id}"
    page = await browser.get(f"{base}/moderation")
    bids = links(page, f"{base}/moderation/bids/{UUID}")
    if not bids:
        browser.wrong("GET", f"{base}/moderation", page, "no bids to moderate")
    for path in bids:
        page = await browser.get(path)
        form = forms(page)[path]
        await browser.post_form(path, form.with_(marks(form, rng)))
    await browser.press(f"{base}/sign-off", f"{base}/sign-off")
    await browser.get(f"{base}/results")
    work.awards.append(lot)


async def award(browser: Browser, rng: random.Random, work: Work) -> None:
    """The officer produces the award report, reads it, approves the award, issues the
    notices, reads one and downloads the decision record."""
    lot = work.awards.popleft()
    await browser.sign_in(work.officer.email, work.officer.password)
    base = f"/tenders/{lot.tender_id}/award"
    await browser.press(base, f"{base}/reports")
    page = await browser.get(base)
    reports = links(page, f"{base}/reports/{UUID}\\.pdf")
    if not reports:
        browser.wrong("GET", base, page, "no award report")
    await browser.get(reports[0])
    approve = forms(page)[f"{base}/approve"]
    await browser.post_form(
        f"{base}/approve",
        approve.with_({"reasons": "The recommendation follows the moderated scores."}),
    )
    await browser.press(base, f"{base}/notices")
    page = await browser.get(base)
    notices = links(page, f"{base}/notices/{UUID}")
    if not notices:
        browser.wrong("GET", base, page, "no notices issued")
    await browser.get(rng.choice(notices))
    await browser.get(f"{base}/decision-record")
    work.decisions.extend((work.providers[email], bid) for email, bid in lot.bids.items())
