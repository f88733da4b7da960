"""Evaluation through the API, with bearer tokens: officers form the panels, members declare
their conflicts of interest, evaluators score blind and submit, the moderator agrees the
consensus and signs the lot off, and the results are computed. A lot is the business of its
council's officers and its own panel: everyone else is told it is not found."""

from __future__ import annotations

import json
from uuid import UUID, uuid4

import httpx

from app.accounts import CurrentUser
from app.clock import FixedClock
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services.moderation import MODERATOR_ONLY, NOT_FOR_EVALUATORS
from evaluation.services.panels import CONFLICTED, DECLARE_FIRST, OTHER_BIDDER
from evaluation.services.results import NOT_SIGNED_OFF
from evaluation.services.scores import MODERATOR_DOES_NOT_SCORE
from evaluation.tables import Score
from tenders.services.opening import SEALED
from tenders.services.views import QuestionView
from tenders.vocabulary import QuestionKind
from tests.conftest import bearer, buyer_officer, provider_user
from tests.evaluation.factories import (
    PROVIDERS,
    Evaluation,
    colleague,
    declare_none,
    evaluation,
    open_tender,
    score_everything,
)
from tests.tenders.bid_factories import ANSWER, submitted_bid
from tests.tenders.factories import published_tender
from tests.tenders.test_opening import PDF, with_evidence

API = "/api/v1"
OTHER_COUNCIL = ("sam.cole@derbyshire.example", "Derbyshire County Council")


def lot_url(setup: Evaluation) -> str:
    return f"{API}/evaluations/{setup.tender.id}/lots/{setup.lot.id}"


def marks_for(questions: list[QuestionView], scale: int, reason: str) -> list[dict]:
    """A pass for the pass or fail question and ``scale`` for the scored one, with reasons."""
    return [
        {
            "question": str(q.id),
            "mark": "pass" if q.kind is QuestionKind.PASS_FAIL else scale,
            "rationale": f"{reason} (question {q.number})",
        }
        for q in questions
    ]


async def put_scores(
    client: httpx.AsyncClient, headers: dict, setup: Evaluation, bid_id: UUID, body: list[dict]
) -> httpx.Response:
    return await client.put(
        f"{lot_url(setup)}/bids/{bid_id}/scores", json={"scores": body}, headers=headers
    )


async def reads_of(bid_id: UUID) -> int:
    """How many reads of the bid's content the audit log holds."""
    rows = await AuditEvent.select(AuditEvent.body).where(
        AuditEvent.action == str(AuditAction.BID_CONTENT_READ)
    )
    return sum(json.loads(row["body"])["object_id"] == str(bid_id) for row in rows)


async def headers_for(client: httpx.AsyncClient, *people: CurrentUser) -> list[dict]:
    return [await bearer(client, person.email) for person in people]


# The whole journey ------------------------------------------------------------------------


async def test_a_lot_is_evaluated_from_panel_to_results_through_the_api(
    client, platform: Platform, clock: FixedClock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    lot = tender.lots[0]
    for name, email, pence in PROVIDERS:
        provider = await provider_user(platform, email, name)
        await submitted_bid(platform, provider, tender, unit_price_pence=pence)
    amy, ben, mo = [
        await colleague(platform, officer, n) for n in ("Amy Evans", "Ben Hart", "Mo Reid")
    ]
    officer_h, mo_h = await headers_for(client, officer, mo)
    tender_url = f"{API}/tenders/{tender.id}"
    url = f"{API}/evaluations/{tender.id}/lots/{lot.id}"

    # The officer forms the panel before the deadline.
    assigned = await client.put(
        f"{tender_url}/lots/{lot.id}/panel",
        json={"evaluators": [str(ben.id), str(amy.id)], "moderator": str(mo.id)},
        headers=officer_h,
    )
    assert assigned.status_code == 200, assigned.text
    assert [m["name"] for m in assigned.json()["evaluators"]] == ["Amy Evans", "Ben Hart"]
    assert assigned.json()["moderator"] == {
        "user_id": str(mo.id),
        "name": "Mo Reid",
        "email": mo.email,
    }
    [panel] = (await client.get(f"{tender_url}/panels", headers=officer_h)).json()
    assert panel == assigned.json()
    seats = (await client.get(f"{API}/evaluations", headers=mo_h)).json()["items"]
    assert [(s["tender_id"], s["lot_id"], s["role"]) for s in seats] == [
        (str(tender.id), str(lot.id), "moderator")
    ]

    # Once the bids are opened, every member declares against the named bidders.
    await open_tender(platform, clock, officer, tender.id)
    # Tokens expire: the deadline is weeks later.
    officer_h, amy_h, ben_h, mo_h = await headers_for(client, officer, amy, ben, mo)
    bidders = (await client.get(f"{url}/bidders", headers=amy_h)).json()
    assert [b["organisation_name"] for b in bidders] == [name for name, _, _ in PROVIDERS]
    bid_ids = [UUID(b["bid_id"]) for b in bidders]
    for headers in (amy_h, ben_h, mo_h):
        declared = await client.put(
            f"{url}/declarations",
            json={
                "declarations": [
                    {"organisation": b["organisation_id"], "conflict": False} for b in bidders
                ]
            },
            headers=headers,
        )
        assert declared.status_code == 204, declared.text
    record = (await client.get(f"{tender_url}/conflicts", headers=officer_h)).json()
    assert len(record) == 9
    assert not any(line["conflict"] for line in record)

    # Each evaluator scores every bid and submits.
    sheet = (await client.get(f"{url}/scores", headers=amy_h)).json()
    assert sheet["lot"]["tender_status"] == "opened"
    assert [b["organisation_name"] for b in sheet["bids"]] == [name for name, _, _ in PROVIDERS]
    assert (sheet["scores"], sheet["submitted_at"], len(sheet["missing"])) == ([], None, 6)
    questions = sorted(tender.questions_for(lot), key=lambda q: q.number)
    scale = next(q for q in questions if q.kind is QuestionKind.SCALE)
    assert [
        m["value"] for m in next(q for q in sheet["questions"] if q["id"] == str(scale.id))["marks"]
    ] == ["0", "1", "2", "3", "4", "5"]
    # Ben reads Ashby Care's bid more kindly than Amy: a range of 2 is flagged.
    for place, bid_id in enumerate(bid_ids):
        for headers, shift, who in ((amy_h, 0, "Amy"), (ben_h, 2 if place == 0 else 0, "Ben")):
            saved = await client.put(
                f"{url}/bids/{bid_id}/scores",
                json={"scores": marks_for(questions, min(3 + place + shift, 5), who)},
                headers=headers,
            )
            assert saved.status_code == 200, saved.text
    submitted = await client.post(f"{url}/scores/submit", headers=amy_h)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted_at"] == "2026-12-11T12:00:00Z"
    assert (len(submitted.json()["scores"]), submitted.json()["missing"]) == (6, [])
    assert (await client.post(f"{url}/scores/submit", headers=ben_h)).status_code == 200

    # The moderator sees every score, the divergence flagged, and agrees the consensus.
    grid = (await client.get(f"{url}/moderation", headers=mo_h)).json()
    assert (grid["ready"], grid["moderating"], grid["waiting_for"]) == (True, True, [])
    assert (grid["flagged"], grid["agreed"], len(grid["cells"])) == (1, 0, 6)
    [flagged] = [cell for cell in grid["cells"] if cell["flag"]]
    assert (flagged["bid_id"], flagged["question_id"]) == (str(bid_ids[0]), str(scale.id))
    assert (flagged["spread"], flagged["flag"]) == ("3 to 5", "Scores range from 3 to 5")
    assert [(s["evaluator_name"], s["mark"], s["label"]) for s in flagged["scores"]] == [
        ("Amy Evans", "3", "3 satisfactory"),
        ("Ben Hart", "5", "5 excellent"),
    ]
    for place, bid_id in enumerate(bid_ids):
        agreed = await client.put(
            f"{url}/moderation/bids/{bid_id}",
            json={
                "consensus": [
                    {
                        "question": str(q.id),
                        "mark": "pass" if q.kind is QuestionKind.PASS_FAIL else str(3 + place),
                        "rationale": "Agreed at moderation",
                    }
                    for q in questions
                ]
            },
            headers=mo_h,
        )
        assert agreed.status_code == 200, agreed.text
    signed = await client.post(f"{url}/sign-off", headers=mo_h)
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed_off"]["by"] == "Mo Reid"
    assert (signed.json()["agreed"], signed.json()["missing"]) == (6, [])

    # The results follow: Cedar Support best on quality and cheapest.
    response = await client.get(f"{url}/results", headers=officer_h)
    assert response.status_code == 200, response.text
    results = response.json()
    assert results["signed_off"]["by"] == "Mo Reid"
    assert results["lot"]["tender_status"] == "moderated"
    ranked = [
        (r["organisation_name"], r["rank"], r["total"], r["quality"], r["price"], r["awarded"])
        for r in results["results"]
    ]
    assert ranked == [
        ("Cedar Support", 1, "100.00", "60.00", "40.00", True),
        ("Birch Homes", 2, "84.25", "48.00", "36.25", True),
        ("Ashby Care", 3, "74.67", "36.00", "38.67", True),
    ]
    cedar, birch, _ = results["results"]
    assert cedar["basket_pence"] == 1450 * 5200
    assert [(s["name"], s["score"]) for s in cedar["sections"]] == [
        ("Quality", "60.00"),
        ("Price", "40.00"),
    ]
    assert "Total: 100.00 of 100 points" in cedar["explanation"]
    assert "Ranked 1st of 3; awarded (the lot awards 3 providers)" in cedar["explanation"]
    assert [(f["kind"], f["unit_price_pence"], f["reference_pence"]) for f in birch["flags"]] == [
        ("above_reference", 1600, 1587)
    ]
    assert {(c["question_id"], c["label"]) for c in cedar["consensus"]} == {
        (str(q.id), "Pass" if q.kind is QuestionKind.PASS_FAIL else "5 excellent")
        for q in questions
    }
    # The panel reads the same results.
    assert (await client.get(f"{url}/results", headers=amy_h)).json() == results


# Blind scoring ----------------------------------------------------------------------------


async def test_an_evaluator_sees_no_other_scores_until_submitting_their_own(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    await score_everything(platform, setup, ben)
    [amy_h] = await headers_for(client, amy)
    bid_id = setup.bid_ids[0]
    reading_url = f"{lot_url(setup)}/bids/{bid_id}"
    for place, each in enumerate(setup.bid_ids):
        saved = await put_scores(client, amy_h, setup, each, marks_for(setup.questions, 4, "Amy"))
        assert saved.status_code == 200, saved.text
        assert saved.json()["bids"][place]["scored"] == 2
    before = await reads_of(bid_id)

    blind = await client.get(reading_url, headers=amy_h)
    assert blind.status_code == 200, blind.text
    reading = blind.json()
    assert (reading["blind"], reading["others"], reading["submitted_at"]) == (True, [], None)
    assert reading["bid"]["organisation_name"] == "Ashby Care"
    assert (reading["previous_bid_id"], reading["next_bid_id"]) == (None, str(setup.bid_ids[1]))
    scale = next(q for q in setup.questions if q.kind is QuestionKind.SCALE)
    answers = {a["question_id"]: a for a in reading["answers"]}
    assert answers[str(scale.id)]["text"] == ANSWER
    assert [(s["evaluator_name"], s["mark"]) for s in reading["scores"]] == [
        ("Amy Evans", "pass"),
        ("Amy Evans", "4"),
    ]
    assert await reads_of(bid_id) == before + 1  # every read is audited

    assert (await client.post(f"{lot_url(setup)}/scores/submit", headers=amy_h)).is_success
    reading = (await client.get(reading_url, headers=amy_h)).json()
    assert reading["blind"] is False
    assert [(s["evaluator_name"], s["question_id"], s["mark"]) for s in reading["others"]] == [
        ("Ben Hart", str(q.id), "pass" if q.kind is QuestionKind.PASS_FAIL else "3")
        for q in setup.questions
    ]
    assert all(s["rationale"].startswith("Ben Hart: reason") for s in reading["others"])


async def test_the_panel_downloads_a_bids_files_as_attachments(
    client, platform: Platform, clock: FixedClock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    lot = tender.lots[0]
    provider = await provider_user(platform)
    bid_id, _, sha256 = await with_evidence(platform, provider, tender, b"")
    amy = await colleague(platform, officer, "Amy Evans")
    [officer_h, amy_h] = await headers_for(client, officer, amy)
    panel = await client.put(
        f"{API}/tenders/{tender.id}/lots/{lot.id}/panel",
        json={"evaluators": [str(amy.id)]},
        headers=officer_h,
    )
    assert panel.json()["moderator"] is None
    await open_tender(platform, clock, officer, tender.id)
    await declare_none(platform, amy, tender.id, lot.id)
    [amy_h] = await headers_for(client, amy)
    url = f"{API}/evaluations/{tender.id}/lots/{lot.id}/bids/{bid_id}"

    reading = (await client.get(url, headers=amy_h)).json()
    [evidence] = [file for answer in reading["answers"] for file in answer["evidence"]]
    assert evidence == {
        "sha256": sha256,
        "name": "policy.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
    }
    before = await reads_of(bid_id)
    download = await client.get(f"{url}/files/{sha256}", headers=amy_h)
    assert download.status_code == 200, download.text
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/pdf"
    assert await reads_of(bid_id) == before + 1
    assert (await client.get(f"{url}/files/{'0' * 64}", headers=amy_h)).status_code == 404


# Who may do what --------------------------------------------------------------------------


async def test_without_a_token_every_evaluation_call_is_refused(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock)
    calls = [
        client.get(f"{API}/evaluations"),
        client.get(f"{API}/tenders/{setup.tender.id}/panels"),
        client.get(f"{lot_url(setup)}/scores"),
        client.put(f"{lot_url(setup)}/bids/{setup.bid_ids[0]}/scores", json={"scores": []}),
        client.post(f"{lot_url(setup)}/sign-off"),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 401, response.request.url
        assert response.json()["message"] == "Sign in to continue"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_lot_is_not_found_for_providers_and_other_councils_and_panels_refused(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock)
    stranger = await buyer_officer(platform, *OTHER_COUNCIL)
    provider_h, stranger_h = await headers_for(client, setup.providers[0], stranger)
    bid = setup.bid_ids[0]
    # The officers' panel lists are refused to a provider by role, not found by another
    # council; the lot's pages are not found by either.
    for headers, status in ((provider_h, 403), (stranger_h, 404)):
        for path in (
            f"{API}/tenders/{setup.tender.id}/panels",
            f"{API}/tenders/{setup.tender.id}/conflicts",
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == status, (path, response.text)
    for headers in (provider_h, stranger_h):
        for path in (
            f"{lot_url(setup)}/bidders",
            f"{lot_url(setup)}/scores",
            f"{lot_url(setup)}/bids/{bid}",
            f"{lot_url(setup)}/moderation",
            f"{lot_url(setup)}/results",
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.text)
        scored = await put_scores(client, headers, setup, bid, marks_for(setup.questions, 3, "x"))
        assert scored.status_code == 404
    assert (await client.get(f"{API}/evaluations", headers=provider_h)).status_code == 403
    assert (await client.get(f"{API}/evaluations", headers=stranger_h)).json()["items"] == []
    assert await reads_of(bid) == 0


async def test_an_evaluator_of_one_lot_is_told_another_is_not_found(
    client, platform: Platform, clock: FixedClock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    first, second = tender.lots
    amy = await colleague(platform, officer, "Amy Evans")
    officer_h, amy_h = await headers_for(client, officer, amy)
    assigned = await client.put(
        f"{API}/tenders/{tender.id}/lots/{first.id}/panel",
        json={"evaluators": [str(amy.id)], "moderator": None},
        headers=officer_h,
    )
    assert assigned.status_code == 200, assigned.text
    url = f"{API}/evaluations/{tender.id}/lots"

    # Before the opening even the bidders' names are sealed.
    sealed = await client.get(f"{url}/{first.id}/bidders", headers=amy_h)
    assert (sealed.status_code, sealed.json()["message"]) == (403, SEALED)
    assert (await client.get(f"{url}/{first.id}/scores", headers=amy_h)).status_code == 403

    await open_tender(platform, clock, officer, tender.id)
    officer_h, amy_h = await headers_for(client, officer, amy)
    assert (await client.get(f"{url}/{first.id}/bidders", headers=amy_h)).status_code == 200
    for path in ("bidders", "scores", "moderation", "results"):
        response = await client.get(f"{url}/{second.id}/{path}", headers=amy_h)
        assert response.status_code == 404, (path, response.text)
    # An evaluator does not read the officers' pages either.
    for path in ("panels", "conflicts"):
        response = await client.get(f"{API}/tenders/{tender.id}/{path}", headers=amy_h)
        assert response.status_code == 403, (path, response.text)
    refused = await client.put(
        f"{API}/tenders/{tender.id}/lots/{second.id}/panel",
        json={"evaluators": [str(uuid4())]},
        headers=officer_h,
    )
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"evaluators"}


async def test_bids_stay_closed_until_declared_and_for_good_with_a_conflict(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock, declare=False)
    amy, _ = setup.evaluators
    officer_h, amy_h = await headers_for(client, setup.officer, amy)
    url = lot_url(setup)
    undeclared = await client.get(f"{url}/scores", headers=amy_h)
    assert (undeclared.status_code, undeclared.json()["message"]) == (403, DECLARE_FIRST)
    bidders = (await client.get(f"{url}/bidders", headers=amy_h)).json()
    ashby, birch, cedar = (b["organisation_id"] for b in bidders)

    async def declare(*entries: dict) -> httpx.Response:
        return await client.put(
            f"{url}/declarations", json={"declarations": list(entries)}, headers=amy_h
        )

    no_conflict = {"conflict": False}
    refused = await declare(
        {"organisation": ashby, "conflict": True},
        {"organisation": str(setup.officer.organisation_id), **no_conflict},
        {"organisation": cedar, **no_conflict},
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "declarations[0].description": "Describe your conflict of interest with Ashby Care",
        "declarations[1].organisation": OTHER_BIDDER,
        "declarations": "Select whether you have a conflict of interest with Birch Homes",
    }
    malformed = await declare({"organisation": "Ashby", "conflict": "maybe"})
    assert malformed.status_code == 400
    assert set(malformed.json()["errors"]) == {"declarations[0].organisation"}

    conflicted = await declare(
        {"organisation": ashby, "conflict": True, "description": "My sister manages Ashby"},
        {"organisation": birch, **no_conflict},
        {"organisation": cedar, **no_conflict},
    )
    assert conflicted.status_code == 204, conflicted.text
    for path in ("scores", f"bids/{setup.bid_ids[1]}"):
        response = await client.get(f"{url}/{path}", headers=amy_h)
        assert (response.status_code, response.json()["message"]) == (403, CONFLICTED), path
    withdrawn = await declare(
        {"organisation": ashby, **no_conflict},
        {"organisation": birch, **no_conflict},
        {"organisation": cedar, **no_conflict},
    )
    assert withdrawn.status_code == 400
    assert set(withdrawn.json()["errors"]) == {"declarations[0].conflict"}
    record = await client.get(f"{API}/tenders/{setup.tender.id}/conflicts", headers=officer_h)
    assert [
        (line["evaluator_name"], line["organisation_name"], line["conflict"], line["description"])
        for line in record.json()
    ] == [
        ("Amy Evans", "Ashby Care", True, "My sister manages Ashby"),
        ("Amy Evans", "Birch Homes", False, ""),
        ("Amy Evans", "Cedar Support", False, ""),
    ]


async def test_the_moderator_does_not_score_and_evaluators_do_not_moderate(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock)
    amy, _ = setup.evaluators
    amy_h, mo_h = await headers_for(client, amy, setup.moderator)
    bid = setup.bid_ids[0]
    scored = await put_scores(client, mo_h, setup, bid, marks_for(setup.questions, 3, "Mo"))
    assert (scored.status_code, scored.json()["message"]) == (403, MODERATOR_DOES_NOT_SCORE)
    assert (await client.get(f"{lot_url(setup)}/scores", headers=mo_h)).status_code == 403
    grid = await client.get(f"{lot_url(setup)}/moderation", headers=amy_h)
    assert (grid.status_code, grid.json()["message"]) == (403, NOT_FOR_EVALUATORS)
    agreed = await client.put(
        f"{lot_url(setup)}/moderation/bids/{bid}",
        json={"consensus": marks_for(setup.questions, 3, "Amy")},
        headers=amy_h,
    )
    assert (agreed.status_code, agreed.json()["message"]) == (403, MODERATOR_ONLY)
    assert (await client.post(f"{lot_url(setup)}/sign-off", headers=amy_h)).status_code == 403
    assert await Score.count() == 0


# Locks and order --------------------------------------------------------------------------


async def test_submitted_scores_are_locked(client, platform: Platform, clock: FixedClock):
    setup = await evaluation(platform, clock)
    amy, _ = setup.evaluators
    [amy_h] = await headers_for(client, amy)
    await score_everything(platform, setup, amy)
    changed = await put_scores(
        client, amy_h, setup, setup.bid_ids[0], marks_for(setup.questions, 5, "Second thoughts")
    )
    assert changed.status_code == 409
    assert changed.json()["message"].startswith("You submitted your scores for this lot at ")
    sheet = (await client.get(f"{lot_url(setup)}/scores", headers=amy_h)).json()
    assert [
        (s["mark"], s["rationale"]) for s in sheet["scores"] if s["bid_id"] == str(setup.bid_ids[0])
    ] == [("pass", "Amy Evans: reason for 1"), ("3", "Amy Evans: reason for 2")]


async def test_consensus_and_results_wait_for_every_evaluator_and_the_sign_off(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    officer_h, mo_h = await headers_for(client, setup.officer, setup.moderator)
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, submit=False)
    url = lot_url(setup)

    grid = (await client.get(f"{url}/moderation", headers=mo_h)).json()
    assert (grid["ready"], grid["waiting_for"]) == (False, ["Ben Hart"])
    # Ben's drafts are his own: only Amy's submitted scores show.
    assert {s["evaluator_name"] for c in grid["cells"] for s in c["scores"]} == {"Amy Evans"}
    early = await client.put(
        f"{url}/moderation/bids/{setup.bid_ids[0]}",
        json={"consensus": marks_for(setup.questions, 3, "Agreed")},
        headers=mo_h,
    )
    assert early.status_code == 409
    assert early.json()["message"].endswith("Waiting for: Ben Hart")
    results = await client.get(f"{url}/results", headers=officer_h)
    assert (results.status_code, results.json()["message"]) == (409, NOT_SIGNED_OFF)

    await client.post(f"{url}/scores/submit", headers=(await headers_for(client, ben))[0])
    agreed = await client.put(
        f"{url}/moderation/bids/{setup.bid_ids[0]}",
        json={"consensus": marks_for(setup.questions, 3, "Agreed")},
        headers=mo_h,
    )
    assert agreed.status_code == 200, agreed.text
    early_sign_off = await client.post(f"{url}/sign-off", headers=mo_h)
    assert early_sign_off.status_code == 400
    left = early_sign_off.json()["errors"]
    assert len(left) == 4
    assert set(left) == {m["field"] for m in agreed.json()["missing"]}
    assert f"bid-{setup.bid_ids[1]}-question-{setup.questions[0].id}" in left


# Bad input --------------------------------------------------------------------------------


async def test_a_score_without_a_reason_is_refused_with_a_message_on_its_field(
    client, platform: Platform, clock: FixedClock
):
    setup = await evaluation(platform, clock)
    amy, _ = setup.evaluators
    [amy_h] = await headers_for(client, amy)
    pass_fail, scale = setup.questions
    bid = setup.bid_ids[0]

    refused = await put_scores(
        client,
        amy_h,
        setup,
        bid,
        [
            {"question": str(pass_fail.id), "mark": "pass", "rationale": "Registered"},
            {"question": str(scale.id), "mark": 4},
        ],
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "scores[1].rationale": "Give the reason for your mark for question 2"
    }
    wrong = await put_scores(
        client,
        amy_h,
        setup,
        bid,
        [
            {"question": str(scale.id), "mark": 7, "rationale": "Good", "quote": "Not there"},
            {"question": str(uuid4()), "mark": 3, "rationale": "Good"},
        ],
    )
    assert wrong.json()["errors"] == {
        "scores[0].mark": "Choose a score from 0 to 5 for question 2",
        "scores[0].quote": "The passage for question 2 must be copied from the bid's answer",
        "scores": "Score the questions of this lot only",
    }
    twice = await put_scores(
        client, amy_h, setup, bid, [{"question": str(scale.id)}, {"question": str(scale.id)}]
    )
    assert twice.json()["errors"] == {"scores[1].question": "Give each question once"}
    malformed = await put_scores(
        client, amy_h, setup, bid, [{"question": str(scale.id), "mark": True}]
    )
    assert (malformed.status_code, set(malformed.json()["errors"])) == (400, {"scores[0].mark"})
    assert await Score.count() == 0

    submitted = await client.post(f"{lot_url(setup)}/scores/submit", headers=amy_h)
    assert submitted.status_code == 400
    assert len(submitted.json()["errors"]) == 6
    assert submitted.json()["errors"][f"bid-{bid}-question-{scale.id}"] == (
        "Score question 2 for Ashby Care"
    )


# Documentation ----------------------------------------------------------------------------


async def test_the_openapi_document_describes_every_evaluation_route(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    lot = "/api/v1/evaluations/{tender_id}/lots/{lot_id}"
    expected = {
        "/api/v1/tenders/{tender_id}/panels": {"get"},
        "/api/v1/tenders/{tender_id}/lots/{lot_id}/panel": {"put"},
        "/api/v1/tenders/{tender_id}/conflicts": {"get"},
        "/api/v1/evaluations": {"get"},
        f"{lot}/bidders": {"get"},
        f"{lot}/declarations": {"put"},
        f"{lot}/scores": {"get"},
        f"{lot}/bids/{{bid_id}}": {"get"},
        f"{lot}/bids/{{bid_id}}/files/{{sha256}}": {"get"},
        f"{lot}/bids/{{bid_id}}/scores": {"put"},
        f"{lot}/scores/submit": {"post"},
        f"{lot}/moderation": {"get"},
        f"{lot}/moderation/bids/{{bid_id}}": {"put"},
        f"{lot}/sign-off": {"post"},
        f"{lot}/results": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths.get(path, {})), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            assert operation.get("description"), (path, method)
            assert operation["security"] == [{"bearer": []}], (path, method)
            assert "401" in operation["responses"], (path, method)
            assert "404" in operation["responses"] or path == "/api/v1/evaluations"
    results = paths[f"{lot}/results"]["get"]["responses"]
    assert results["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LotResults"
    }
    assert "409" in results
    score = schema["components"]["schemas"]["ScoreEntry"]["properties"]
    assert "scores[i].rationale" in score["rationale"]["description"]
