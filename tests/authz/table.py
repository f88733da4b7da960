"""What a real user meets on every route of the app: the HTTP status for each actor and,
for a tender's routes, for each state of the tender. Decided from DESIGN.md, not from
what the app answers.

Conventions that hold throughout (DESIGN.md, "Users" and "Interfaces"; STYLE.md, errors):
a visitor is sent to sign in on a page (303 to /sign-in) and told to authenticate on the
API (401); a signed-in user of the wrong kind is refused (403, the route's coarse guard);
another organisation's object is not found (404, every query scoped to the caller's
organisation); the right person at the wrong moment meets a conflict (409), and bad
input a 400 with a message per field (rule 16). A permitted page post redirects (303,
post-redirect-get).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenders.services import submissions
from tenders.services.bids import BidView
from tests.authz.worlds import DOCUMENT_TEXT, Actor, State, World
from tests.tenders.test_sealed_routes import (
    ANSWER,
    FILE_TEXT,
    PRICE_SHOWN,
    answer_json,
    consensus_json,
    lots_form,
    lots_json,
    marks_form,
    price_json,
    prices_form,
    scores_json,
    section_form,
    withdrawal,
)

#: A status in every state, or one per state.
Outcome = int | Mapping[State, int]

V, PA, PB = Actor.VISITOR, Actor.PROVIDER_A, Actor.PROVIDER_B
OA, OB = Actor.OFFICER_A, Actor.OFFICER_B
EV, CE, MO = Actor.EVALUATOR, Actor.CONFLICTED, Actor.MODERATOR
PANEL = (EV, CE, MO)
#: Council A's people who are not officers: evaluators and moderators by their role.
COUNCIL_STAFF = PANEL
S = list(State)
PUBLIC = S[1:]
AFTER_DEADLINE = S[2:]
OPENED = S[3:]
MODERATED = S[4:]
NOTICES = S[5:]


def by_state(default: int, *rules: tuple[list[State] | State, int]) -> dict[State, int]:
    """``default`` in every state, then each (states, status) overriding in turn."""
    found = dict.fromkeys(State, default)
    for states, status in rules:
        for state in states if isinstance(states, list) else [states]:
            found[state] = status
    return found


def status_in(outcome: Outcome, state: State | None) -> int:
    if isinstance(outcome, int):
        return outcome
    assert state is not None
    return outcome[state]


def everyone(outcome: Outcome) -> dict[Actor, Outcome]:
    return dict.fromkeys(Actor, outcome)


def signed_in(outcome: Outcome, *, api: bool = False) -> dict[Actor, Outcome]:
    return {**everyone(outcome), V: 401 if api else 303}


# Who gets what, by kind of route ------------------------------------------------------


def public(outcome: Outcome = 200) -> dict[Actor, Outcome]:
    """Open to all (DESIGN "Users": a visitor reads published opportunities and registers
    a provider organisation; /schema documents the API; static assets; health)."""
    return everyone(outcome)


def opportunity(api: bool = False) -> dict[Actor, Outcome]:
    """A tender as the public sees it: from publication on, to everyone, visitors
    included; a draft is nobody's business outside the council (not found, even to its
    officer, who previews it on the council's side)."""
    return everyone(by_state(200, (State.DRAFT, 404)))


def providers(
    a: Outcome, b: Outcome | None = None, *, api: bool = False, draft: int = 404
) -> dict[Actor, Outcome]:
    """A provider's own pages and actions (DESIGN "Users": provider user), on a tender of
    the public's: the council's people are refused by role (403), a visitor is sent to
    sign in; on a draft, a provider finds nothing (not published)."""

    def for_provider(outcome: Outcome) -> Outcome:
        if isinstance(outcome, int):
            return by_state(outcome, (State.DRAFT, draft))
        return outcome

    return {
        V: 401 if api else 303,
        PA: for_provider(a),
        PB: for_provider(a if b is None else b),
        OA: 403,
        OB: 403,
        **dict.fromkeys(COUNCIL_STAFF, 403),
    }


def provider_lists(api: bool = False) -> dict[Actor, Outcome]:
    """A provider's own lists: every provider reads its own (rule 4), others by role no."""
    return {**dict.fromkeys(Actor, 403), PA: 200, PB: 200, V: 401 if api else 303}


def own_bid(a: Outcome, *, api: bool = False) -> dict[Actor, Outcome]:
    """Provider A's bid (rule 4: a provider sees only its own organisation's bids;
    rule 2: sealed from the council's side on the bidder's pages, always): everyone but
    its bidder is told it is not found. In the draft there is no bid: not found."""
    outcome = a if not isinstance(a, int) else by_state(a, (State.DRAFT, 404))
    return {**dict.fromkeys(Actor, 404), PA: outcome, V: 401 if api else 303}


def while_open(status: int) -> dict[State, int]:
    """Rule 1: a bid changes while the tender takes bids; after the deadline, a conflict."""
    return by_state(409, (State.PUBLISHED, status), (State.DRAFT, 404))


def officers(outcome: Outcome = 200, *, api: bool = False) -> dict[Actor, Outcome]:
    """Officers' own lists (DESIGN "Users": procurement officer): every council's officers,
    nobody else."""
    return {**dict.fromkeys(Actor, 403), OA: outcome, OB: outcome, V: 401 if api else 303}


def council(officer: Outcome, *, api: bool = False) -> dict[Actor, Outcome]:
    """A page or action of council A's officers on its tender (DESIGN "Users": procurement
    officer; every query scoped to the organisation): another council's officer finds
    nothing (404); council A's evaluators and moderators, and providers, are refused by
    role (403)."""
    return {
        V: 401 if api else 303,
        PA: 403,
        PB: 403,
        OA: officer,
        OB: 404,
        **dict.fromkeys(COUNCIL_STAFF, 403),
    }


def panel(
    evaluator: Outcome = 403,
    moderator: Outcome = 403,
    *,
    officer: Outcome = 403,
    conflicted: Outcome | None = None,
    api: bool = False,
) -> dict[Actor, Outcome]:
    """A page of lot 1's panel (rules 7 and 8; DESIGN "Users": evaluator, moderator):
    another council and providers find nothing (404); council A's officers are not on the
    panel (403 unless given); the conflicted evaluator never reaches the bids (rule 7:
    403), and once stood down from the panel, nothing of it (404). On a draft no panel
    sits: its would-be members find nothing, the council's officers are refused."""

    def on_panel(outcome: Outcome, *, stood_down: bool = False) -> Outcome:
        found = by_state(outcome) if isinstance(outcome, int) else dict(outcome)
        # No panel sits on a draft: its people are on none of the council's panels there.
        found[State.DRAFT] = 404
        if stood_down:
            found.update(dict.fromkeys(MODERATED, 404))
        return found

    def off_panel(outcome: Outcome) -> Outcome:
        found = by_state(outcome) if isinstance(outcome, int) else dict(outcome)
        found[State.DRAFT] = 403
        return found

    return {
        V: 401 if api else 303,
        PA: 404,
        PB: 404,
        OA: off_panel(officer),
        OB: 404,
        EV: on_panel(evaluator),
        CE: on_panel(403 if conflicted is None else conflicted, stood_down=True),
        MO: on_panel(moderator),
    }


def colleagues(
    outcome: Outcome, *, other: int = 200, providers: int | None = None, api: bool = False
) -> dict[Actor, Outcome]:
    """Managing one's organisation's users (DESIGN "Users": a buyer's officers and a
    provider's users manage their colleagues; evaluators do not). Changing a user's role
    is the council's alone (its roles are evaluator and officer): ``providers`` then."""
    return {
        V: 401 if api else 303,
        PA: other if providers is None else providers,
        PB: other if providers is None else providers,
        OA: outcome,
        OB: other,
        **dict.fromkeys(COUNCIL_STAFF, 403),
    }


# States, for the council's side -------------------------------------------------------

#: Rule 5: lots, criteria, weights and prices are frozen at publication.
DRAFT_ONLY = by_state(409, (State.DRAFT, 200))
#: Rule 2: sealed until an officer opens the bids after the deadline.
ONCE_OPENED = by_state(403, (OPENED, 200))
#: An extension while the tender is live (rule 5); the empty form then refused.
LIVE_POST = by_state(409, (State.PUBLISHED, 400))
NOTICES_ON = by_state(404, (NOTICES, 200))


# What unsafe requests send --------------------------------------------------------------

Body = Callable[[World, BidView | None], Any]


def empty(world: World, bid: BidView | None) -> dict[str, str]:
    return {}


def bid_body(make: Callable[[Any, BidView], Any]) -> Body:
    """A body of the bidder's, built from its bid as it is now (test_sealed_routes)."""

    def body(world: World, bid: BidView | None) -> Any:
        return make(world, bid) if bid is not None else {}

    return body


def submission(world: World, bid: BidView | None) -> dict[str, str]:
    return {"request_key": submissions.new_request_key()}


def question(world: World, bid: BidView | None) -> dict[str, str]:
    return {"question": "Is mileage paid between calls?"}


def same_role(world: World, bid: BidView | None) -> dict[str, str]:
    return {"role": "evaluator"}


def no_reasons(world: World, bid: BidView | None) -> dict[str, str]:
    """An approval without its reasons, against a report nobody made."""
    return {"report_sha256": "0" * 64, "reasons": ""}


def cancellation(world: World, bid: BidView | None) -> dict[str, str]:
    return {"reason": "The service is to be brought in house"}


def same_panel(world: World, bid: BidView | None) -> dict[str, Any]:
    """The panel as it is: a permitted request changes nothing that matters."""
    users = world.users
    evaluators = [str(users[EV].id)]
    if world.state in (State.PUBLISHED, State.CLOSED, State.OPENED):
        evaluators.append(str(users[CE].id))
    return {"evaluators": evaluators, "moderator": str(users[MO].id)}


def panel_form(world: World, bid: BidView | None) -> dict[str, Any]:
    found = same_panel(world, bid)
    return {"evaluators": found["evaluators"], "moderator": found["moderator"]}


@dataclass(frozen=True)
class Route:
    method: str
    #: The path as the app's route table spells it.
    path: str
    expect: Mapping[Actor, Outcome]
    #: What an unsafe request sends (None: nothing).
    body: Body | None = None
    #: A multipart upload: the evidence file, or a tender's document.
    upload: bool = False
    #: What a permitted response must carry, to prove it reached the real thing.
    shows: bytes | None = None
    #: Path parameters filled from another of the world's ids (the draft's spares).
    use: Mapping[str, str] | None = None
    #: Where its 303 may go other than /sign-in for a visitor.
    redirects_anywhere: bool = False
    #: Ends the session: asked last of all.
    ends_session: bool = False


API = "/api/v1"
T = "/tenders/{tender_id:str}"
OPP = "/opportunities/{tender_id:str}"
BID = "/bids/{bid_id:str}"
LOT = f"{BID}/lots/{{lot_id:str}}"
EVIDENCE = f"{BID}/evidence/{{evidence_id:str}}"
RECEIPT = f"{BID}/submissions/{{submission_id:str}}"
EVAL = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
EVAL_BID = f"{EVAL}/bids/{{bid_id:str}}"
CONSENSUS = f"{EVAL}/moderation/bids/{{bid_id:str}}"
AWARD = f"{T}/award"
TITLE = b"SCC-2026-041"
PDF = b"%PDF"

#: Page posts the officer may make to a draft (rule 5), and the conflict after.
DRAFT_POST = by_state(409, (State.DRAFT, 400))

ROUTES: tuple[Route, ...] = (
    # Open to everyone ------------------------------------------------------------------
    Route("GET", "/", public()),
    Route("GET", "/accessibility", public()),
    Route("GET", "/healthz", public()),
    Route("GET", "/opportunities", public()),
    Route("GET", f"{API}/opportunities", public()),
    Route("GET", "/ocds/release-package.json", public()),
    Route("GET", "/sign-in", public()),
    Route("GET", "/register", public()),
    # Anyone may try to sign in, register or ask for a token: an empty form is refused
    # field by field (rule 16) and changes nothing.
    Route("POST", "/sign-in", public(400), body=empty),
    Route("POST", "/register", public(400), body=empty),
    Route("POST", f"{API}/registrations", public(400), body=empty),
    Route("POST", f"{API}/tokens", public(400), body=empty),
    # The API's documentation (DESIGN "Interfaces": OpenAPI at /schema); an unknown
    # document is not found.
    *(
        Route("GET", f"/schema{tail}", public())
        for tail in (
            "",
            "/elements",
            "/oauth2-redirect.html",
            "/openapi.json",
            "/openapi.yaml",
            "/openapi.yml",
            "/rapidoc",
            "/redoc",
            "/swagger",
        )
    ),
    Route("GET", "/schema/{path:str}", public(404)),
    Route("GET", "/static/{file_path:path}", public()),
    Route("GET", "/static/govuk/{file_path:path}", public()),
    # Anyone signed in: their own account ------------------------------------------------
    Route("GET", "/account", signed_in(200)),
    Route("GET", "/account/password", signed_in(200)),
    Route("POST", "/account/password", signed_in(400), body=empty),
    Route("GET", f"{API}/me", signed_in(200, api=True)),
    # Signing out ends the session wherever it is sent next.
    Route(
        "POST",
        "/account/sign-out-everywhere",
        signed_in(303),
        body=empty,
        redirects_anywhere=True,
        ends_session=True,
    ),
    Route("POST", "/sign-out", public(303), body=empty, redirects_anywhere=True, ends_session=True),
    # A provider's lists (rule 4) ---------------------------------------------------------
    Route("GET", "/bids", provider_lists()),
    Route("GET", "/my-opportunities", provider_lists()),
    Route("GET", f"{API}/bids", provider_lists(api=True)),
    Route("GET", f"{API}/my-opportunities", provider_lists(api=True)),
    # Officers' lists and new tenders (DESIGN "Users": officers create tenders); an empty
    # form is refused field by field.
    Route("GET", "/tenders", officers()),
    Route("GET", "/tenders/new", officers()),
    Route("POST", "/tenders/new", officers(400), body=empty),
    Route("GET", f"{API}/officer/tenders", officers(api=True)),
    Route("POST", f"{API}/tenders", officers(400, api=True), body=empty),
    # The panels one sits on: council staff, each sees its own seats (DESIGN: panel
    # roles are per tender and lot); providers have none.
    Route("GET", "/evaluations", {**everyone(200), PA: 403, PB: 403, V: 303}),
    Route("GET", f"{API}/evaluations", {**everyone(200), PA: 403, PB: 403, V: 401}),
    # Colleagues (DESIGN "Users"): the organisation's users, managed by its officers or
    # provider users; the user asked about is council A's evaluator, so another
    # organisation does not find them. An empty new user is refused field by field; the
    # role given is the one they have, so the change changes nothing that matters.
    Route("GET", "/organisation/users", colleagues(200)),
    Route("GET", "/organisation/users/new", colleagues(200)),
    Route("POST", "/organisation/users/new", colleagues(400, other=400), body=empty),
    Route("GET", f"{API}/organisation/users", colleagues(200, api=True)),
    Route("POST", f"{API}/organisation/users", colleagues(400, other=400, api=True), body=empty),
    Route("GET", "/organisation/users/{user_id:str}", colleagues(200, other=404, providers=403)),
    Route(
        "POST",
        "/organisation/users/{user_id:str}",
        colleagues(303, other=404, providers=403),
        body=same_role,
    ),
    Route("GET", f"{API}/organisation/users/{{user_id:str}}", colleagues(200, other=404, api=True)),
    Route(
        "PATCH",
        f"{API}/organisation/users/{{user_id:str}}",
        colleagues(200, other=404, providers=403, api=True),
        body=same_role,
    ),
    # A tender as the public sees it (DESIGN "Users": a visitor reads published
    # opportunities; rule 6: clarification answers are published) ---------------------------
    Route("GET", OPP, opportunity(), shows=TITLE),
    Route("GET", f"{OPP}/deadline.ics", opportunity()),
    Route(
        "GET",
        f"{OPP}/documents/{{document_id:str}}",
        # Its officer checks the documents of its own draft.
        {**opportunity(), OA: 200},
        shows=DOCUMENT_TEXT.encode(),
    ),
    Route("GET", "/ocds/tenders/{tender_id:str}/releases.json", opportunity()),
    Route("GET", f"{API}{T}", opportunity(api=True), shows=TITLE),
    Route("GET", f"{API}{T}/clarifications", opportunity(api=True)),
    # A provider's actions on an opportunity (DESIGN "Users": provider user registers
    # interest, asks questions, bids): while it takes bids; clarification questions until
    # their deadline (only the published tender's is still ahead).
    Route("POST", f"{OPP}/interest", providers(while_open(303)), body=empty),
    # Withdrawing interest stops the messages: allowed whenever the tender is public.
    Route("POST", f"{OPP}/interest/withdraw", providers(303), body=empty),
    Route("POST", f"{API}{OPP}/interest", providers(while_open(200), api=True)),
    Route("DELETE", f"{API}{OPP}/interest", providers(204, api=True)),
    Route("GET", f"{OPP}/questions/new", providers(while_open(200))),
    Route("POST", f"{OPP}/questions/new", providers(while_open(303)), body=question),
    Route("POST", f"{API}{OPP}/questions", providers(while_open(201), api=True), body=question),
    # Starting a bid: provider A already has one, provider B starts its own (rule 1).
    Route("POST", f"{OPP}/bid", providers(while_open(303)), body=empty),
    Route("POST", f"{API}{T}/bid", providers(while_open(201), api=True)),
    # Provider A's bid (rules 1, 2 and 4) -----------------------------------------------------
    Route("GET", BID, own_bid(200)),
    Route("GET", f"{BID}/lots", own_bid(200)),
    Route("GET", f"{LOT}/sections/{{section_id:str}}", own_bid(200), shows=ANSWER.encode()),
    Route("GET", f"{LOT}/prices", own_bid(200), shows=PRICE_SHOWN[0]),
    Route(
        "GET",
        f"{LOT}/questions/{{question_id:str}}/evidence",
        own_bid(200),
        shows=b"SEALED-MARKER-NAME",
    ),
    Route("GET", EVIDENCE, own_bid(200), shows=FILE_TEXT.encode()),
    Route("GET", f"{BID}/check", own_bid(200), shows=ANSWER.encode()),
    Route("GET", RECEIPT, own_bid(200)),
    Route("GET", f"{RECEIPT}/receipt.pdf", own_bid(200), shows=PDF),
    Route("GET", f"{BID}/withdraw", own_bid(200)),
    Route("GET", f"{API}{BID}", own_bid(200, api=True), shows=ANSWER.encode()),
    Route("GET", f"{API}{EVIDENCE}", own_bid(200, api=True), shows=FILE_TEXT.encode()),
    Route("GET", f"{API}{RECEIPT}", own_bid(200, api=True)),
    Route("GET", f"{API}{RECEIPT}/receipt.pdf", own_bid(200, api=True), shows=PDF),
    # The decision on the bid (rule 12): the page says what there is; the notices and the
    # API's decision exist once issued.
    Route("GET", f"{BID}/decision", own_bid(200)),
    Route(
        "GET", f"{BID}/notices/{{notice_id:str}}", own_bid(by_state(404, (NOTICES, 200))), shows=PDF
    ),
    Route("GET", f"{API}{BID}/decision", own_bid(by_state(404, (NOTICES, 200)), api=True)),
    Route(
        "GET",
        f"{API}{BID}/notices/{{notice_id:str}}",
        own_bid(by_state(404, (NOTICES, 200)), api=True),
        shows=PDF,
    ),
    # The bidder's changes, while the tender takes bids (rule 1).
    Route("POST", f"{BID}/lots", own_bid(while_open(303)), body=bid_body(lots_form)),
    Route(
        "POST",
        f"{LOT}/sections/{{section_id:str}}",
        own_bid(while_open(303)),
        body=bid_body(section_form),
    ),
    Route("POST", f"{LOT}/prices", own_bid(while_open(303)), body=bid_body(prices_form)),
    Route(
        "POST",
        f"{LOT}/questions/{{question_id:str}}/evidence",
        own_bid(while_open(303)),
        upload=True,
    ),
    Route("PUT", f"{API}{BID}/lots", own_bid(while_open(200), api=True), body=bid_body(lots_json)),
    Route(
        "PUT",
        f"{API}{LOT}/answers/{{question_id:str}}",
        own_bid(while_open(200), api=True),
        body=bid_body(answer_json),
    ),
    Route(
        "PUT",
        f"{API}{LOT}/prices/{{item_id:str}}",
        own_bid(while_open(200), api=True),
        body=bid_body(price_json),
    ),
    Route(
        "POST",
        f"{API}{LOT}/questions/{{question_id:str}}/evidence",
        own_bid(while_open(201), api=True),
        upload=True,
    ),
    Route("POST", f"{BID}/submit", own_bid(while_open(303)), body=submission),
    Route("POST", f"{API}{BID}/submissions", own_bid(while_open(201), api=True), body=submission),
    # Removing the evidence, then withdrawing, last: they undo the bid.
    Route("POST", f"{EVIDENCE}/remove", own_bid(while_open(303)), body=empty),
    Route("DELETE", f"{API}{EVIDENCE}", own_bid(while_open(204), api=True)),
    Route("POST", f"{BID}/withdraw", own_bid(while_open(303)), body=withdrawal),
    Route(
        "POST",
        f"{API}{BID}/withdrawal",
        own_bid(while_open(200), api=True),
        body=withdrawal,
    ),
)

#: Council A's tender, as its officers work on it.
COUNCIL_ROUTES: tuple[Route, ...] = (
    # The officer's tender page says how many bids each lot has, all that rule 2 lets the
    # council see before opening; the preview shows the tender as providers will.
    Route("GET", T, council(200), shows=TITLE),
    Route("GET", f"{T}/preview", council(200), shows=TITLE),
    # Authoring (rule 5): a draft's details, lots, sections, questions and prices change
    # until publication, then are frozen (409). An empty form is refused field by field.
    Route("GET", f"{T}/edit", council(DRAFT_ONLY)),
    Route("POST", f"{T}/edit", council(DRAFT_POST), body=empty),
    Route("GET", f"{T}/lots/new", council(DRAFT_ONLY)),
    Route("POST", f"{T}/lots/new", council(DRAFT_POST), body=empty),
    Route("GET", f"{T}/lots/{{lot_id:str}}", council(DRAFT_ONLY)),
    Route("POST", f"{T}/lots/{{lot_id:str}}", council(DRAFT_POST), body=empty),
    Route("GET", f"{T}/sections/new", council(DRAFT_ONLY)),
    Route("POST", f"{T}/sections/new", council(DRAFT_POST), body=empty),
    Route("GET", f"{T}/sections/{{section_id:str}}", council(DRAFT_ONLY)),
    Route("POST", f"{T}/sections/{{section_id:str}}", council(DRAFT_POST), body=empty),
    Route("GET", f"{T}/questions/new", council(DRAFT_ONLY)),
    Route("POST", f"{T}/questions/new", council(DRAFT_POST), body=empty),
    Route("POST", f"{T}/outcome-tests", council(DRAFT_POST), body=empty),
    Route("GET", f"{T}/lots/{{lot_id:str}}/prices/new", council(DRAFT_ONLY)),
    Route("POST", f"{T}/lots/{{lot_id:str}}/prices/new", council(DRAFT_POST), body=empty),
    Route("PATCH", f"{API}{T}", council(DRAFT_POST, api=True), body=empty),
    Route("POST", f"{API}{T}/lots", council(DRAFT_POST, api=True), body=empty),
    Route("POST", f"{API}{T}/sections", council(DRAFT_POST, api=True), body=empty),
    Route("POST", f"{API}{T}/questions", council(DRAFT_POST, api=True), body=empty),
    Route("POST", f"{API}{T}/outcome-tests", council(DRAFT_POST, api=True), body=empty),
    Route(
        "POST",
        f"{API}{T}/lots/{{lot_id:str}}/prices",
        council(DRAFT_POST, api=True),
        body=empty,
    ),
    # The draft's spares are removed (its first lot, question and price stay for the rest).
    Route(
        "POST",
        f"{T}/lots/{{lot_id:str}}/prices/{{item_id:str}}/remove",
        council(by_state(409, (State.DRAFT, 303))),
        body=empty,
        use={"lot_id": "spare_lot_id", "item_id": "spare_item_id"},
    ),
    Route(
        "POST",
        f"{T}/questions/{{question_id:str}}/remove",
        council(by_state(409, (State.DRAFT, 303))),
        body=empty,
        use={"question_id": "spare_question_id"},
    ),
    Route(
        "POST",
        f"{T}/lots/{{lot_id:str}}/remove",
        council(by_state(409, (State.DRAFT, 303))),
        body=empty,
        use={"lot_id": "spare_lot_id"},
    ),
    # Publication: the draft is published by the page; the API's then meets it done.
    Route("GET", f"{T}/publish", council(DRAFT_ONLY)),
    # The draft's deadline has passed by the final instant: publishing it is refused for
    # that, field by field (a real officer would set a new deadline first).
    Route("POST", f"{T}/publish", council(DRAFT_POST), body=empty),
    Route("POST", f"{API}{T}/publish", council(DRAFT_POST, api=True), body=empty),
    # After publication (rule 5): documents (addenda) and clarifications (rule 6) while
    # the tender is live; deadline extensions likewise; an empty form is refused.
    Route("GET", f"{T}/documents/new", council(by_state(409, (S[:2], 200)))),
    Route("POST", f"{T}/documents/new", council(by_state(409, (S[:2], 400))), upload=True),
    # The forms are shown (with what the state allows); an empty one is refused for its
    # input whatever the state.
    Route("GET", f"{T}/clarifications", council(200)),
    Route("GET", f"{T}/clarifications/new", council(200)),
    Route(
        "POST",
        f"{T}/clarifications/new",
        council(400),
        body=empty,
    ),
    Route(
        "GET",
        f"{T}/clarifications/{{clarification_id:str}}/answer",
        council(by_state(200, (State.DRAFT, 404))),
    ),
    Route(
        "POST",
        f"{T}/clarifications/{{clarification_id:str}}/answer",
        council(by_state(400, (State.DRAFT, 404))),
        body=empty,
    ),
    Route(
        "POST",
        f"{API}{T}/clarifications",
        council(400, api=True),
        body=empty,
    ),
    Route(
        "POST",
        f"{API}{T}/clarifications/{{clarification_id:str}}/answer",
        council(by_state(400, (State.DRAFT, 404)), api=True),
        body=empty,
    ),
    Route("GET", f"{T}/extend", council(200)),
    Route("POST", f"{T}/extend", council(LIVE_POST), body=empty),
    Route(
        "POST",
        f"{API}{T}/extend",
        council(LIVE_POST, api=True),
        body=empty,
    ),
    Route("GET", f"{T}/cancel", council(200)),
    # Panels (DESIGN "Users": officers form panels), from publication until the lot is
    # signed off; the same panel again changes nothing.
    Route("GET", f"{T}/panels", council(200)),
    Route("GET", f"{API}{T}/panels", council(200, api=True)),
    Route(
        "GET",
        f"{T}/lots/{{lot_id:str}}/panel",
        council(200),
    ),
    Route(
        "POST",
        f"{T}/lots/{{lot_id:str}}/panel",
        council(by_state(303, (State.DRAFT, 409), (MODERATED, 409))),
        body=panel_form,
    ),
    Route(
        "PUT",
        f"{API}{T}/lots/{{lot_id:str}}/panel",
        council(by_state(200, (State.DRAFT, 409), (MODERATED, 409)), api=True),
        body=same_panel,
    ),
    # The conflicts record (rule 7), the council's officers' own.
    Route("GET", f"{T}/conflicts", council(200)),
    Route("GET", f"{API}{T}/conflicts", council(200, api=True)),
    # Opening (rule 2): after the deadline, by an officer; opened once.
    Route("POST", f"{T}/open", council(by_state(409, (State.CLOSED, 303))), body=empty),
    Route("GET", f"{T}/bids", council(ONCE_OPENED)),
    Route("GET", f"{T}/bids/{{bid_id:str}}", council(ONCE_OPENED), shows=ANSWER.encode()),
    Route(
        "GET",
        f"{T}/bids/{{bid_id:str}}/files/{{sha256:str}}",
        council(ONCE_OPENED),
        shows=FILE_TEXT.encode(),
    ),
    # The award (rules 11-13): the report of a moderated tender, approved by an officer
    # off the panel (an empty approval lacks its reasons), notices issued once approved,
    # confirmed after the standstill; the decision record once awarded.
    # The award page says where the award stands, in every state.
    Route("GET", AWARD, council(200)),
    Route("GET", f"{API}{AWARD}", council(200, api=True)),
    Route("POST", f"{AWARD}/approve", council(400), body=empty),
    Route(
        "POST",
        f"{API}{AWARD}/approve",
        council(400, api=True),
        body=no_reasons,
    ),
    Route(
        "GET",
        f"{AWARD}/reports/{{report_file:str}}",
        council(by_state(404, (NOTICES, 200))),
        shows=PDF,
    ),
    Route(
        "GET",
        f"{API}{AWARD}/reports/{{report_file:str}}",
        council(by_state(404, (NOTICES, 200)), api=True),
        shows=PDF,
    ),
    # The API's notices are the bidders' too (rule 12): each bidder its own and the public
    # award notice, once issued; a provider with no bid, the public notice.
    Route(
        "GET",
        f"{API}{AWARD}/notices",
        {**council(NOTICES_ON, api=True), PA: NOTICES_ON, PB: NOTICES_ON},
    ),
    Route(
        "GET",
        f"{AWARD}/notices/{{notice_id:str}}",
        council(by_state(404, (NOTICES, 200))),
        shows=PDF,
    ),
    Route(
        "GET",
        f"{API}{AWARD}/notices/{{notice_id:str}}",
        {**council(NOTICES_ON, api=True), PA: NOTICES_ON, PB: 404},
        shows=PDF,
    ),
    # Issuing or confirming again has the effect of once (rule 15).
    Route("POST", f"{AWARD}/notices", council(by_state(409, (State.APPROVED, 303))), body=empty),
    Route(
        "POST",
        f"{API}{AWARD}/notices",
        council(by_state(409, (State.APPROVED, 200)), api=True),
        body=empty,
    ),
    Route("POST", f"{AWARD}/confirm", council(by_state(409, (State.AWARDED, 303))), body=empty),
    Route(
        "POST",
        f"{API}{AWARD}/confirm",
        council(by_state(409, (State.AWARDED, 200)), api=True),
        body=empty,
    ),
    Route("GET", f"{AWARD}/decision-record", council(by_state(409, (NOTICES, 200)))),
    Route(
        "GET",
        f"{API}{AWARD}/decision-record",
        council(by_state(409, (NOTICES, 200)), api=True),
    ),
    # A new report of a moderated tender (a PDF), last: approval is against the latest.
    Route("POST", f"{AWARD}/reports", council(by_state(409, (State.MODERATED, 303))), body=empty),
    Route(
        "POST",
        f"{API}{AWARD}/reports",
        council(by_state(409, (State.MODERATED, 201)), api=True),
        body=empty,
    ),
)

#: Lot 1's panel: before opening its members see that the bids are sealed (rule 2); then
#: each declares (rule 7); the cleared evaluator scores blind (rule 8), the moderator
#: agrees the consensus and signs off (rule 9); results are computed (rule 10).
SEALED_THEN = by_state(200)
#: Declarations name the bidders: once opened (rule 7).
DECLARING = by_state(403, (OPENED, 200))
DECLARED = by_state(403, (OPENED, 400))
CLEARED = by_state(403, (OPENED, 200))
SCORING = by_state(403, (State.OPENED, 303), (MODERATED, 409))
SCORING_API = by_state(403, (State.OPENED, 200), (MODERATED, 409))
#: Submitting again has the effect of once (rule 15).
SUBMITTING = by_state(403, (OPENED, 303))
SUBMITTING_API = by_state(403, (OPENED, 200))
#: The moderator meets consensus only once every evaluator has submitted (rule 9): in the
#: opened tender the evaluator has not yet.
MODERATING = by_state(403, (State.OPENED, 409), (MODERATED, 409))
WAITING = MODERATING
#: The consensus waits for every evaluator on the panel (rule 9): in the opened tender
#: the conflicted evaluator still sits on it and can never submit, so the moderator
#: meets "waiting for"; once signed off, a repeated sign-off changes nothing.
SIGNING_OFF = by_state(403, (State.OPENED, 409), (MODERATED, 303))
SIGNING_OFF_API = by_state(403, (State.OPENED, 409), (MODERATED, 200))
#: Results are computed from the signed-off consensus (rule 10).
MODERATED_ON = by_state(403, (MODERATED, 200), (State.OPENED, 409))

PANEL_ROUTES: tuple[Route, ...] = (
    Route("GET", EVAL, panel(SEALED_THEN, SEALED_THEN, conflicted=SEALED_THEN)),
    Route("GET", f"{EVAL}/conflicts", panel(DECLARING, DECLARING, conflicted=DECLARING)),
    # Declarations once opened (rule 7): an empty one is refused field by field.
    Route("POST", f"{EVAL}/conflicts", panel(DECLARED, DECLARED, conflicted=DECLARED), body=empty),
    Route(
        "PUT",
        f"{API}{EVAL}/declarations",
        panel(DECLARED, DECLARED, conflicted=DECLARED, api=True),
        body=empty,
    ),
    Route(
        "GET",
        f"{API}{EVAL}/bidders",
        panel(DECLARING, DECLARING, conflicted=DECLARING, api=True, officer=ONCE_OPENED),
    ),
    Route("GET", EVAL_BID, panel(CLEARED), shows=ANSWER.encode()),
    Route("GET", f"{API}{EVAL_BID}", panel(CLEARED, api=True), shows=ANSWER.encode()),
    Route(
        "GET", f"{EVAL_BID}/files/{{sha256:str}}", panel(CLEARED, CLEARED), shows=FILE_TEXT.encode()
    ),
    Route(
        "GET",
        f"{API}{EVAL_BID}/files/{{sha256:str}}",
        panel(CLEARED, CLEARED, api=True),
        shows=FILE_TEXT.encode(),
    ),
    Route("GET", f"{EVAL}/submit", panel(CLEARED)),
    Route("GET", f"{API}{EVAL}/scores", panel(CLEARED, api=True)),
    # The moderator's grid, the council's officers beside it once opened (not on the
    # panel: they approve the award, rule 11); the matrix and results likewise.
    Route("GET", f"{EVAL}/moderation", panel(moderator=CLEARED, officer=ONCE_OPENED)),
    Route(
        "GET", f"{API}{EVAL}/moderation", panel(moderator=CLEARED, officer=ONCE_OPENED, api=True)
    ),
    # The matrix and results stand on the signed-off consensus; the evaluator, having
    # submitted, may see them then (rule 8).
    Route("GET", f"{EVAL}/matrix", panel(MODERATED_ON, MODERATED_ON, officer=MODERATED_ON)),
    Route("GET", f"{EVAL}/results", panel(MODERATED_ON, MODERATED_ON, officer=MODERATED_ON)),
    Route(
        "GET",
        f"{API}{EVAL}/results",
        panel(MODERATED_ON, MODERATED_ON, officer=MODERATED_ON, api=True),
    ),
    Route("GET", f"{EVAL}/exports/scores.csv", panel(moderator=CLEARED, officer=ONCE_OPENED)),
    Route("GET", f"{EVAL}/exports/consensus.csv", panel(moderator=CLEARED, officer=ONCE_OPENED)),
    Route(
        "GET", f"{EVAL}/exports/results.csv", panel(moderator=MODERATED_ON, officer=MODERATED_ON)
    ),
    Route(
        "GET", f"{EVAL}/exports/results.xlsx", panel(moderator=MODERATED_ON, officer=MODERATED_ON)
    ),
    Route("GET", CONSENSUS, panel(moderator=MODERATING), shows=ANSWER.encode()),
    Route("GET", f"{EVAL}/sign-off", panel(moderator=MODERATING)),
    # The evaluator's scores, then submission (locked after, rule 8), then the
    # moderator's consensus and sign-off (frozen after), in that order.
    Route("POST", EVAL_BID, panel(SCORING), body=bid_body(marks_form)),
    Route(
        "PUT", f"{API}{EVAL_BID}/scores", panel(SCORING_API, api=True), body=bid_body(scores_json)
    ),
    Route("POST", f"{EVAL}/submit", panel(SUBMITTING), body=empty),
    Route(
        "POST",
        f"{API}{EVAL}/scores/submit",
        panel(SUBMITTING_API, api=True),
        body=empty,
    ),
    Route("POST", CONSENSUS, panel(moderator=WAITING), body=bid_body(marks_form)),
    Route(
        "PUT",
        f"{API}{CONSENSUS}",
        panel(
            moderator=WAITING,
            api=True,
        ),
        body=bid_body(consensus_json),
    ),
    Route("POST", f"{EVAL}/sign-off", panel(moderator=SIGNING_OFF), body=empty),
    Route(
        "POST",
        f"{API}{EVAL}/sign-off",
        panel(moderator=SIGNING_OFF_API, api=True),
        body=empty,
    ),
)

#: Cancelling (DESIGN "Lifecycle": from any state before awarded), with its reason: the
#: last change asked of each tender; sent again with the same reason it changes nothing.
CANCELLING = (
    Route("POST", f"{T}/cancel", council(by_state(303, (State.AWARDED, 409))), body=cancellation),
    Route(
        "POST",
        f"{API}{T}/cancel",
        council(by_state(200, (State.AWARDED, 409)), api=True),
        body=cancellation,
    ),
)

TABLE: tuple[Route, ...] = ROUTES + COUNCIL_ROUTES + PANEL_ROUTES + CANCELLING
