"""Sealed bids, route by route: every route of the app that reaches a bid, asked by each
kind of user while the tender is open, after its deadline and after its opening.

Until an officer opens the tender, nobody on the council's side reads any bid, the
tender's owner included (rule 2); a provider reaches only its own organisation's bids
(rule 4); once opened, the council's officers read them, and so do the lot's panel once
cleared of conflicts (rule 7): its evaluator to score, its moderator beside the scores.
Every read is audited (rule 14). The routes come from the app's own route table: a new
bid route fails this test until it is given its outcomes in ``ROUTES``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import httpx
from litestar import Litestar

from app.accounts import CurrentUser
from app.clock import FixedClock
from app.files import DOCUMENT_TYPES
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services import panels, scores
from evaluation.services.scores import ScoreInput
from tenders.services import bids, opening, submissions
from tenders.services.bids import AnswerEntry, BidView
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.tables import Answer, Bid, BidPrice, Evidence, Submission
from tenders.vocabulary import QuestionKind
from tests.app.test_files import pdf_bytes
from tests.app.test_uploads import multipart
from tests.conftest import bearer, buyer_officer, csrf_token, evaluator, provider_user, sign_in
from tests.tenders.bid_factories import complete_bid
from tests.tenders.factories import DEADLINE, published_tender

#: Every piece of the bid's content carries this, so one search finds any of it.
MARKER = b"SEALED-MARKER"
ANSWER = "SEALED-MARKER-ANSWER: every child has a named key worker, DBS checked."
FILE_NAME = "SEALED-MARKER-NAME.pdf"
FILE_TEXT = "SEALED-MARKER-BYTES"
PRICE_PENCE = 1613
#: The price as pages and the API show it (neither is hex, so no id or digest holds it).
PRICE_SHOWN = (b"16.13", b'"unit_price_pence":1613')
#: What a request that got through would write instead of the bid's content.
TAMPERED = "TAMPERED by someone outside the bidding organisation"


class Phase(Enum):
    OPEN = "open"  # published, before the deadline
    CLOSED = "closed"  # the deadline has passed; not yet opened
    OPENED = "opened"  # an officer of the council opened the bids


class Actor(Enum):
    PROVIDER = "the bidding provider"
    OFFICER = "the owning council's officer"
    OTHER_COUNCIL = "another council's officer"
    #: On the first lot's panel: cleared of conflicts once opened, and by then has
    #: submitted scores for the bid.
    EVALUATOR = "the lot's evaluator"
    #: The first lot's moderator, cleared of conflicts once opened.
    MODERATOR = "the lot's moderator"
    OTHER_PROVIDER = "another provider"
    VISITOR = "a visitor"


BUYER_SIDE = (Actor.OFFICER, Actor.OTHER_COUNCIL, Actor.EVALUATOR, Actor.MODERATOR)

#: A status in every phase, or one per phase in the order of ``Phase``.
Outcome = int | tuple[int, int, int]


def while_open(status: int) -> Outcome:
    """Accepted while the tender is open; once its deadline has passed, a conflict."""
    return (status, 409, 409)


def status_in(outcome: Outcome, phase: Phase) -> int:
    return outcome if isinstance(outcome, int) else outcome[list(Phase).index(phase)]


# Who gets what, by kind of route ------------------------------------------------------


def provider_page(
    owner: Outcome, *, other_provider: Outcome = 404, buyers: int = 404
) -> dict[Actor, Outcome]:
    """A page of the bidding organisation's own: the council's people are told it is not
    found (sealed until opening, and never theirs on these pages afterwards), so is
    another provider; a visitor is sent to sign in."""
    return {
        Actor.PROVIDER: owner,
        **dict.fromkeys(BUYER_SIDE, buyers),
        Actor.OTHER_PROVIDER: other_provider,
        Actor.VISITOR: 303,
    }


def provider_api(
    owner: Outcome, *, other_provider: Outcome = 404, buyers: int = 404
) -> dict[Actor, Outcome]:
    """The same for the API, where a visitor is told to authenticate."""
    return {
        **provider_page(owner, other_provider=other_provider, buyers=buyers),
        Actor.VISITOR: 401,
    }


def council_page(officer: Outcome) -> dict[Actor, Outcome]:
    """A page of the council's opened bids: for its officers only (the route's guard
    refuses everyone else who is signed in, 403), and not found for another council."""
    return {
        Actor.OFFICER: officer,
        Actor.OTHER_COUNCIL: 404,
        # Evaluators read bids through their panels.
        Actor.EVALUATOR: 403,
        Actor.MODERATOR: 403,
        Actor.PROVIDER: 403,
        Actor.OTHER_PROVIDER: 403,
        Actor.VISITOR: 303,
    }


def panel_page(
    evaluator: Outcome = 403, moderator: Outcome = 403, *, api: bool = False
) -> dict[Actor, Outcome]:
    """A page of the lot's panel: the council's officers who are not on it are refused
    (403), another council and providers are told it is not found."""
    return {
        Actor.OFFICER: 403,
        Actor.OTHER_COUNCIL: 404,
        Actor.EVALUATOR: evaluator,
        Actor.MODERATOR: moderator,
        Actor.PROVIDER: 404,
        Actor.OTHER_PROVIDER: 404,
        Actor.VISITOR: 401 if api else 303,
    }


#: Sealed before opening; then as given.
def once_opened(status: int) -> Outcome:
    return (403, 403, status)


# The world each phase starts from -----------------------------------------------------


@dataclass(frozen=True)
class World:
    """A published tender of two lots with one submitted bid for its first lot, whose
    scored answer, price and evidence file carry the marker."""

    tender: TenderView
    provider: CurrentUser
    officer: CurrentUser
    users: Mapping[Actor, CurrentUser]
    bid_id: UUID
    submission_id: UUID
    evidence_id: UUID
    sha256: str
    section_id: UUID
    question_id: UUID

    @property
    def lot(self) -> LotView:
        return self.tender.lots[0]

    @property
    def questions(self) -> list[QuestionView]:
        return self.tender.questions_for(self.lot)

    def params(self) -> dict[str, str]:
        """How each path parameter of the bid routes is filled."""
        return {
            "tender_id": str(self.tender.id),
            "bid_id": str(self.bid_id),
            "lot_id": str(self.lot.id),
            "section_id": str(self.section_id),
            "question_id": str(self.question_id),
            "item_id": str(self.lot.price_items[0].id),
            "evidence_id": str(self.evidence_id),
            "submission_id": str(self.submission_id),
            "sha256": self.sha256,
            # No notices are ever issued here: any id is one nobody reaches.
            "notice_id": str(uuid4()),
        }


async def _stream(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def people(platform: Platform) -> dict[Actor, CurrentUser]:
    officer = await buyer_officer(platform)
    return {
        Actor.PROVIDER: await provider_user(platform),
        Actor.OFFICER: officer,
        Actor.OTHER_COUNCIL: await buyer_officer(
            platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
        ),
        Actor.EVALUATOR: await evaluator(platform, officer),
        Actor.MODERATOR: await evaluator(platform, officer, "ruth.okoro@staffordshire.example"),
        Actor.OTHER_PROVIDER: await provider_user(
            platform, "ade@lichfield-care.example", "Lichfield Homecare"
        ),
    }


async def build_world(platform: Platform, users: Mapping[Actor, CurrentUser]) -> World:
    officer, provider = users[Actor.OFFICER], users[Actor.PROVIDER]
    tender = await published_tender(platform, officer, lots=2)
    bid_id = await complete_bid(platform, provider, tender, lots=1, unit_price_pence=PRICE_PENCE)
    lot = tender.lots[0]
    scored = next(q for q in tender.questions_for(lot) if q.kind is QuestionKind.SCALE)
    # complete_bid saved version 1 of the answer.
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scored.id, ANSWER, None, 1)]
    )
    stored = await platform.files.save(
        _stream(pdf_bytes(FILE_TEXT)),
        filename=FILE_NAME,
        max_bytes=1_000_000,
        allowed=DOCUMENT_TYPES,
    )
    evidence_id = await bids.add_evidence(
        platform, provider, bid_id, lot.id, scored.id, stored, max_bid_bytes=25_000_000
    )
    receipt = await submissions.submit(platform, provider, bid_id, submissions.new_request_key())
    await panels.assign(
        platform,
        officer,
        tender.id,
        lot.id,
        evaluators=[users[Actor.EVALUATOR].id],
        moderator=users[Actor.MODERATOR].id,
    )
    return World(
        tender=tender,
        provider=provider,
        officer=officer,
        users=users,
        bid_id=bid_id,
        submission_id=receipt.id,
        evidence_id=evidence_id,
        sha256=stored.sha256,
        section_id=scored.section_id,
        question_id=scored.id,
    )


async def open_for_the_panel(platform: Platform, world: World) -> None:
    """The officer opens the bids; the panel declares no conflict and the evaluator scores
    the bid and submits, so that the moderator can record the consensus."""
    assert (await opening.open_bids(platform, world.officer, world.tender.id)).opened
    for actor in (Actor.EVALUATOR, Actor.MODERATOR):
        member = world.users[actor]
        bidders = await panels.bidders(member, world.tender.id, world.lot.id)
        await panels.declare(
            platform,
            member,
            world.tender.id,
            world.lot.id,
            {bidder.organisation_id: (False, "") for bidder in bidders},
        )
    evaluator = world.users[Actor.EVALUATOR]
    await scores.save(
        platform,
        evaluator,
        world.tender.id,
        world.lot.id,
        world.bid_id,
        {q.id: ScoreInput(marks(q), "Seen in the answer") for q in world.questions},
    )
    await scores.submit(platform, evaluator, world.tender.id, world.lot.id)


def marks(question: QuestionView) -> str:
    return "pass" if question.kind is QuestionKind.PASS_FAIL else "3"


# What unsafe requests send: built from the bid as it is now, so that each would change
# it if it got through -------------------------------------------------------------------

Body = Callable[[World, BidView], Any]


# The lots chosen stay the same: another choice would leave the bid unfinished for the
# bidder's later requests. A stranger's choice that got through still shows in its status.
def lots_form(world: World, bid: BidView) -> dict[str, Any]:
    return {"lots": [str(lot_id) for lot_id in bid.lot_ids], "version": str(bid.version)}


def section_form(world: World, bid: BidView) -> dict[str, str]:
    fields: dict[str, str] = {}
    for question in bid.tender.questions_for(world.lot):
        if question.section_id != world.section_id:
            continue
        saved = bid.answers.get((world.lot.id, question.id))
        scored = question.kind is not QuestionKind.PASS_FAIL
        fields[f"answer-{question.id}"] = TAMPERED if scored else ""
        fields[f"declaration-{question.id}"] = "" if scored else "no"
        fields[f"version-{question.id}"] = str(saved.version if saved else 0)
    return fields


def prices_form(world: World, bid: BidView) -> dict[str, str]:
    item = world.lot.price_items[0]
    saved = bid.prices.get(item.id)
    return {f"price-{item.id}": "1.00", f"version-{item.id}": str(saved.version if saved else 0)}


def answer_json(world: World, bid: BidView) -> dict[str, Any]:
    saved = bid.answers[(world.lot.id, world.question_id)]
    return {"text": TAMPERED, "version": saved.version}


def price_json(world: World, bid: BidView) -> dict[str, Any]:
    saved = bid.prices[world.lot.price_items[0].id]
    return {"unit_price_pence": 100, "version": saved.version}


def lots_json(world: World, bid: BidView) -> dict[str, Any]:
    return {"lot_ids": [str(lot_id) for lot_id in bid.lot_ids], "version": bid.version}


def submission(world: World, bid: BidView) -> dict[str, str]:
    # A new key each time: a key already used would return the earlier receipt.
    return {"request_key": submissions.new_request_key()}


def withdrawal(world: World, bid: BidView) -> dict[str, str]:
    return {"reason": TAMPERED}


def nothing(world: World, bid: BidView) -> dict[str, str]:
    return {}


def marks_form(world: World, bid: BidView) -> dict[str, str]:
    """A score, or a consensus, for every question of the bid."""
    fields = {}
    for question in world.questions:
        fields[f"mark-{question.id}"] = marks(question)
        fields[f"rationale-{question.id}"] = "Seen in the answer"
    return fields


def scores_json(world: World, bid: BidView) -> dict[str, Any]:
    return {
        "scores": [
            {"question": str(q.id), "mark": marks(q), "rationale": "Seen in the answer"}
            for q in world.questions
        ]
    }


def consensus_json(world: World, bid: BidView) -> dict[str, Any]:
    return {
        "consensus": [
            {"question": str(q.id), "mark": marks(q), "rationale": "Agreed"}
            for q in world.questions
        ]
    }


#: An evidence upload sends this file, not the bid's own, so a stranger's upload that got
#: through would add a file.
UPLOAD = ("tampered.pdf", pdf_bytes("TAMPERED"))


# The table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    #: The path as the app's route table spells it.
    path: str
    expect: Mapping[Actor, Outcome]
    #: What an unsafe request sends (None: no body).
    body: Body | None = None
    #: A multipart evidence upload.
    upload: bool = False
    #: What a permitted response must carry, to prove it was the real thing.
    shows: bytes | None = None
    #: Audit events each permitted read by the council's side writes.
    reads: int = 0
    #: Who on the council's side is permitted the content, once opened.
    readers: tuple[Actor, ...] = (Actor.OFFICER,)


API = "/api/v1"
BID = "/bids/{bid_id:str}"
LOT = f"{BID}/lots/{{lot_id:str}}"
EVIDENCE = f"{BID}/evidence/{{evidence_id:str}}"
RECEIPT = f"{BID}/submissions/{{submission_id:str}}"
OPENED = "/tenders/{tender_id:str}/bids"
PANEL = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
PANEL_BID = f"{PANEL}/bids/{{bid_id:str}}"
CONSENSUS = f"{PANEL}/moderation/bids/{{bid_id:str}}"
EVALUATOR, MODERATOR, PANEL_READERS = (
    (Actor.EVALUATOR,),
    (Actor.MODERATOR,),
    (Actor.EVALUATOR, Actor.MODERATOR),
)

ROUTES: tuple[Route, ...] = (
    # Provider pages (tenders/web/bids.py). Starting a bid is for providers: a buyer's
    # user is refused (403), another provider starts its own.
    Route(
        "POST",
        "/opportunities/{tender_id:str}/bid",
        provider_page(while_open(303), other_provider=while_open(303), buyers=403),
        body=nothing,
    ),
    # The list is refused to the council by role: there is no object to hide.
    Route("GET", "/bids", provider_page(200, other_provider=200, buyers=403)),
    Route("GET", BID, provider_page(200)),
    Route("GET", f"{BID}/lots", provider_page(200)),
    Route("POST", f"{BID}/lots", provider_page(while_open(303)), body=lots_form),
    Route(
        "GET",
        f"{LOT}/sections/{{section_id:str}}",
        provider_page(200),
        shows=ANSWER.encode(),
    ),
    Route(
        "POST",
        f"{LOT}/sections/{{section_id:str}}",
        provider_page(while_open(303)),
        body=section_form,
    ),
    Route("GET", f"{LOT}/prices", provider_page(200), shows=PRICE_SHOWN[0]),
    Route("POST", f"{LOT}/prices", provider_page(while_open(303)), body=prices_form),
    Route(
        "GET",
        f"{LOT}/questions/{{question_id:str}}/evidence",
        provider_page(200),
        shows=FILE_NAME.encode(),
    ),
    Route(
        "POST",
        f"{LOT}/questions/{{question_id:str}}/evidence",
        provider_page(while_open(303)),
        upload=True,
    ),
    Route("GET", EVIDENCE, provider_page(200), shows=FILE_TEXT.encode()),
    Route("POST", f"{EVIDENCE}/remove", provider_page(while_open(303)), body=nothing),
    Route("GET", f"{BID}/check", provider_page(200), shows=ANSWER.encode()),
    Route("POST", f"{BID}/submit", provider_page(while_open(303)), body=submission),
    Route("GET", RECEIPT, provider_page(200)),
    Route("GET", f"{BID}/withdraw", provider_page(200)),
    Route("POST", f"{BID}/withdraw", provider_page(while_open(303)), body=withdrawal),
    # Receipts (tenders/web/receipts.py, tenders/api/receipts.py).
    Route("GET", f"{RECEIPT}/receipt.pdf", provider_page(200)),
    # The decision on the bid and its notices (evaluation/web/notices.py,
    # evaluation/api/awards.py): the page says none is issued yet; nothing else is there
    # before the notices are issued.
    Route("GET", f"{BID}/decision", provider_page(200)),
    Route("GET", f"{BID}/notices/{{notice_id:str}}", provider_page(404)),
    Route("GET", f"{API}{BID}/decision", provider_api(404)),
    Route("GET", f"{API}{BID}/notices/{{notice_id:str}}", provider_api(404)),
    Route("GET", f"{API}{RECEIPT}/receipt.pdf", provider_api(200)),
    # The officer's tender page (tenders/web/authoring.py) says how many bids each lot
    # has, all that rule 2 lets the council see before opening.
    Route("GET", "/tenders/{tender_id:str}", council_page(200)),
    # The council's pages (tenders/web/opening.py): sealed, even to the owner, until
    # opened; then the owning council's officers read, and each read is audited.
    Route("GET", OPENED, council_page((403, 403, 200))),
    Route(
        "GET",
        f"{OPENED}/{{bid_id:str}}",
        council_page((403, 403, 200)),
        shows=ANSWER.encode(),
        reads=1,
    ),
    Route(
        "GET",
        f"{OPENED}/{{bid_id:str}}/files/{{sha256:str}}",
        council_page((403, 403, 200)),
        shows=FILE_TEXT.encode(),
        reads=1,
    ),
    # The panel's pages (evaluation/web): the evaluator reads the bid to score it, after
    # submitting sees it read-only (a change is refused: locked); the moderator reads it
    # beside the scores to record the consensus; both download its files.
    Route(
        "GET",
        PANEL_BID,
        panel_page(once_opened(200)),
        shows=ANSWER.encode(),
        reads=1,
        readers=EVALUATOR,
    ),
    Route("POST", PANEL_BID, panel_page(once_opened(409)), body=marks_form),
    Route(
        "GET",
        f"{PANEL_BID}/files/{{sha256:str}}",
        panel_page(once_opened(200), once_opened(200)),
        shows=FILE_TEXT.encode(),
        reads=1,
        readers=PANEL_READERS,
    ),
    Route(
        "GET",
        CONSENSUS,
        panel_page(moderator=once_opened(200)),
        shows=ANSWER.encode(),
        reads=1,
        readers=MODERATOR,
    ),
    Route("POST", CONSENSUS, panel_page(moderator=once_opened(303)), body=marks_form),
    # The panel's API (evaluation/api).
    Route(
        "GET",
        f"{API}{PANEL_BID}",
        panel_page(once_opened(200), api=True),
        shows=ANSWER.encode(),
        reads=1,
        readers=EVALUATOR,
    ),
    Route(
        "GET",
        f"{API}{PANEL_BID}/files/{{sha256:str}}",
        panel_page(once_opened(200), once_opened(200), api=True),
        shows=FILE_TEXT.encode(),
        reads=1,
        readers=PANEL_READERS,
    ),
    Route(
        "PUT",
        f"{API}{PANEL_BID}/scores",
        panel_page(once_opened(409), api=True),
        body=scores_json,
    ),
    Route(
        "PUT",
        f"{API}{CONSENSUS}",
        panel_page(moderator=once_opened(200), api=True),
        body=consensus_json,
    ),
    # The API (tenders/api/bids.py).
    Route(
        "POST",
        f"{API}/tenders/{{tender_id:str}}/bid",
        provider_api(while_open(201), other_provider=while_open(201), buyers=403),
    ),
    Route("GET", f"{API}/bids", provider_api(200, other_provider=200, buyers=403)),
    Route("GET", f"{API}{BID}", provider_api(200), shows=ANSWER.encode()),
    Route("PUT", f"{API}{BID}/lots", provider_api(while_open(200)), body=lots_json),
    Route(
        "PUT",
        f"{API}{LOT}/answers/{{question_id:str}}",
        provider_api(while_open(200)),
        body=answer_json,
    ),
    Route(
        "PUT", f"{API}{LOT}/prices/{{item_id:str}}", provider_api(while_open(200)), body=price_json
    ),
    Route(
        "POST",
        f"{API}{LOT}/questions/{{question_id:str}}/evidence",
        provider_api(while_open(201)),
        upload=True,
    ),
    Route("DELETE", f"{API}{EVIDENCE}", provider_api(while_open(204))),
    Route("GET", f"{API}{EVIDENCE}", provider_api(200), shows=FILE_TEXT.encode()),
    Route("POST", f"{API}{BID}/submissions", provider_api(while_open(201)), body=submission),
    Route("GET", f"{API}{RECEIPT}", provider_api(200)),
    Route("POST", f"{API}{BID}/withdrawal", provider_api(while_open(200)), body=withdrawal),
)

#: A path that reaches a bid: a `bid` or `bids` segment; and pages that tell of bids.
BID_PATH = re.compile(r"/bids?(/|$)")
TELLS_OF_BIDS = {"/tenders/{tender_id:str}"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
#: Litestar answers these itself for every route.
IMPLICIT_METHODS = {"OPTIONS", "HEAD"}


def bid_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route in the app's table that reaches a bid."""
    found = set()
    for route in app.routes:
        if not BID_PATH.search(route.path) and route.path not in TELLS_OF_BIDS:
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in set(handler.http_methods) - IMPLICIT_METHODS:
                found.add((method, route.path))
    return found


def classification_problems(app: Litestar) -> list[str]:
    table = {(route.method, route.path) for route in ROUTES}
    routes = bid_routes(app)
    problems = [
        f"{method} {path}: a bid route with no outcomes in ROUTES; classify it"
        for method, path in sorted(routes - table)
    ]
    problems += [
        f"{method} {path}: in ROUTES but not in the app; remove or rename it"
        for method, path in sorted(table - routes)
    ]
    for route in ROUTES:
        if len(route.expect) != len(Actor):
            missing = ", ".join(a.value for a in Actor if a not in route.expect)
            problems.append(f"{route.method} {route.path}: no outcome for {missing}")
    return problems


# Asking -------------------------------------------------------------------------------


async def bid_rows(bid_id: UUID) -> list[Any]:
    """Everything the bid is made of, to see that a refused request changed none of it."""
    return [
        await Bid.select().where(Bid.id == bid_id),
        await Answer.select().where(Answer.bid == bid_id).order_by(Answer.id),
        await BidPrice.select().where(BidPrice.bid == bid_id).order_by(BidPrice.id),
        await Evidence.select().where(Evidence.bid == bid_id).order_by(Evidence.id),
        await Submission.select().where(Submission.bid == bid_id).order_by(Submission.id),
    ]


CONTENT_READ = AuditEvent.action == str(AuditAction.BID_CONTENT_READ)


async def reads_after(count: int) -> list[dict[str, Any]]:
    """The reads of bid content the audit log holds after its first ``count``."""
    rows = await AuditEvent.select(AuditEvent.body).where(CONTENT_READ).order_by(AuditEvent.seq)
    return [json.loads(row["body"]) for row in rows[count:]]


@dataclass(frozen=True)
class Session:
    actor: Any
    client: httpx.AsyncClient
    csrf: str


async def sessions(
    stack: AsyncExitStack,
    app: Litestar,
    users: Mapping[Any, CurrentUser],
    actors: Iterable[Any] = Actor,
) -> dict[Any, Session]:
    """A browser per actor, each from its own address, signed in now (an actor without a
    user is a visitor), with a bearer token for the API beside its cookie (pages read only
    the cookie, the API only the token)."""
    found = {}
    for n, actor in enumerate(actors):
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{n + 1}", 40000))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="https://testserver")
        )
        if actor not in users:
            found[actor] = Session(actor, client, await csrf_token(client, "/sign-in"))
            continue
        client.headers.update(await bearer(client, users[actor].email))
        await sign_in(client, users[actor].email)
        found[actor] = Session(actor, client, await csrf_token(client, "/"))
    return found


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
        return await session.client.request(
            route.method, path, **({"json": body} if body is not None else {})
        )
    return await session.client.post(path, data={"_csrf_token": session.csrf, **(body or {})})


# The matrix ---------------------------------------------------------------------------


def where(route: Route, actor: Actor, phase: Phase) -> str:
    return f"{route.method} {route.path} x {actor.value} x {phase.value}"


async def check(
    world: World, phase: Phase, route: Route, session: Session, bid: BidView
) -> list[str]:
    """Ask once; what differs from the table, in words. ``bid`` is the bid as the bidder
    sees it now."""
    actor = session.actor
    expected = status_in(route.expect[actor], phase)
    path = PARAM.sub(lambda match: world.params()[match.group(1)], route.path)
    body = route.body(world, bid) if route.body else None
    reads = await AuditEvent.count().where(CONTENT_READ)

    response = await send(session, route, path, body)

    failures = []
    got = response.status_code
    if got != expected:
        failures.append(f"got {got}, expected {expected}")
    permitted = 200 <= expected < 300
    may_see = actor is Actor.PROVIDER or (actor in route.readers and phase is Phase.OPENED)
    if (leaked := [m for m in (MARKER, *PRICE_SHOWN) if m in response.content]) and not (
        may_see and permitted
    ):
        failures.append(f"the response shows the bid's content {leaked}")
    # Without this, a route filled with the wrong ids would pass as "refused".
    if route.shows and permitted and got == expected and route.shows not in response.content:
        failures.append(f"permitted, yet without the content {route.shows!r}")
    if expected == 303:
        location = response.headers.get("location", "")
        if location.startswith("/sign-in") != (actor is Actor.VISITOR):
            failures.append(f"redirected to {location!r}")
    # The bidder's reads of its own bid are not the council's.
    if actor is not Actor.PROVIDER:
        audited = await reads_after(reads)
        wanted = route.reads if permitted else 0
        if len(audited) != wanted:
            failures.append(f"{len(audited)} reads of the content audited, expected {wanted}")
        reader = world.users.get(actor)
        for read in audited:
            by = (read["actor_id"], read["organisation_id"], read["object_id"])
            if reader is None or by != (
                str(reader.id),
                str(reader.organisation_id),
                str(world.bid_id),
            ):
                failures.append(f"the read audited as (actor, organisation, bid) {by}")
    return [f"{where(route, actor, phase)}: {failure}" for failure in failures]


async def ask_everyone(world: World, phase: Phase, users: Mapping[Actor, Session]) -> list[str]:
    """Every bid route, asked by every kind of user, in one phase of the tender. The
    bidder's own changes come last, so that every other request meets the bid as it was
    sealed (and the bidder's reads find the marked content)."""
    checks = sorted(
        ((route, actor) for route in ROUTES for actor in Actor),
        key=lambda pair: pair[1] is Actor.PROVIDER and pair[0].method != "GET",
    )
    bid = await bids.own_bid(world.provider, world.bid_id)
    sealed = await bid_rows(world.bid_id)
    failures: list[str] = []
    for route, actor in checks:
        failures += await check(world, phase, route, users[actor], bid)
        if route.method == "GET":
            continue
        # The bidder's changes are meant to change its bid; nobody else's may.
        if actor is not Actor.PROVIDER:
            if (now := await bid_rows(world.bid_id)) == sealed:
                continue
            failures.append(f"{where(route, actor, phase)}: the bid changed")
            sealed = now
        # The next change is made from the version this one left.
        bid = await bids.own_bid(world.provider, world.bid_id)
    return failures


async def test_only_the_bidder_reaches_a_bid_until_its_councils_officers_open_it(
    app: Litestar, client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    """Every bid route x every kind of user x each phase of a tender: open, past its
    deadline, opened. ``client`` is asked for only to run the app's lifespan."""
    assert not (problems := classification_problems(app)), "\n".join(problems)
    users = await people(platform)
    # The bidder changes its bid while the tender is open, so that phase has its own.
    still_open, sealed = await build_world(platform, users), await build_world(platform, users)
    unfilled = {name for route in ROUTES for name in PARAM.findall(route.path)}
    assert not (unfilled := unfilled - sealed.params().keys()), f"add {unfilled} to World.params"

    failures: list[str] = []
    async with AsyncExitStack() as stack:
        failures += await ask_everyone(still_open, Phase.OPEN, await sessions(stack, app, users))
        clock.instant = DEADLINE + timedelta(minutes=1)
        # Signed in again: the sessions went idle while the clock moved.
        signed_in = await sessions(stack, app, users)
        failures += await ask_everyone(sealed, Phase.CLOSED, signed_in)
        await open_for_the_panel(platform, sealed)
        failures += await ask_everyone(sealed, Phase.OPENED, signed_in)

    asked = len(ROUTES) * len(Actor) * len(Phase)
    assert not failures, f"{len(failures)} differences in {asked} requests:\n" + "\n".join(failures)
