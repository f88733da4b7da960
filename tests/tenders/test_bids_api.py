"""Providers draft, submit, resubmit and withdraw bids through the API, with bearer tokens;
nobody outside the bidding organisation reaches a bid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, timedelta
from uuid import uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.application import create_app
from app.settings import Settings
from tenders.services import bids
from tenders.services.views import TenderView
from tenders.tables import Answer, Evidence, Submission
from tenders.vocabulary import QuestionKind
from tests.conftest import START, bearer, buyer_officer, evaluator, provider_user
from tests.tenders.bid_factories import complete_bid, submitted_bid
from tests.tenders.factories import DEADLINE, published_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
OTHER_PROVIDER = ("sam@riverside-care.example", "Riverside Care Ltd")
API = "/api/v1"


async def _provider(client, platform, email=None, organisation=None):
    provider = await provider_user(
        platform,
        **({"email": email, "organisation": organisation} if email else {}),
    )
    return provider, await bearer(client, provider.email)


def _questions(tender: TenderView, lot_number: int = 0):
    lot = tender.lots[lot_number]
    pass_fail, scale = (
        next(q for q in tender.questions_for(lot) if q.kind is kind)
        for kind in (QuestionKind.PASS_FAIL, QuestionKind.SCALE)
    )
    return lot, pass_fail, scale


def _upload(content: bytes, name: str = "cqc-registration.pdf", kind: str = "application/pdf"):
    return {"file": (name, content, kind)}


async def _start(client, headers, tender: TenderView) -> dict:
    response = await client.post(f"{API}/tenders/{tender.id}/bid", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _stored_files(settings: Settings) -> list:
    """What the file store holds, finished or partial (the audit checkpoints aside)."""
    return [
        path
        for path in settings.files_dir.rglob("*")
        if path.is_file() and path != settings.audit_checkpoints_path
    ]


# The whole journey ------------------------------------------------------------------------


async def test_a_provider_drafts_submits_resubmits_and_withdraws_a_bid_through_the_api(
    client, platform, clock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    _, headers = await _provider(client, platform)
    lot, pass_fail, scale = _questions(tender)
    item = lot.price_items[0]

    bid = await _start(client, headers, tender)
    assert await _start(client, headers, tender) == bid  # starting again finds it
    assert (bid["status"], bid["lot_ids"], bid["open"]) == ("draft", [], True)
    assert bid["tender_title"] == tender.title
    assert bid["submission_deadline"] == "2026-12-11T12:00:00Z"
    assert {p["field"] for p in bid["problems"]} == {"lots"}
    base = f"{API}/bids/{bid['id']}"
    listed = (await client.get(f"{API}/bids", headers=headers)).json()["items"]
    assert [entry["id"] for entry in listed] == [bid["id"]]

    chosen = await client.put(
        f"{base}/lots", json={"lot_ids": [str(lot.id)], "version": bid["version"]}, headers=headers
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["lot_ids"] == [str(lot.id)]
    assert {p["field"] for p in chosen.json()["problems"]} == {
        f"declaration-{pass_fail.id}",
        f"answer-{scale.id}",
        f"price-{item.id}",
    }

    declared = await client.put(
        f"{base}/lots/{lot.id}/answers/{pass_fail.id}",
        json={"text": "", "declaration": "yes", "version": 0},
        headers=headers,
    )
    assert declared.status_code == 200, declared.text
    assert (declared.json()["declaration"], declared.json()["version"]) == ("yes", 1)
    answered = await client.put(
        f"{base}/lots/{lot.id}/answers/{scale.id}",
        json={"text": "Trained staff, <b>safer</b> recruitment.", "version": 0},
        headers=headers,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["text"] == "Trained staff, safer recruitment."
    assert answered.json()["updated_by"] == "Helen Mills"

    high = await client.put(
        f"{base}/lots/{lot.id}/prices/{item.id}",
        json={"unit_price_pence": 2000, "version": 0},
        headers=headers,
    )
    assert high.status_code == 200, high.text
    assert high.json()["advice"] == "This is above the council's reference price"
    priced = await client.put(
        f"{base}/lots/{lot.id}/prices/{item.id}",
        json={"unit_price_pence": 1550, "version": high.json()["version"]},
        headers=headers,
    )
    assert priced.status_code == 200, priced.text
    assert (priced.json()["unit_price_pence"], priced.json()["version"]) == (1550, 2)
    assert priced.json()["advice"] is None

    uploaded = await client.post(
        f"{base}/lots/{lot.id}/questions/{pass_fail.id}/evidence",
        files=_upload(PDF),
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()
    assert (evidence["name"], evidence["content_type"], evidence["size"]) == (
        "cqc-registration.pdf",
        "application/pdf",
        len(PDF),
    )
    download = await client.get(f"{base}/evidence/{evidence['id']}", headers=headers)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    ready = (await client.get(base, headers=headers)).json()
    assert ready["problems"] == []
    assert [e["id"] for e in ready["evidence"]] == [evidence["id"]]
    assert {(a["question_id"], a["version"]) for a in ready["answers"]} == {
        (str(pass_fail.id), 1),
        (str(scale.id), 1),
    }
    assert [(p["item_id"], p["unit_price_pence"]) for p in ready["prices"]] == [
        (str(item.id), 1550)
    ]

    submitted = await client.post(
        f"{base}/submissions", json={"request_key": "first-submit-01"}, headers=headers
    )
    assert submitted.status_code == 201, submitted.text
    first = submitted.json()
    assert (first["number"], first["bid_id"], first["current"]) == (1, bid["id"], True)
    assert first["received_at"] == "2026-11-23T10:00:00Z"
    assert first["received_at_london"] == "10:00am on Monday 23 November 2026"
    assert first["lot_ids"] == [str(lot.id)]
    assert len(first["digest"]) == 64
    receipt = await client.get(f"{base}/submissions/{first['id']}", headers=headers)
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["digest"] == first["digest"]

    clock.advance(timedelta(minutes=5))
    changed = await client.put(
        f"{base}/lots/{lot.id}/answers/{scale.id}",
        json={"text": "Trained staff and safer recruitment.", "version": 1},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(base, headers=headers)).json()["changed_since_submission"] is True
    resubmitted = await client.post(f"{base}/submissions", json={}, headers=headers)
    assert resubmitted.status_code == 201, resubmitted.text
    second = resubmitted.json()
    assert second["number"] == 2
    assert second["digest"] != first["digest"]
    superseded = (await client.get(f"{base}/submissions/{first['id']}", headers=headers)).json()
    assert (superseded["current"], superseded["digest"]) == (False, first["digest"])
    now = (await client.get(base, headers=headers)).json()
    assert [(s["number"], s["current"]) for s in now["submissions"]] == [(2, True), (1, False)]
    assert now["changed_since_submission"] is False

    removed = await client.delete(f"{base}/evidence/{evidence['id']}", headers=headers)
    assert removed.status_code == 204
    assert (
        await client.delete(f"{base}/evidence/{evidence['id']}", headers=headers)
    ).status_code == 204
    assert (
        await client.get(f"{base}/evidence/{evidence['id']}", headers=headers)
    ).status_code == 404

    withdrawn = await client.post(
        f"{base}/withdrawal", json={"reason": "We cannot staff the lot after all"}, headers=headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdraw_reason"] == "We cannot staff the lot after all"
    assert not any(s["current"] for s in withdrawn.json()["submissions"])
    assert await Submission.count() == 2


# Who may reach a bid ----------------------------------------------------------------------


async def test_the_organisations_bids_come_a_page_at_a_time(client, platform, monkeypatch):
    monkeypatch.setattr(bids, "BIDS_PAGE_SIZE", 1)
    officer = await buyer_officer(platform)
    provider, headers = await _provider(client, platform)
    first, second = [
        await published_tender(platform, officer, lots=1, title=f"Overnight support {n}")
        for n in (1, 2)
    ]
    bid_id, submission = await submitted_bid(platform, provider, first)
    platform.clock.instant += timedelta(minutes=1)
    started = await bids.start_bid(platform, provider, second.id)

    top = await client.get(f"{API}/bids", headers=headers)
    assert top.status_code == 200
    assert {key: top.json()[key] for key in ("page", "pages", "total")} == {
        "page": 1,
        "pages": 2,
        "total": 2,
    }
    assert [item["id"] for item in top.json()["items"]] == [str(started)]
    last = (await client.get(f"{API}/bids?page=5", headers=headers)).json()
    assert last["page"] == 2
    [item] = last["items"]
    assert item["id"] == str(bid_id)
    assert item["tender_title"] == first.title
    assert item["status"] == "submitted"
    assert item["open"] is True
    assert item["current_submission_id"] == str(submission.id)
    assert item["changed_since_submission"] is False
    assert item["lot_ids"] == [str(first.lots[0].id)]


async def test_nobody_outside_the_bidding_organisation_can_reach_a_bid(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider, _ = await _provider(client, platform)
    bid_id, submission = await submitted_bid(platform, provider, tender)
    lot, pass_fail, _ = _questions(tender)
    evidence_id = uuid4()
    await Evidence.insert(
        Evidence(
            id=evidence_id,
            bid=bid_id,
            lot=lot.id,
            question=pass_fail.id,
            sha256="0" * 64,
            original_name="insurance.pdf",
            content_type="application/pdf",
            size=10,
            uploaded_at=START,
            uploaded_by=provider.id,
        )
    )
    stored = await bids.own_bid(provider, bid_id)
    _, rival = await _provider(client, platform, *OTHER_PROVIDER)
    council = await bearer(client, officer.email)
    panel = await bearer(client, (await evaluator(platform, officer)).email)
    base = f"{API}/bids/{bid_id}"
    calls = [
        ("GET", base, None),
        ("PUT", f"{base}/lots", {"lot_ids": [str(lot.id)], "version": stored.version}),
        (
            "PUT",
            f"{base}/lots/{lot.id}/answers/{pass_fail.id}",
            {"declaration": "no", "version": 1},
        ),
        ("PUT", f"{base}/lots/{lot.id}/prices/{lot.price_items[0].id}", {"unit_price_pence": 1}),
        ("GET", f"{base}/evidence/{evidence_id}", None),
        ("DELETE", f"{base}/evidence/{evidence_id}", None),
        ("POST", f"{base}/submissions", {"request_key": "rival-attempt"}),
        ("GET", f"{base}/submissions/{submission.id}", None),
        ("POST", f"{base}/withdrawal", {"reason": "Not ours to withdraw"}),
    ]
    for who, headers in (("rival", rival), ("officer", council), ("evaluator", panel)):
        for method, url, body in calls:
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 404, (who, method, url, response.text)
            assert response.json()["message"] == "Page not found"
        upload = await client.post(
            f"{base}/lots/{lot.id}/questions/{pass_fail.id}/evidence",
            files=_upload(PDF),
            headers=headers,
        )
        assert upload.status_code == 404, (who, upload.text)
    assert (await client.get(f"{API}/bids", headers=rival)).json()["items"] == []
    assert (await client.get(f"{API}/bids", headers=council)).status_code == 403
    for method, url, body in calls:
        response = await client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await bids.own_bid(provider, bid_id) == stored
    assert await Submission.count() == 1
    assert await Evidence.count() == 1
    assert _stored_files(platform.settings) == []


# Saves name their version ---------------------------------------------------------------


async def test_a_save_from_an_older_version_is_a_conflict_and_overwrites_nothing(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    _, headers = await _provider(client, platform)
    bid = await _start(client, headers, tender)
    lot, _, scale = _questions(tender)
    url = f"{API}/bids/{bid['id']}/lots/{lot.id}/answers/{scale.id}"
    mine = await client.put(url, json={"text": "Our first answer", "version": 0}, headers=headers)
    assert mine.status_code == 200, mine.text

    # Sent from a form read before the first save: version 0.
    stale = await client.put(
        url, json={"text": "An answer from an older form", "version": 0}, headers=headers
    )
    assert stale.status_code == 409, stale.text
    [conflict] = stale.json()["conflicts"]
    assert conflict["field"] == f"answer-{scale.id}"
    assert (conflict["theirs"], conflict["yours"]) == (
        "Our first answer",
        "An answer from an older form",
    )
    assert (conflict["by"], conflict["version"]) == ("Helen Mills", 1)
    assert conflict["at"].startswith("2026-11-23T10:00:00")
    saved = (await client.get(f"{API}/bids/{bid['id']}", headers=headers)).json()["answers"]
    assert [(a["text"], a["version"]) for a in saved] == [("Our first answer", 1)]

    overwritten = await client.put(
        url,
        json={"text": "An answer from an older form", "version": conflict["version"]},
        headers=headers,
    )
    assert overwritten.status_code == 200
    assert (overwritten.json()["text"], overwritten.json()["version"]) == (
        "An answer from an older form",
        2,
    )


async def test_a_repeated_save_with_an_old_version_changes_nothing(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    _, headers = await _provider(client, platform)
    bid = await _start(client, headers, tender)
    lot, _, scale = _questions(tender)
    item = lot.price_items[0]
    answer_url = f"{API}/bids/{bid['id']}/lots/{lot.id}/answers/{scale.id}"
    price_url = f"{API}/bids/{bid['id']}/lots/{lot.id}/prices/{item.id}"
    for _ in range(2):
        answer = await client.put(answer_url, json={"text": "Same", "version": 0}, headers=headers)
        price = await client.put(
            price_url, json={"unit_price_pence": 1600, "version": 0}, headers=headers
        )
        assert (answer.status_code, price.status_code) == (200, 200)
        assert (answer.json()["version"], price.json()["version"]) == (1, 1)
    assert await Answer.count() == 1


async def test_choosing_lots_from_an_older_version_is_a_conflict(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    _, headers = await _provider(client, platform)
    bid = await _start(client, headers, tender)
    url = f"{API}/bids/{bid['id']}/lots"
    first = {"lot_ids": [str(tender.lots[0].id)], "version": bid["version"]}
    chosen = await client.put(url, json=first, headers=headers)
    assert chosen.json()["version"] == bid["version"] + 1
    again = await client.put(url, json=first, headers=headers)
    assert again.status_code == 200  # the same choice: a repeated call
    assert again.json()["version"] == bid["version"] + 1
    other = {"lot_ids": [str(tender.lots[1].id)], "version": bid["version"]}
    stale = await client.put(url, json=other, headers=headers)
    assert stale.status_code == 409, stale.text
    assert "changed the lots of this bid" in stale.json()["message"]
    assert (await client.get(f"{API}/bids/{bid['id']}", headers=headers)).json()["lot_ids"] == [
        str(tender.lots[0].id)
    ]
    unknown = await client.put(
        url, json={"lot_ids": [str(uuid4())], "version": chosen.json()["version"]}, headers=headers
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"lots": "Choose lots from the list"}


# Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [-1, 100_000_001, 10**15, "15.87", 15.5])
async def test_a_price_that_is_not_a_sensible_number_of_pence_is_refused(client, platform, amount):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    _, headers = await _provider(client, platform)
    bid = await _start(client, headers, tender)
    lot = tender.lots[0]
    response = await client.put(
        f"{API}/bids/{bid['id']}/lots/{lot.id}/prices/{lot.price_items[0].id}",
        json={"unit_price_pence": amount, "version": 0},
        headers=headers,
    )
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {"unit_price_pence"}
    assert (await client.get(f"{API}/bids/{bid['id']}", headers=headers)).json()["prices"] == []


async def test_a_declaration_is_only_for_a_yes_or_no_question(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    _, headers = await _provider(client, platform)
    bid = await _start(client, headers, tender)
    lot, pass_fail, scale = _questions(tender)
    base = f"{API}/bids/{bid['id']}/lots/{lot.id}/answers"
    on_scale = await client.put(
        f"{base}/{scale.id}", json={"text": "Yes", "declaration": "yes"}, headers=headers
    )
    assert on_scale.status_code == 400, on_scale.text
    assert set(on_scale.json()["errors"]) == {"declaration"}
    maybe = await client.put(
        f"{base}/{pass_fail.id}", json={"declaration": "maybe"}, headers=headers
    )
    assert maybe.status_code == 400, maybe.text
    assert set(maybe.json()["errors"]) == {"declaration"}
    assert await Answer.count() == 0


async def test_a_bid_with_problems_is_not_submitted_and_every_problem_is_listed(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    _, headers = await _provider(client, platform)
    bid = await _start(client, headers, tender)
    await client.put(
        f"{API}/bids/{bid['id']}/lots",
        json={"lot_ids": [str(lot.id) for lot in tender.lots], "version": bid["version"]},
        headers=headers,
    )
    response = await client.post(f"{API}/bids/{bid['id']}/submissions", headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == "Your bid cannot be submitted yet: 6 things need fixing"
    # Both lots share the questions: ``errors`` has a field once, ``problems`` both lots.
    assert [p["message"][:5] for p in body["problems"]] == ["Lot 1"] * 3 + ["Lot 2"] * 3
    assert len(body["errors"]) == 4
    assert await Submission.count() == 0


# Submitting -----------------------------------------------------------------------------


async def test_a_repeated_submission_with_the_same_key_is_one_submission(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider, headers = await _provider(client, platform)
    bid_id = await complete_bid(platform, provider, tender)
    url = f"{API}/bids/{bid_id}/submissions"
    by_body = [
        await client.post(url, json={"request_key": "double-click-01"}, headers=headers)
        for _ in range(2)
    ]
    assert [r.status_code for r in by_body] == [201, 201]
    assert by_body[0].json() == by_body[1].json()
    by_header = [
        await client.post(url, headers={**headers, "Idempotency-Key": "retry-key-0002"})
        for _ in range(2)
    ]
    assert [r.status_code for r in by_header] == [201, 201]
    assert by_header[0].json()["id"] == by_header[1].json()["id"] != by_body[0].json()["id"]
    assert await Submission.count() == 2
    bad = await client.post(url, json={"request_key": "short"}, headers=headers)
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"request_key"}


async def test_submission_at_the_deadline_is_refused(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider = await provider_user(platform)
    bid_id = await complete_bid(platform, provider, tender)
    clock.instant = DEADLINE.astimezone(UTC)
    headers = await bearer(client, provider.email)
    response = await client.post(
        f"{API}/bids/{bid_id}/submissions", json={"request_key": "at-the-deadline"}, headers=headers
    )
    assert response.status_code == 409, response.text
    assert response.json()["message"].startswith(
        "The deadline for this tender was 12:00pm on Friday 11 December 2026"
    )
    assert await Submission.count() == 0


async def test_submission_a_second_before_the_deadline_is_received(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider = await provider_user(platform)
    bid_id = await complete_bid(platform, provider, tender)
    clock.instant = DEADLINE.astimezone(UTC) - timedelta(seconds=1)
    headers = await bearer(client, provider.email)
    response = await client.post(f"{API}/bids/{bid_id}/submissions", headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["received_at"] == "2026-12-11T11:59:59Z"
    assert response.json()["received_at_london"] == "11:59am on Friday 11 December 2026"
    assert await Submission.count() == 1


# Evidence files ---------------------------------------------------------------------------


@pytest.fixture
async def small_limit_client(settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    """The app with evidence files limited to 1,000 bytes."""
    app = create_app(replace(settings, evidence_max_bytes=1000), clock)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield http


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", PNG, "The file's contents do not match its .pdf extension"),
        ("policy.pdf", EXECUTABLE, "The file's contents do not match its .pdf extension"),
        ("empty.pdf", b"", "The selected file is empty"),
        ("setup.exe", EXECUTABLE, None),
    ],
)
async def test_an_evidence_file_that_is_not_what_it_says_is_refused(
    client, platform, name, content, message
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider, headers = await _provider(client, platform)
    bid_id = await complete_bid(platform, provider, tender)
    lot, pass_fail, _ = _questions(tender)
    response = await client.post(
        f"{API}/bids/{bid_id}/lots/{lot.id}/questions/{pass_fail.id}/evidence",
        files=_upload(content, name),
        headers=headers,
    )
    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) == {"file"}
    if message:
        assert response.json()["errors"]["file"] == message
    assert await Evidence.count() == 0
    assert _stored_files(platform.settings) == []


async def test_an_upload_without_a_file_is_refused(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider, headers = await _provider(client, platform)
    bid_id = await complete_bid(platform, provider, tender)
    lot, pass_fail, _ = _questions(tender)
    url = f"{API}/bids/{bid_id}/lots/{lot.id}/questions/{pass_fail.id}/evidence"
    no_file = await client.post(
        url, files={"file": ("", b"", "application/octet-stream")}, headers=headers
    )
    assert no_file.status_code == 400, no_file.text
    assert no_file.json()["errors"] == {"file": "Select a file"}
    not_multipart = await client.post(url, json={"file": "x"}, headers=headers)
    assert not_multipart.status_code == 400
    assert await Evidence.count() == 0


async def test_an_evidence_file_over_the_limit_is_refused_and_nothing_is_kept(
    small_limit_client, platform
):
    client = small_limit_client
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider, headers = await _provider(client, platform)
    bid_id = await complete_bid(platform, provider, tender)
    lot, pass_fail, _ = _questions(tender)
    url = f"{API}/bids/{bid_id}/lots/{lot.id}/questions/{pass_fail.id}/evidence"
    message = "The selected file must be smaller than 1,000 bytes"

    # Announced by Content-Length (past the limit and the form's overhead): refused unread.
    announced = await client.post(url, files=_upload(PDF + b"\n" * 1_100_000), headers=headers)
    assert announced.status_code == 413, announced.text
    assert announced.headers["connection"] == "close", "the rest of the body is not read"
    assert announced.json()["errors"] == {"file": message}

    # Streamed without a length: refused by the store as the bytes pass the limit.
    boundary = "caretender-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + PDF
        + b"\n" * 2000
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    streamed = await client.post(
        url,
        content=chunks(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["errors"] == {"file": message}

    assert await Evidence.count() == 0
    assert _stored_files(platform.settings) == []
    small = await client.post(url, files=_upload(PDF), headers=headers)
    assert small.status_code == 201, small.text


async def test_a_bid_holds_a_hundred_evidence_files_at_most(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider, headers = await _provider(client, platform)
    bid_id = await complete_bid(platform, provider, tender)
    lot, pass_fail, _ = _questions(tender)
    await Evidence.insert(
        *[
            Evidence(
                id=uuid4(),
                bid=bid_id,
                lot=lot.id,
                question=pass_fail.id,
                sha256=f"{n:064x}",
                original_name=f"file-{n}.pdf",
                content_type="application/pdf",
                size=100,
                uploaded_at=START,
                uploaded_by=provider.id,
            )
            for n in range(bids.MAX_FILES_PER_BID)
        ]
    )
    response = await client.post(
        f"{API}/bids/{bid_id}/lots/{lot.id}/questions/{pass_fail.id}/evidence",
        files=_upload(PDF),
        headers=headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"] == {
        "file": "A bid can have 100 files at most. Remove one first"
    }
    assert await Evidence.count() == bids.MAX_FILES_PER_BID
    assert _stored_files(platform.settings) == []


# Documentation ----------------------------------------------------------------------------


async def test_the_openapi_document_describes_every_bid_route(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        "/api/v1/tenders/{tender_id}/bid": {"post"},
        "/api/v1/bids": {"get"},
        "/api/v1/bids/{bid_id}": {"get"},
        "/api/v1/bids/{bid_id}/lots": {"put"},
        "/api/v1/bids/{bid_id}/lots/{lot_id}/answers/{question_id}": {"put"},
        "/api/v1/bids/{bid_id}/lots/{lot_id}/prices/{item_id}": {"put"},
        "/api/v1/bids/{bid_id}/lots/{lot_id}/questions/{question_id}/evidence": {"post"},
        "/api/v1/bids/{bid_id}/evidence/{evidence_id}": {"get", "delete"},
        "/api/v1/bids/{bid_id}/submissions": {"post"},
        "/api/v1/bids/{bid_id}/submissions/{submission_id}": {"get"},
        "/api/v1/bids/{bid_id}/withdrawal": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths.get(path, {})), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            assert operation.get("description"), (path, method)
            assert operation["security"] == [{"bearer": []}], (path, method)
            assert {"401", "404"} <= set(operation["responses"]) or path == "/api/v1/bids"
    upload = paths["/api/v1/bids/{bid_id}/lots/{lot_id}/questions/{question_id}/evidence"]["post"]
    assert "413" in upload["responses"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    answer = paths["/api/v1/bids/{bid_id}/lots/{lot_id}/answers/{question_id}"]["put"]
    assert answer["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EditConflictError"
    }
    submit = paths["/api/v1/bids/{bid_id}/submissions"]["post"]
    assert "409" in submit["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in submit["parameters"])
