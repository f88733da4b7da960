"""The crash test's two sides of the work, apart from the killing and the checking.

Seeding: ``python -m tests.crash.workload SCORING MODERATED`` loads what ``caretender
demo`` loads, on the database the environment configures (the server's, not the suite's),
and then, with the services, SCORING more of the demo's tenders opened with a cleared panel
ready to score and MODERATED more moderated ones ready for the award's approval. The demo
makes one of each; but scores are submitted once per evaluator and lot, and notices issued
once per tender, so a test that kills that work many times needs more of them. (One
process for both: each start of Python and the app costs a second or more.)

The client: ``Workload`` drives a running server over the JSON API as the demo's people
(providers submitting and uploading, evaluators scoring, the officer approving awards and
issuing notices) until the server is killed under it, and keeps a ``Ledger`` of what the
server acknowledged and of what was in flight when it died.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from app import accounts, demo_data
from app.accounts import CurrentUser
from app.cli import load_demo, run_on_platform
from app.platform import Platform
from app.tokens import Scope
from evaluation import demo as evaluation_demo

SUBMIT, UPLOAD, SCORE, AWARD = "bid submission", "evidence upload", "scoring", "notice issuing"
KINDS = (SUBMIT, UPLOAD, SCORE, AWARD)
#: The open demo tender the providers bid for (one lot of it each).
BID_TENDER = "Supported living block contracts"
BOUNDARY = "caretender-crash-test"
CHUNK = 64 * 1024
PDF_START = b"%PDF-1.7\n"
OFFICER = demo_data.COUNCIL_OFFICER
EVALUATORS = demo_data.COUNCIL_EVALUATORS[:2]
PROVIDERS = tuple(provider.user for provider in demo_data.PROVIDERS)
#: Marks a score of each kind of question may take.
MARKS = {
    "pass_fail": ("pass", "fail"),
    "scale": ("0", "1", "2", "3", "4", "5"),
    "outcome_test": ("yes", "partially", "no"),
}


# Seeding (in a process of its own, on the server's database) -----------------------------


async def _signed_in(platform: Platform, person: demo_data.DemoUser) -> CurrentUser:
    user, _ = await accounts.sign_in(
        platform, {"email": person.email, "password": person.password}, "127.0.0.1", Scope.API
    )
    return user


def seed() -> None:
    scoring, moderated = (int(count) for count in sys.argv[1:3])

    async def work(platform: Platform) -> None:
        assert await load_demo(platform), "the database already holds the demo"
        officer = await _signed_in(platform, demo_data.COUNCIL_OFFICER)
        *evaluators, moderator = [
            await _signed_in(platform, person) for person in demo_data.COUNCIL_EVALUATORS
        ]
        moderating_officer = await _signed_in(platform, demo_data.COUNCIL_MODERATING_OFFICER)
        providers = [await _signed_in(platform, p.user) for p in demo_data.PROVIDERS]
        for _ in range(scoring):
            await evaluation_demo.load(platform, officer, evaluators, moderator, providers)
        for _ in range(moderated):
            await evaluation_demo.load_moderated(
                platform, officer, evaluators, moderating_officer, providers
            )

    run_on_platform(work)


# The client ---------------------------------------------------------------------------


class Killed(Exception):
    """The server went away under a request."""


@dataclass
class Trigger:
    """Between the work and the killer: ``reached`` when the work is where the kill was
    drawn for (an upload part-sent), ``killed`` once the server is dead."""

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    killed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class BidAt:
    provider: str
    id: str
    lot_id: str
    #: (question id, kind) of the lot's questions.
    questions: list[tuple[str, str]]


@dataclass
class Seat:
    """An evaluator's place on a lot's panel, to score."""

    evaluator: str
    evaluator_id: str
    tender_id: str
    lot_id: str
    bid_ids: list[str]
    questions: list[tuple[str, str]]
    submitted: bool = False
    scored: set[str] = field(default_factory=set)


@dataclass
class Ledger:
    """What the server acknowledged, and what it was sent and never answered ("maybe":
    it may or may not have happened). Keys are plain strings, as the database gives them."""

    #: Submissions by request key: (bid id, submission id, digest).
    submissions: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: Submissions sent and not answered: request key → bid id.
    maybe_submissions: dict[str, str] = field(default_factory=dict)
    #: Answers by (bid, lot, question): the text last acknowledged, and one in flight.
    answers: dict[tuple[str, str, str], str] = field(default_factory=dict)
    maybe_answers: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: Evidence by id: (bid id, sha256, size); uploads in flight: (bid id, sha256).
    evidence: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    maybe_evidence: list[tuple[str, str]] = field(default_factory=list)
    #: Scores by (lot, bid, question, evaluator id): (mark, rationale).
    scores: dict[tuple[str, str, str, str], tuple[str, str]] = field(default_factory=dict)
    maybe_scores: dict[tuple[str, str, str, str], tuple[str, str]] = field(default_factory=dict)
    #: Score sheets submitted: (lot, evaluator id).
    sheets: set[tuple[str, str]] = field(default_factory=set)
    #: Award reports made (id → sha256), awards approved, notices issued: by tender.
    reports: dict[str, str] = field(default_factory=dict)
    approved: set[str] = field(default_factory=set)
    issued: set[str] = field(default_factory=set)
    #: What each acknowledged request was, counted.
    done: Counter[str] = field(default_factory=Counter)
    #: The request in flight when the server died, by kind of work: counted.
    killed_during: Counter[str] = field(default_factory=Counter)
    #: Answers the tests did not expect (a 5xx, a refusal): each described.
    unexpected: list[str] = field(default_factory=list)


class Workload:
    """The demo's people at work on one server; ``run(kind)`` works until killed."""

    def __init__(self, rng: random.Random, ledger: Ledger) -> None:
        self.rng = rng
        self.ledger = ledger
        self.http: httpx.AsyncClient | None = None
        self.tokens: dict[str, dict[str, str]] = {}
        self.bids: list[BidAt] = []
        self.seats: list[Seat] = []
        #: Moderated tenders to approve and issue notices for, in turn.
        self.awards: list[str] = []
        self.revision = 0
        #: Set the event this long after the request of this label is sent.
        self.kill_point: tuple[str, float, asyncio.Event] | None = None
        #: Requests to save scores before one evaluator submits theirs, this round.
        self.saves_before_submit = 0

    # Requests -------------------------------------------------------------------------

    async def call(
        self,
        label: str,
        who: str,
        method: str,
        url: str,
        expect: tuple[int, ...],
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        """The response if its status is one of ``expect``; None (and noted as unexpected)
        otherwise. Raises ``Killed`` (with ``label``) when the server goes away."""
        assert self.http is not None
        if self.kill_point is not None and self.kill_point[0] == label:
            # The kill is drawn as a moment after this request is sent.
            asyncio.get_running_loop().call_later(self.kill_point[1], self.kill_point[2].set)
            self.kill_point = None
        try:
            response = await self.http.request(
                method, url, headers={**self.tokens[who], **(headers or {})}, **kwargs
            )
        except httpx.TransportError as error:
            raise Killed(label) from error
        if response.status_code not in expect:
            self.ledger.unexpected.append(
                f"{method} {url} as {who}: {response.status_code} {response.text[:300]}"
            )
            return None
        self.ledger.done[label] += 1
        return response

    async def sign_in(self, http: httpx.AsyncClient) -> None:
        """Bearer tokens for everyone (they outlive the run: CARETENDER_API_TOKEN_HOURS)."""
        for person in (OFFICER, *EVALUATORS, *PROVIDERS):
            response = await http.post(
                "/api/v1/tokens", json={"email": person.email, "password": person.password}
            )
            assert response.status_code == 201, response.text
            self.tokens[person.email] = {"Authorization": f"Bearer {response.json()['token']}"}

    # Setting up, on the first server, before any kill ---------------------------------

    async def set_up(self, http: httpx.AsyncClient) -> None:
        self.http = http
        await self.sign_in(http)
        await self._bids()
        await self._seats()
        listed = await self.call(
            "list tenders", OFFICER.email, "GET", "/api/v1/officer/tenders", (200,)
        )
        assert listed is not None
        self.awards = [
            tender["id"] for tender in listed.json()["items"] if tender["status"] == "moderated"
        ]

    async def _bids(self) -> None:
        """A bid from each provider for the first lot of the open demo tender, submitted."""
        first = PROVIDERS[0].email
        found = await self.call("opportunities", first, "GET", "/api/v1/opportunities", (200,))
        assert found is not None
        (tender_id,) = [t["id"] for t in found.json()["items"] if t["title"] == BID_TENDER]
        read = await self.call("tender", first, "GET", f"/api/v1/tenders/{tender_id}", (200,))
        assert read is not None
        tender = read.json()
        lot = tender["lots"][0]
        questions = [
            (question["id"], question["kind"])
            for section in tender["sections"]
            for question in section["questions"]
            if question["lot_id"] in (None, lot["id"])
        ]
        for person in PROVIDERS:
            who = person.email
            started = await self.call(
                "start bid", who, "POST", f"/api/v1/tenders/{tender_id}/bid", (201,)
            )
            assert started is not None
            bid = BidAt(who, started.json()["id"], lot["id"], questions)
            chosen = await self.call(
                "choose lots",
                who,
                "PUT",
                f"/api/v1/bids/{bid.id}/lots",
                (200,),
                json={"lot_ids": [lot["id"]], "version": started.json()["version"]},
            )
            assert chosen is not None
            for question_id, kind in questions:
                body = (
                    {"declaration": "yes", "version": 0}
                    if kind == "pass_fail"
                    else {"text": f"{person.name}'s answer.", "version": 0}
                )
                saved = await self.call(
                    "save answer", who, "PUT", self._answer_url(bid, question_id), (200,), json=body
                )
                assert saved is not None
            for item in lot["price_items"]:
                saved = await self.call(
                    "save price",
                    who,
                    "PUT",
                    f"/api/v1/bids/{bid.id}/lots/{lot['id']}/prices/{item['id']}",
                    (200,),
                    json={"unit_price_pence": item["reference_price_pence"], "version": 0},
                )
                assert saved is not None
            self.bids.append(bid)
            await self._submit(bid)

    async def _seats(self) -> None:
        """Each evaluator's seats on lots ready to score."""
        for person in EVALUATORS:
            who = person.email
            me = await self.call("me", who, "GET", "/api/v1/me", (200,))
            assert me is not None
            for seat in await self._every_seat(who):
                if seat["role"] != "evaluator" or seat["tender_status"] != "opened":
                    continue
                url = f"/api/v1/evaluations/{seat['tender_id']}/lots/{seat['lot_id']}/scores"
                sheet = await self.call("score sheet", who, "GET", url, (200,))
                assert sheet is not None
                self.seats.append(
                    Seat(
                        who,
                        me.json()["id"],
                        seat["tender_id"],
                        seat["lot_id"],
                        [bid["bid_id"] for bid in sheet.json()["bids"]],
                        [(q["id"], q["kind"]) for q in sheet.json()["questions"]],
                    )
                )

    async def _every_seat(self, who: str) -> list[dict]:
        """The evaluator's seats from every page of the list."""
        seats: list[dict] = []
        page, pages = 1, 1
        while page <= pages:
            url = f"/api/v1/evaluations?page={page}"
            listed = await self.call("seats", who, "GET", url, (200,))
            assert listed is not None
            seats += listed.json()["items"]
            pages = listed.json()["pages"]
            page += 1
        return seats

    # The kinds of work ------------------------------------------------------------------

    def can_do(self, kind: str) -> bool:
        if kind == SCORE:
            return any(not seat.submitted for seat in self.seats)
        if kind == AWARD:
            return bool(self.awards)
        return True

    async def run(self, kind: str, http: httpx.AsyncClient, trigger: Trigger) -> None:
        """Work of the kind until the server dies, telling ``trigger`` when an upload has
        reached the point this round's kill was drawn for."""
        self.http = http
        if kind == AWARD:
            # Award reports and notices take a second or two (PDFs): killed inside one of
            # the steps, or just after it.
            step, longest = self.rng.choice(
                (("award report", 1.5), ("approve award", 0.02), ("issue notices", 2.5))
            )
            self.kill_point = (step, self.rng.uniform(0.0, longest), trigger.reached)
        self.saves_before_submit = self.rng.randint(3, 15)
        work = {
            SUBMIT: self._submitting,
            UPLOAD: lambda: self._uploading(trigger),
            SCORE: self._scoring,
            AWARD: self._awarding,
        }[kind]
        try:
            await work()
        except Killed as killed:
            self.ledger.killed_during[f"{kind}: {killed}"] += 1
        else:
            self.ledger.killed_during[f"{kind}: between requests"] += 1
        finally:
            self.kill_point = None
            trigger.reached.set()  # work that ran out is killed at once

    async def retry_unanswered(self, http: httpx.AsyncClient) -> None:
        """Send again, with its request key, each submission the server never answered: as
        a provider does after a timeout. Whether or not the first was received, this one
        is acknowledged, with one receipt for the key."""
        self.http = http
        for key, bid_id in list(self.ledger.maybe_submissions.items()):
            bid = next(bid for bid in self.bids if bid.id == bid_id)
            await self._submit(bid, key)

    def _answer_url(self, bid: BidAt, question_id: str) -> str:
        return f"/api/v1/bids/{bid.id}/lots/{bid.lot_id}/answers/{question_id}"

    async def _submit(self, bid: BidAt, key: str | None = None) -> None:
        key = key or f"crash{self.rng.getrandbits(64):016x}"
        self.ledger.maybe_submissions[key] = bid.id
        submitted = await self.call(
            "submit",
            bid.provider,
            "POST",
            f"/api/v1/bids/{bid.id}/submissions",
            (201,),
            headers={"Idempotency-Key": key},
        )
        del self.ledger.maybe_submissions[key]
        if submitted is not None:
            receipt = submitted.json()
            self.ledger.submissions[key] = (bid.id, receipt["id"], receipt["digest"])

    async def _submitting(self) -> None:
        while True:
            bid = self.rng.choice(self.bids)
            if self.rng.random() < 0.5:
                await self._edit_answer(bid)
            await self._submit(bid)

    async def _edit_answer(self, bid: BidAt) -> None:
        question_id = self.rng.choice([q for q, kind in bid.questions if kind != "pass_fail"])
        read = await self.call("read bid", bid.provider, "GET", f"/api/v1/bids/{bid.id}", (200,))
        if read is None:
            return
        version = next(
            a["version"] for a in read.json()["answers"] if a["question_id"] == question_id
        )
        self.revision += 1
        text = f"Our answer, revision {self.revision}."
        place = (bid.id, bid.lot_id, question_id)
        self.ledger.maybe_answers[place] = text
        saved = await self.call(
            "save answer",
            bid.provider,
            "PUT",
            self._answer_url(bid, question_id),
            (200,),
            json={"text": text, "version": version},
        )
        del self.ledger.maybe_answers[place]
        if saved is not None:
            self.ledger.answers[place] = text

    async def _uploading(self, trigger: Trigger) -> None:
        """Uploads of a few MB each; the round's kill is drawn as a point in one of them,
        or just after one."""
        which = self.rng.randrange(3)
        fraction = self.rng.uniform(0.0, 1.15)
        for number in range(1_000):
            bid = self.rng.choice(self.bids)
            question_id = self.rng.choice([q for q, _ in bid.questions])
            content = PDF_START + self.rng.randbytes(self.rng.randint(512, 3072) * 1024)
            stop_at = int(len(content) * fraction) if number == which and fraction < 1 else None
            await self._upload(bid, question_id, content, stop_at, trigger)
            if number == which:
                trigger.reached.set()

    async def _upload(
        self,
        bid: BidAt,
        question_id: str,
        content: bytes,
        stop_at: int | None,
        trigger: Trigger,
    ) -> None:
        sha256 = hashlib.sha256(content).hexdigest()

        async def body() -> AsyncIterator[bytes]:
            yield (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
                'filename="evidence.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            for start in range(0, len(content), CHUNK):
                if stop_at is not None and start >= stop_at:
                    trigger.reached.set()
                    # The rest is held back until the server is dead: it dies mid-file.
                    await trigger.killed.wait()
                yield content[start : start + CHUNK]
            yield f"\r\n--{BOUNDARY}--\r\n".encode()

        self.ledger.maybe_evidence.append((bid.id, sha256))
        uploaded = await self.call(
            "upload (streaming)" if stop_at is not None else "upload",
            bid.provider,
            "POST",
            f"/api/v1/bids/{bid.id}/lots/{bid.lot_id}/questions/{question_id}/evidence",
            (201,),
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        self.ledger.maybe_evidence.remove((bid.id, sha256))
        if uploaded is not None:
            found = uploaded.json()
            assert found["sha256"] == sha256, found
            self.ledger.evidence[found["id"]] = (bid.id, found["sha256"], found["size"])

    async def _scoring(self) -> None:
        """Scores saved bid by bid, again and again, on one evaluator's seat after another;
        one seat a round, once its every bid is scored and enough saves are made, is
        submitted (which locks its scores): there are only so many."""
        while open_seats := [seat for seat in self.seats if not seat.submitted]:
            seat = self.rng.choice(open_seats)
            if await self._submitted_already(seat):
                continue
            while not seat.submitted:
                self.saves_before_submit -= 1
                if len(seat.scored) == len(seat.bid_ids) and self.saves_before_submit <= 0:
                    self.saves_before_submit = sys.maxsize
                    await self._submit_scores(seat)
                    break
                await self._save_scores(seat, self.rng.choice(seat.bid_ids))

    async def _submitted_already(self, seat: Seat) -> bool:
        """Whether the server that died had submitted the seat's scores, unanswered."""
        url = f"/api/v1/evaluations/{seat.tender_id}/lots/{seat.lot_id}/scores"
        sheet = await self.call("score sheet", seat.evaluator, "GET", url, (200,))
        if sheet is None or sheet.json()["submitted_at"] is None:
            return False
        seat.submitted = True
        self.ledger.sheets.add((seat.lot_id, seat.evaluator_id))
        return True

    async def _save_scores(self, seat: Seat, bid_id: str) -> None:
        self.revision += 1
        given = {
            question_id: (self.rng.choice(MARKS[kind]), f"Scored at save {self.revision}.")
            for question_id, kind in seat.questions
        }
        places = {
            (seat.lot_id, bid_id, question_id, seat.evaluator_id): value
            for question_id, value in given.items()
        }
        self.ledger.maybe_scores.update(places)
        saved = await self.call(
            "save scores",
            seat.evaluator,
            "PUT",
            f"/api/v1/evaluations/{seat.tender_id}/lots/{seat.lot_id}/bids/{bid_id}/scores",
            (200,),
            json={
                "scores": [
                    {"question": question_id, "mark": mark, "rationale": rationale}
                    for question_id, (mark, rationale) in given.items()
                ]
            },
        )
        for place in places:
            del self.ledger.maybe_scores[place]
        if saved is not None:
            self.ledger.scores.update(places)
            seat.scored.add(bid_id)

    async def _submit_scores(self, seat: Seat) -> None:
        submitted = await self.call(
            "submit scores",
            seat.evaluator,
            "POST",
            f"/api/v1/evaluations/{seat.tender_id}/lots/{seat.lot_id}/scores/submit",
            (200,),
        )
        if submitted is not None:
            seat.submitted = True
            self.ledger.sheets.add((seat.lot_id, seat.evaluator_id))

    async def _awarding(self) -> None:
        """For each moderated tender in turn: the award report, the approval, the notices;
        picking up where the last server left it."""
        who = OFFICER.email
        while self.awards:
            tender_id = self.awards[0]
            url = f"/api/v1/tenders/{tender_id}/award"
            standing = await self.call("read award", who, "GET", url, (200,))
            if standing is None:
                return
            award = standing.json()
            if award["decision"] is None:
                if not award["reports"]:
                    made = await self.call("award report", who, "POST", url + "/reports", (201,))
                    if made is None:
                        return
                    self.ledger.reports[made.json()["id"]] = made.json()["sha256"]
                    sha256 = made.json()["sha256"]
                else:
                    sha256 = award["reports"][0]["sha256"]
                approved = await self.call(
                    "approve award",
                    who,
                    "POST",
                    url + "/approve",
                    (200,),
                    json={"report_sha256": sha256, "reasons": "The highest scoring bid."},
                )
                if approved is None:
                    return
                self.ledger.approved.add(tender_id)
            issued = await self.call("issue notices", who, "POST", url + "/notices", (200,))
            if issued is None:
                return
            self.ledger.issued.add(tender_id)
            self.awards.pop(0)


if __name__ == "__main__":
    seed()
