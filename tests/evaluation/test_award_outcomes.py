"""What the award leaves behind: each bid's outcome per lot once the award is confirmed
(successful, unsuccessful or excluded with its reasons), what each bidder sees of the
decision on its bid, and the award published as OCDS releases, one per lot: ``pending``
through the standstill, ``active`` once confirmed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from app.clock import FixedClock
from app.errors import InvalidTransition, NotFound
from app.platform import Platform
from evaluation.services import awards, notices
from evaluation.tables import BidOutcome
from evaluation.vocabulary import LotOutcome, NoticeKind
from tenders import ocds
from tenders.services import addenda, authoring, releases
from tenders.services.views import QuestionView, load_tender
from tenders.tables import Lot
from tenders.vocabulary import QuestionKind, TenderStatus
from tests.conftest import bearer, buyer_officer, html, post_form, provider_user, sign_in
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    default_mark,
    evaluation,
    evaluation_of,
    score_everything,
)
from tests.tenders.factories import draft_tender
from tests.tenders.test_ocds import assert_valid_package

#: Tuesday 22 December 2026, 10am in London: the standstill's last day is 5 January.
ISSUED = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)
CONFIRMED = datetime(2027, 1, 6, 9, 0, tzinfo=UTC)


def cedar_fails_the_gate(question: QuestionView, place: int) -> str:
    """Birch Homes scores best, then Ashby Care; Cedar Support (third) fails the pass or
    fail question, and is excluded."""
    if place == 2 and question.kind is QuestionKind.PASS_FAIL:
        return "fail"
    return default_mark(question, place)


@pytest.fixture
async def issued(platform: Platform, clock: FixedClock) -> Evaluation:
    """A lot awarding one provider: approved, its notices issued on ``ISSUED``."""
    officer = await buyer_officer(platform)
    draft = await draft_tender(platform, officer, lots=1)
    await Lot.update({Lot.providers_to_award: 1}).where(Lot.tender == draft)
    tender = await authoring.publish(platform, officer, str(draft))
    setup = await evaluation_of(platform, clock, officer, tender)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator, cedar_fails_the_gate)
    await agree_everything(platform, setup, cedar_fails_the_gate)
    made = await awards.make_report(platform, setup.officer, setup.tender.id)
    await awards.approve(
        platform, setup.officer, setup.tender.id, report_sha256=made.sha256, reasons="Best value"
    )
    clock.instant = ISSUED
    await notices.issue(platform, setup.officer, setup.tender.id)
    return setup


async def test_confirming_records_each_bids_outcome_for_the_lot(
    platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    assert await BidOutcome.count() == 0
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    rows = await BidOutcome.select().where(BidOutcome.tender == issued.tender.id)
    found = {
        str(row["organisation"]): (row["outcome"], row["rank"], row["reasons"]) for row in rows
    }
    ashby, birch, cedar = (str(p.organisation_id) for p in issued.providers)
    assert found == {
        birch: (LotOutcome.SUCCESSFUL, 1, ""),
        ashby: (LotOutcome.UNSUCCESSFUL, 2, ""),
        cedar: (LotOutcome.EXCLUDED, None, "failed question 1 (a pass or fail question)"),
    }
    # Confirming again records nothing more.
    await notices.confirm(platform, issued.officer, issued.tender.id)
    assert await BidOutcome.count() == 3


async def test_each_bidder_sees_the_decision_on_its_own_bid_and_no_one_elses(
    platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    ashby, birch, cedar = issued.providers
    ashby_bid, birch_bid, cedar_bid = issued.bid_ids
    during = await notices.bid_decision(birch, birch_bid)
    assert during.standstill is not None
    assert during.standstill.last_day is not None
    assert during.standstill.last_day.isoformat() == "2027-01-05"
    assert [(d.lot.id, d.outcome) for d in during.lots] == [(issued.lot.id, None)]
    assert sorted(n.kind for n in during.notices) == sorted(NoticeKind)
    assert {n.organisation_id for n in during.notices} == {birch.organisation_id, None}
    with pytest.raises(NotFound):
        await notices.bid_decision(birch, ashby_bid)
    stranger = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    with pytest.raises(NotFound):
        await notices.bid_decision(stranger, cedar_bid)

    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    won = await notices.bid_decision(birch, birch_bid)
    assert [(d.outcome, d.rank, d.reasons) for d in won.lots] == [(LotOutcome.SUCCESSFUL, 1, ())]
    lost = await notices.bid_decision(ashby, ashby_bid)
    assert [(d.outcome, d.rank) for d in lost.lots] == [(LotOutcome.UNSUCCESSFUL, 2)]
    lost = await notices.bid_decision(cedar, cedar_bid)
    assert [(d.outcome, d.reasons) for d in lost.lots] == [
        (LotOutcome.EXCLUDED, ("failed question 1 (a pass or fail question)",))
    ]


async def test_no_decision_is_shown_before_the_notices_are_issued(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    with pytest.raises(NotFound):
        await notices.bid_decision(setup.providers[0], setup.bid_ids[0])


async def test_the_award_is_published_per_lot_pending_then_active(
    platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    birch = issued.providers[1]
    package = await releases.tender_releases(platform, issued.tender.id)
    award = package["releases"][-1]
    assert award["tag"] == ["award"]
    assert award["tender"]["status"] == "active"
    [awarded] = award["awards"]
    assert awarded["status"] == "pending"
    assert awarded["relatedLots"] == [str(issued.lot.id)]
    assert awarded["suppliers"] == [{"id": str(birch.organisation_id), "name": "Birch Homes"}]
    assert awarded["value"] == {"amount": 83200, "currency": "GBP"}
    assert awarded["date"] == ISSUED.isoformat()
    assert {"id": str(birch.organisation_id), "name": "Birch Homes", "roles": ["supplier"]} in (
        award["parties"]
    )

    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    package = await releases.tender_releases(platform, issued.tender.id)
    assert [r["tag"] for r in package["releases"]][-2:] == [["award"], ["awardUpdate"]]
    confirmed = package["releases"][-1]
    assert confirmed["tender"]["status"] == "complete"
    assert [a["status"] for a in confirmed["awards"]] == ["active"]
    # The package of every tender holds the tender's latest release and its lot's award.
    everything = await releases.release_package(platform)
    mine = [r for r in everything["releases"] if r["ocid"] == confirmed["ocid"]]
    assert [r["id"] for r in mine] == [confirmed["id"], package["releases"][0]["id"]]
    assert json.dumps(mine[0]) == json.dumps(confirmed)


async def test_award_releases_validate_against_ocds_with_lots(
    ocds_schema: None, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    assert_valid_package(await releases.tender_releases(platform, issued.tender.id))
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    assert_valid_package(await releases.tender_releases(platform, issued.tender.id))
    assert_valid_package(await releases.release_package(platform))


async def test_a_lot_no_bid_could_be_awarded_is_published_as_an_unsuccessful_award(
    platform: Platform, clock: FixedClock
) -> None:
    def every_bid_fails_the_gate(question: QuestionView, place: int) -> str:
        return "fail" if question.kind is QuestionKind.PASS_FAIL else default_mark(question, place)

    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator, every_bid_fails_the_gate)
    await agree_everything(platform, setup, every_bid_fails_the_gate)
    made = await awards.make_report(platform, setup.officer, setup.tender.id)
    await awards.approve(
        platform, setup.officer, setup.tender.id, report_sha256=made.sha256, reasons="None fit"
    )
    clock.instant = ISSUED
    await notices.issue(platform, setup.officer, setup.tender.id)
    award = (await releases.tender_releases(platform, setup.tender.id))["releases"][-1]
    assert award["awards"] == [
        {
            "id": str(setup.lot.id),
            "title": f"Lot {setup.lot.number}: {setup.lot.name}",
            "description": "No bid could be awarded this lot.",
            "status": "unsuccessful",
            "date": ISSUED.isoformat(),
            "relatedLots": [str(setup.lot.id)],
        }
    ]
    assert [p["roles"] for p in award["parties"]] == [["buyer", "procuringEntity"]]


async def test_an_award_goes_only_in_an_award_release(
    platform: Platform, issued: Evaluation
) -> None:
    award = ocds.LotAward(issued.lot, (), "pending", ISSUED)
    with pytest.raises(ValueError, match="takes no award"):
        await releases.record_release(platform, issued.tender.id, "tenderUpdate", award)


async def test_an_awarded_tender_cannot_be_cancelled(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    """Cancelling is for any state before awarded (found by the authorisation matrix: an
    awarded tender could be cancelled)."""
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    tender_id = issued.tender.id
    with pytest.raises(InvalidTransition, match="has been awarded, so it cannot be cancelled"):
        await addenda.cancel_tender(platform, issued.officer, str(tender_id), {"reason": "Late"})

    headers = await bearer(client, issued.officer.email)
    api = await client.post(
        f"/api/v1/tenders/{tender_id}/cancel", json={"reason": "Late"}, headers=headers
    )
    assert (api.status_code, api.json()["message"]) == (
        409,
        "This tender has been awarded, so it cannot be cancelled",
    )
    await sign_in(client, issued.officer.email)
    url = f"/tenders/{tender_id}/cancel"
    form = await client.get(url)
    assert html(form).xpath('//*[@data-testid="not-cancellable"]')
    assert not html(form).xpath("//form[@action]//textarea")
    page = await post_form(client, url, {"reason": "Late"}, page="/tenders")
    assert page.status_code == 409
    overview = await client.get(f"/tenders/{tender_id}")
    assert not html(overview).xpath(f'//a[@href="{url}"]')
    assert (await load_tender(tender_id)).stored_status is TenderStatus.AWARDED
