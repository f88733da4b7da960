"""Realistic data for the accessibility sweep, made on the served demo server over HTTP.

Everything is new (the demo's tenders and people are shared with the other browser tests,
so none of them is changed): provider organisations and a council tender whose names are as
long as the platform allows (200 characters), twelve lots on one tender, long answers, a
clarification waiting for its answer, and tenders in every state an evaluation passes
through (draft, published, closed, opened and being scored, moderated, award approved with
notices issued, awarded). The council's people are the demo officer and two new colleagues,
an evaluator and a moderator; the tenders are built through the JSON API with bearer
tokens, and opened through the pages (opening has no API).

A tender is closed only once its deadline has passed, so the tenders that must be closed
are built and bid on with the server's clock set back (``ServerClock``), then taken on as
their evaluation needs, the clock moved forward to the end of a standstill and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from playwright.sync_api import Browser, expect

from app import demo_data
from tests.app.test_files import pdf_bytes
from tests.browser.conftest import TIMEOUT_MS, ServerClock

PASSWORD = "lantern harbour kettle plum"
OFFICER = demo_data.COUNCIL_OFFICER


def long_text(start: str, length: int = 200) -> str:
    """``start``, padded with realistic words to exactly ``length`` characters."""
    filler = (
        " serving families across Cannock Chase, East Staffordshire, Lichfield, Newcastle"
        "-under-Lyme, South Staffordshire, Stafford, Staffordshire Moorlands and Tamworth"
        " with care and support at home and in the community"
    )
    text = (start + filler * 3)[:length]
    return text[:-1] + "." if text[-1] in " ,-" else text


#: A long answer: about 450 words in four paragraphs, as providers write them.
LONG_ANSWER = "\n\n".join(
    " ".join(
        (
            "Every person we support has a named lead worker who meets them and their family "
            "before support starts, agrees a one-page profile with them and reviews it every "
            "six weeks, or sooner when their needs change.",
            "Staff complete safeguarding, positive behaviour support, medication and moving "
            "and handling training before they work alone, and refresh it every year.",
            "We recruit in the districts we serve through colleges, job centres and community "
            "groups, pay at least the real Living Wage, and cover short-notice absence from a "
            "bank of staff who already know the people they support.",
            "Our registered manager audits care records monthly and reports outcomes to "
            "commissioners every quarter, with what we have learned and what we will change.",
        )
    )
    for _ in range(4)
)
#: The outcome test's mark beside each score given.
OUTCOMES = {"4": "yes", "3": "partially"}
SHORT_ANSWER = "We will meet the council's requirements with our experienced local team."


@dataclass
class Question:
    id: str
    kind: str
    section: str


@dataclass
class Tender:
    id: str
    title: str
    lots: list[str]
    #: Section ids by name, in order.
    sections: dict[str, str]
    questions: list[Question]
    #: Each lot's price item ids.
    prices: dict[str, list[str]]
    #: The bids on it and their lots, by provider key ("provider", "rival").
    bids: dict[str, str] = field(default_factory=dict)
    bid_lots: dict[str, list[str]] = field(default_factory=dict)

    def bids_on(self, lot: str) -> list[str]:
        """The ids of the bids on ``lot``, the provider's first."""
        return [self.bids[key] for key, lots in self.bid_lots.items() if lot in lots]


@dataclass
class Person:
    name: str
    email: str
    password: str
    id: str = ""


@dataclass
class World:
    """What the sweep visits: people, tenders in each state, and ids within them."""

    suffix: str
    provider: Person
    colleague: Person
    rival: Person
    evaluator: Person
    moderator: Person
    organisation: str
    draft: Tender
    published: Tender
    #: A small published tender the provider has bid on and submitted (withdraw, receipt).
    submitted: Tender
    #: Cancelled after the provider withdrew its bid.
    cancelled: Tender
    closed: Tender
    scoring: Tender
    moderated: Tender
    approved: Tender
    awarded: Tender
    #: The provider's draft bid on ``published``: twelve lots, long answers, a file.
    draft_bid: str = ""
    evidence_question: str = ""
    clarification: str = ""
    submission: str = ""


class Api:
    """The JSON API as one person, with a bearer token fetched on first use (and again
    after the server's clock moves, as tokens expire by it)."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        self._http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=30)
        self._credentials = {"email": email, "password": password}
        self._token = ""

    def renew(self) -> None:
        response = self._http.post("/tokens", json=self._credentials)
        assert response.status_code == 201, response.text
        self._token = response.json()["token"]

    def call(self, method: str, path: str, expect_status: int = 200, **options: Any) -> Any:
        if not self._token:
            self.renew()
        headers = {"Authorization": f"Bearer {self._token}"}
        response = self._http.request(method, path, headers=headers, **options)
        assert response.status_code == expect_status, (
            response.status_code,
            method,
            path,
            response.text,
        )
        return response.json() if response.content else None

    def close(self) -> None:
        self._http.close()


def _moment(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def build_tender(
    officer: Api,
    title: str,
    now: datetime,
    *,
    lots: int,
    outcome_tests: bool = False,
    publish: bool = True,
    unpriced: int = 0,
) -> Tender:
    """A tender of ``lots`` lots with Quality, Price and Social value sections (and the
    outcome tests), two prices a lot but the last ``unpriced`` lots, closing three weeks
    after ``now``."""
    deadline = now + timedelta(days=21)
    created = officer.call(
        "POST",
        "/tenders",
        201,
        json={
            "title": title,
            "reference": f"SCC-A11Y-{uuid4().hex[:6].upper()}",
            "description": long_text("Care and support for adults and children", 600),
            "contract_months": 36,
            "estimated_value": "2,400,000",
            "submission_deadline": _moment(deadline),
            "clarification_deadline": _moment(deadline - timedelta(days=7)),
            "standstill_applies": True,
            "exclude_above_reference": False,
        },
    )
    base = f"/tenders/{created['id']}"
    lot_ids = [
        officer.call(
            "POST",
            f"{base}/lots",
            201,
            json={
                "name": long_text(f"Lot {number}: supported living, complex needs", 120),
                "service_type": "supported_living",
                "districts": ["North", "South"],
                "complexity_band": "complex",
                "award_mode": "one",
            },
        )["id"]
        for number in range(1, lots + 1)
    ]
    quality = 40 if outcome_tests else 60
    weights = [("Quality", "quality", quality), ("Price", "price", 30)]
    weights.append(("Social value", "social_value", 10))
    if outcome_tests:
        weights.append(("Outcomes", "quality", 20))
    sections = {
        name: officer.call(
            "POST", f"{base}/sections", 201, json={"name": name, "kind": kind, "weight": weight}
        )["id"]
        for name, kind, weight in weights
    }
    questions = []
    for section, kind, text, extra in (
        (
            "Quality",
            "pass_fail",
            "Are you registered with the Care Quality Commission for the regulated activities "
            "this lot needs, with a rating of Good or Outstanding (or not yet rated)?",
            {},
        ),
        (
            "Quality",
            "scale",
            long_text("Describe how you will deliver strengths-based support", 400),
            {"word_limit": 750, "weight": 60, "minimum_score": 2, "guidance": LONG_ANSWER[:600]},
        ),
        (
            "Quality",
            "scale",
            "How will you recruit and keep staff locally, and cover short-notice absence?",
            {"word_limit": 750, "weight": 40},
        ),
        (
            "Social value",
            "scale",
            "What will you do for the communities where you deliver this service?",
            {"word_limit": 750, "weight": 100},
        ),
    ):
        created_question = officer.call(
            "POST",
            f"{base}/questions",
            201,
            json={"section": sections[section], "kind": kind, "text": text, **extra},
        )
        questions.append(Question(created_question["id"], kind, section))
    if outcome_tests:
        officer.call("POST", f"{base}/outcome-tests", 201, json={"section": sections["Outcomes"]})
    prices = {
        lot: [
            officer.call(
                "POST",
                f"{base}/lots/{lot}/prices",
                201,
                json={
                    "description": description,
                    "unit": unit,
                    "volume": volume,
                    "reference_price": reference,
                },
            )["id"]
            for description, unit, volume, reference in (
                ("Support, daytime", "hour_daytime", 20000, "21.50"),
                ("Sleep-in night", "sleep_in_night", 365, "95.00"),
            )
        ]
        for lot in lot_ids[: lots - unpriced]
    }
    if publish:
        officer.call("POST", f"{base}/publish", json={"confirmed": True})
    return Tender(created["id"], title, lot_ids, sections, questions, prices)


def bid(
    provider: Api,
    tender: Tender,
    lots: Sequence[str],
    *,
    answer: str = LONG_ANSWER,
    pence: tuple[int, int] = (2050, 9000),
    submit: bool = True,
    key: str = "",
) -> str:
    """The provider's bid on ``lots``: every question answered, every price given; the
    bid's id (submitted unless told not to)."""
    bid_id = provider.call("POST", f"/tenders/{tender.id}/bid", 201)["id"]
    if key:
        tender.bids[key] = bid_id
        tender.bid_lots[key] = list(lots)
    version = provider.call("GET", f"/bids/{bid_id}")["version"]
    chosen = provider.call(
        "PUT", f"/bids/{bid_id}/lots", json={"lot_ids": list(lots), "version": version}
    )
    if "Outcomes" in tender.sections and not any(q.section == "Outcomes" for q in tender.questions):
        # The API adds the outcome tests without naming them: the bid's problems do.
        known = {question.id for question in tender.questions}
        for problem in chosen["problems"]:
            question_id = problem["field"].removeprefix("answer-")
            if problem["field"].startswith("answer-") and question_id not in known:
                known.add(question_id)
                tender.questions.append(Question(question_id, "outcome_test", "Outcomes"))
    for lot in lots:
        for question in tender.questions:
            body = {"declaration": "yes"} if question.kind == "pass_fail" else {"text": answer}
            provider.call("PUT", f"/bids/{bid_id}/lots/{lot}/answers/{question.id}", json=body)
        for item, price in zip(tender.prices[lot], pence, strict=True):
            provider.call(
                "PUT",
                f"/bids/{bid_id}/lots/{lot}/prices/{item}",
                json={"unit_price_pence": price},
            )
    if submit:
        provider.call("POST", f"/bids/{bid_id}/submissions", 201, json={})
    return bid_id


def marks(tender: Tender, score: str) -> list[dict[str, str]]:
    return [
        {
            "question": question.id,
            "mark": {"pass_fail": "pass", "outcome_test": OUTCOMES[score]}.get(
                question.kind, score
            ),
            "rationale": long_text("Specific and evidenced: named lead workers", 300),
        }
        for question in tender.questions
    ]


def declare(api: Api, tender: Tender, lot: str) -> None:
    bidders = api.call("GET", f"/evaluations/{tender.id}/lots/{lot}/bidders")
    entries = [{"organisation": b["organisation_id"], "conflict": False} for b in bidders]
    api.call(
        "PUT",
        f"/evaluations/{tender.id}/lots/{lot}/declarations",
        204,
        json={"declarations": entries},
    )


def score(api: Api, tender: Tender, lot: str, *, bids: int | None = None) -> None:
    """Every bid of the lot scored (the provider's best), and the sheet submitted; or only
    the first ``bids`` bids scored, the sheet left open."""
    base = f"/evaluations/{tender.id}/lots/{lot}"
    for number, bid_id in enumerate(tender.bids_on(lot)[:bids]):
        api.call(
            "PUT", f"{base}/bids/{bid_id}/scores", json={"scores": marks(tender, str(4 - number))}
        )
    if bids is None:
        api.call("POST", f"{base}/scores/submit")


def moderate(api: Api, tender: Tender, lot: str, *, bids: int | None = None) -> None:
    """The consensus on every bid of the lot, signed off; or on the first ``bids`` bids,
    not signed off."""
    base = f"/evaluations/{tender.id}/lots/{lot}"
    for number, bid_id in enumerate(tender.bids_on(lot)[:bids]):
        api.call(
            "PUT",
            f"{base}/moderation/bids/{bid_id}",
            json={"consensus": marks(tender, str(4 - number))},
        )
    if bids is None:
        api.call("POST", f"{base}/sign-off")


def open_bids(browser: Browser, base_url: str, tender: Tender) -> None:
    """Open the bids through the pages, as the officer: opening has no API."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(OFFICER.email)
        page.get_by_label("Password", exact=True).fill(OFFICER.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{base_url}/account")
        page.goto(f"/tenders/{tender.id}")
        page.get_by_role("button", name="Open the bids").click()
        expect(page.get_by_role("alert", name="Success")).to_be_visible()
    finally:
        context.close()


def build_world(base_url: str, clock: ServerClock, browser: Browser) -> World:
    """Everything the sweep visits, made new on the server at ``base_url``."""
    suffix = uuid4().hex[:8]
    people = {
        key: Person(name, f"{key}-{suffix}@a11y-sweep.example", PASSWORD)
        for key, name in (
            ("provider", long_text("Bethany Wilhelmina Featherstonehaugh-Cholmondeley", 120)),
            ("colleague", "Oluwaseun Adeyemi-Whitfield"),
            ("rival", "Rhys Pritchard"),
            ("evaluator", long_text("Margaret Anne Worthington-Smythe", 120)),
            ("moderator", "Krzysztof Wiśniewski-Okonkwo"),
        )
    }
    organisation = long_text(f"Moorlands and Peaks Community Interest Care {suffix}")
    apis: list[Api] = []

    def api(person: Person) -> Api:
        made = Api(base_url, person.email, person.password)
        apis.append(made)
        return made

    officer = api(Person(OFFICER.name, OFFICER.email, OFFICER.password))
    try:
        # People: two provider organisations, a colleague, and two council colleagues.
        for key, name in (("provider", organisation), ("rival", f"Leek Care {suffix}")):
            registration = httpx.post(
                f"{base_url}/api/v1/registrations",
                json={
                    "organisation_name": name,
                    "cqc_provider_id": "1-109876543",
                    "contact_name": people[key].name,
                    "email": people[key].email,
                    "password": PASSWORD,
                },
                timeout=30,
            )
            assert registration.status_code == 201, registration.text
        provider, rival = api(people["provider"]), api(people["rival"])
        provider.call(
            "POST",
            "/organisation/users",
            201,
            json={
                "name": people["colleague"].name,
                "email": people["colleague"].email,
                "password": PASSWORD,
            },
        )
        for key in ("evaluator", "moderator"):
            people[key].id = officer.call(
                "POST",
                "/organisation/users",
                201,
                json={
                    "name": people[key].name,
                    "email": people[key].email,
                    "role": "evaluator",
                    "password": PASSWORD,
                },
            )["id"]
        evaluator, moderator = api(people["evaluator"]), api(people["moderator"])

        # In the past: tenders built, bid on and closed since.
        now = clock.now()
        clock.set(now - timedelta(days=60))
        for one in apis:
            one.renew()
        past = clock.now()
        titled = {
            key: long_text(f"{title} ({suffix})", 120)
            for key, title in (
                ("closed", "Shared Lives respite, closed"),
                ("scoring", "Overnight short breaks, being scored"),
                ("moderated", "Home care, moderated"),
                ("approved", "Extra care housing, award approved"),
                ("awarded", "Day opportunities, awarded"),
            )
        }
        # The tender being scored has the outcome tests too, for their marks' pages.
        old = {
            key: build_tender(officer, title, past, lots=3, outcome_tests=key == "scoring")
            for key, title in titled.items()
        }
        for tender in old.values():
            bid(provider, tender, tender.lots, key="provider")
            bid(rival, tender, tender.lots[:2], answer=SHORT_ANSWER, key="rival")

        # Three weeks later, the awarded tender's evaluation and standstill.
        clock.set(now - timedelta(days=35))
        for one in apis:
            one.renew()
        awarded = old["awarded"]
        open_bids(browser, base_url, awarded)
        seat_panel(officer, evaluator, moderator, awarded, awarded.lots)
        for lot in awarded.lots:
            score(evaluator, awarded, lot)
            moderate(moderator, awarded, lot)
        approve(officer, awarded)
        clock.set(now - timedelta(days=15))
        officer.renew()
        officer.call("POST", f"/tenders/{awarded.id}/award/confirm")
    finally:
        clock.restore()
    try:
        for one in apis:
            one.renew()
        # Now: the approved tender's notices, the moderated one waiting for approval, and
        # one being scored: lot 1 scored and submitted, waiting for the moderator's
        # consensus; lot 2 partly scored; lot 3 with no conflicts declared yet.
        approved, moderated, scoring = old["approved"], old["moderated"], old["scoring"]
        for tender in (approved, moderated, scoring):
            open_bids(browser, base_url, tender)
        seat_panel(officer, evaluator, moderator, approved, approved.lots)
        seat_panel(officer, evaluator, moderator, moderated, moderated.lots)
        for tender in (approved, moderated):
            for lot in tender.lots:
                score(evaluator, tender, lot)
                moderate(moderator, tender, lot)
        approve(officer, approved)
        officer.call("POST", f"/tenders/{moderated.id}/award/reports", 201)
        seat_panel(officer, evaluator, moderator, scoring, scoring.lots, declare_now=False)
        first, second, _ = scoring.lots
        for person in (evaluator, moderator):
            declare(person, scoring, first)
        score(evaluator, scoring, first)
        moderate(moderator, scoring, first, bids=1)
        declare(evaluator, scoring, second)
        score(evaluator, scoring, second, bids=1)

        # Open tenders: a draft and a published tender of twelve lots with 200-character
        # titles; the provider's draft bid on all twelve, a file, a question to answer.
        draft = build_tender(
            officer, long_text(f"Draft: care and support at home {suffix}"), now, lots=12,
            outcome_tests=True, publish=False, unpriced=1,
        )  # fmt: skip
        published = build_tender(
            officer, long_text(f"Community support framework {suffix}"), now, lots=12,
            outcome_tests=True,
        )  # fmt: skip
        draft_bid = bid(provider, published, published.lots, submit=False)
        quality = next(q for q in published.questions if q.kind == "scale")
        provider.call(
            "POST",
            f"/bids/{draft_bid}/lots/{published.lots[0]}/questions/{quality.id}/evidence",
            201,
            files={
                "file": ("safeguarding-policy.pdf", pdf_bytes("Safeguarding"), "application/pdf")
            },
        )
        clarification = provider.call(
            "POST",
            f"/opportunities/{published.id}/questions",
            201,
            json={"question": long_text("Will the council share the current care packages", 800)},
        )["id"]
        submitted = build_tender(
            officer, long_text(f"Short breaks, submitted {suffix}", 120), now, lots=1
        )
        bid(provider, submitted, submitted.lots, key="provider")
        receipt = provider.call("GET", f"/bids/{submitted.bids['provider']}")
        # A bid withdrawn, on a tender the council has since cancelled.
        cancelled = build_tender(
            officer, long_text(f"Respite at home, cancelled {suffix}", 120), now, lots=1
        )
        bid(provider, cancelled, cancelled.lots, key="provider")
        provider.call(
            "POST",
            f"/bids/{cancelled.bids['provider']}/withdrawal",
            json={"reason": long_text("Our registered manager for the South has left", 500)},
        )
        officer.call(
            "POST",
            f"/tenders/{cancelled.id}/cancel",
            json={"reason": long_text("The council has decided to provide the service", 500)},
        )
    finally:
        for one in apis:
            one.close()
    return World(
        suffix=suffix,
        provider=people["provider"],
        colleague=people["colleague"],
        rival=people["rival"],
        evaluator=people["evaluator"],
        moderator=people["moderator"],
        organisation=organisation,
        draft=draft,
        published=published,
        submitted=submitted,
        cancelled=cancelled,
        closed=old["closed"],
        scoring=scoring,
        moderated=moderated,
        approved=approved,
        awarded=awarded,
        draft_bid=draft_bid,
        evidence_question=quality.id,
        clarification=clarification,
        submission=receipt["submissions"][-1]["id"],
    )


def seat_panel(
    officer: Api,
    evaluator: Api,
    moderator: Api,
    tender: Tender,
    lots: Sequence[str],
    *,
    declare_now: bool = True,
) -> None:
    """The evaluator scores and the moderator moderates each of ``lots``; both declare no
    conflict at once unless told not to."""
    ids = {one: one.call("GET", "/me")["id"] for one in (evaluator, moderator)}
    for lot in lots:
        officer.call(
            "PUT",
            f"/tenders/{tender.id}/lots/{lot}/panel",
            json={"evaluators": [ids[evaluator]], "moderator": ids[moderator]},
        )
        if declare_now:
            declare(evaluator, tender, lot)
            declare(moderator, tender, lot)


def approve(officer: Api, tender: Tender) -> None:
    """The award report made, the award approved and its notices issued."""
    report = officer.call("POST", f"/tenders/{tender.id}/award/reports", 201)
    officer.call(
        "POST",
        f"/tenders/{tender.id}/award/approve",
        json={"report_sha256": report["sha256"], "reasons": LONG_ANSWER[:1500]},
    )
    officer.call("POST", f"/tenders/{tender.id}/award/notices")
