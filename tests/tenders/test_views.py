"""Loading a tender: what changes shows at once, what is frozen is kept per version."""

from __future__ import annotations

from app.platform import Platform
from tenders.services import addenda, authoring
from tenders.services.views import load_tender
from tenders.tables import Question, Tender
from tests.conftest import buyer_officer
from tests.tenders.factories import draft_tender, published_tender

NEW_TEXT = "How will you support families at short notice?"


async def test_a_draft_shows_each_change_to_its_questions_at_once(platform: Platform) -> None:
    officer = await buyer_officer(platform)
    draft_id = await draft_tender(platform, officer)
    before = await load_tender(draft_id)
    assert before is not None
    await authoring.add_question(
        platform,
        officer,
        str(draft_id),
        {
            "section": str(before.sections[0].id),
            "kind": "pass_fail",
            "text": NEW_TEXT,
        },
    )
    after = await load_tender(draft_id)
    assert after is not None
    assert [q.text for q in after.sections[0].questions][-1] == NEW_TEXT
    assert len(after.sections[0].questions) == len(before.sections[0].questions) + 1


async def test_a_published_tender_shows_new_facts_and_a_stored_change_to_its_questions(
    platform: Platform,
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    question = tender.sections[0].questions[1]
    assert (await load_tender(tender.id)).sections == tender.sections  # type: ignore[union-attr]

    # What can change after publication is read fresh every time.
    await addenda.cancel_tender(platform, officer, str(tender.id), {"reason": "Funding withdrawn"})
    cancelled = await load_tender(tender.id)
    assert cancelled is not None
    assert cancelled.cancel_reason == "Funding withdrawn"

    # The frozen parts are kept per version: a stored change that raises it shows.
    await Question.update({Question.text: NEW_TEXT}).where(Question.id == question.id)
    kept = await load_tender(tender.id)
    assert kept is not None
    assert kept.sections[0].questions[1].text == question.text
    await Tender.update({Tender.version: Tender.version + 1}).where(Tender.id == tender.id)
    changed = await load_tender(tender.id)
    assert changed is not None
    assert changed.sections[0].questions[1].text == NEW_TEXT
