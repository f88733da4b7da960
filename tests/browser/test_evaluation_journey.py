"""A lot's evaluation in Chromium, from "Your evaluations" to the results and the matrix.

The demo's "Children's overnight short breaks" tender is closed and its three bids are
opened; its one lot has a panel of two evaluators (Tom Barker and Aisha Okafor) and a
moderator (Gareth Lloyd), all cleared of conflicts. Aisha scores every question of every
bid and submits; Tom then scores, and sees none of her scores until he has submitted his
own, when her reasons appear beside his. They differ by two on a 0 to 5 question and by Yes
against No on an outcome test for one bid, which the moderator's grid flags in words. The
moderator records the consensus for every mark and signs the lot off; the results rank the
bids and explain each, and the evaluation matrix shows the outcome tests in words. Tom
chooses one mark with the arrow keys and saves with Enter. axe-core checks every page seen.

Nothing else in the browser tests touches this tender, so the session's demo server serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from playwright.sync_api import BrowserContext, Locator, Page, expect

from app import demo_data
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import menu, sign_in

TENDER = "Children's overnight short breaks"
LOT = "Lot 1: Overnight short breaks"
TOM, AISHA, GARETH = demo_data.COUNCIL_EVALUATORS
MOORLANDS, TRENT, CANNOCK = (provider.organisation for provider in demo_data.PROVIDERS)
#: The bids as the pages list them: by the bidder's name.
BIDS = (CANNOCK, MOORLANDS, TRENT)
SCALE = ("0 unacceptable", "1 poor", "2 weak", "3 satisfactory", "4 good", "5 excellent")
#: Question 1 is the pass or fail CQC question; 2 and 3 are Quality's, 4 Social value's,
#: each scored 0 to 5; 5 to 19 are the outcome tests.
QUESTIONS = range(1, 20)
OUTCOME_TESTS = range(5, 20)
#: The outcome test Tom scores with the keyboard, the last on the page.
LAST = 19

Marks = dict[int, str]


def marks(quality: int, staffing: int, social_value: int, outcome: str) -> Marks:
    """A mark for each question: Pass, three scores from 0 to 5 and one mark for every
    outcome test."""
    given = {1: "Pass", 2: SCALE[quality], 3: SCALE[staffing], 4: SCALE[social_value]}
    return given | dict.fromkeys(OUTCOME_TESTS, outcome)


#: Near enough everywhere, except on Trent Valley's question 2 (4 against 2) and its last
#: outcome test (Yes against No): the two marks the grid flags.
TOM_MARKS = {
    CANNOCK: marks(2, 2, 1, "No"),
    MOORLANDS: marks(5, 4, 4, "Yes"),
    TRENT: marks(4, 3, 3, "Partially") | {LAST: "Yes"},
}
AISHA_MARKS = {
    CANNOCK: marks(2, 3, 1, "No"),
    MOORLANDS: marks(4, 4, 4, "Yes"),
    TRENT: marks(2, 3, 3, "Partially") | {LAST: "No"},
}
CONSENSUS = {
    CANNOCK: marks(2, 2, 1, "No"),
    MOORLANDS: marks(5, 4, 4, "Yes"),
    TRENT: marks(3, 3, 3, "Partially"),
}
#: Aisha's reason for the divergent score, which Tom sees only once he has submitted.
AISHA_ON_TRENT = (
    "Reviews are only said to be regular, with no example from a service they run: "
    "weak evidence of strengths-based support."
)
#: A passage of Moorlands' answer (evaluation/demo.py), quoted by Tom.
QUOTE = "Every child has a named lead worker who meets the family before the first night"


def reason(who: str, bid: str, number: int, mark: str) -> str:
    if (who, bid, number) == (AISHA.name, TRENT, 2):
        return AISHA_ON_TRENT
    return f"{who.split()[0]} gives question {number} of {bid} {mark}: the answer shows it."


def success_banner(page: Page) -> Locator:
    return page.get_by_role("alert", name="Success")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def question(page: Page, number: int) -> Locator:
    """A question's part of the reading page: a region named by its heading."""
    return page.get_by_role("region", name=f"Question {number}", exact=True)


def signed_in(page: Page, person: demo_data.DemoUser) -> None:
    """Signed in, on "Your evaluations", by the menu."""
    sign_in(page, person.email, person.password)
    expect(page).to_have_url(re.compile(r"/account$"))
    menu(page).get_by_role("link", name="Evaluations").click()
    expect(heading(page)).to_have_text("Your evaluations")


def open_lot(page: Page, role: str, next_step: str | re.Pattern[str]) -> None:
    """From "Your evaluations", the lot's home page."""
    row = page.get_by_role("row").filter(has_text=TENDER)
    expect(row.get_by_role("cell").nth(2)).to_have_text(role)
    expect(row.get_by_role("cell").nth(3)).to_have_text(next_step)
    assert_accessible(page)
    row.get_by_role("link", name=LOT).click()
    expect(heading(page)).to_have_text(LOT)
    assert_accessible(page)


def score(page: Page, who: str, bid: str, given: Mapping[int, str]) -> None:
    """Give each question its mark and a reason, through the page's own fields."""
    for number, mark in given.items():
        fields = question(page, number)
        fields.get_by_role("radio", name=mark, exact=True).check()
        fields.get_by_role("textbox", name=f"Reason for your mark for question {number}").fill(
            reason(who, bid, number, mark)
        )


def save_and_go_on(page: Page, bid: str, following: str | None) -> None:
    page.get_by_role("button", name=re.compile(r"^Save and (go to the next bid|check)")).click()
    if following is None:
        expect(heading(page)).to_have_text("Submit your scores for lot 1")
        expect(success_banner(page)).to_contain_text(
            f"Your scores for {bid} are saved. That was the last bid"
        )
    else:
        expect(heading(page)).to_have_text(f"Bid from {following}")
        expect(success_banner(page)).to_contain_text(f"Your scores for {bid} are saved")
    assert_accessible(page)


def submit_scores(page: Page) -> None:
    """From the check page, every bid scored: submit, and back on the lot's page."""
    expect(page.get_by_text("You have given every question of all 3 bids a mark")).to_be_visible()
    page.get_by_role("button", name="Submit my scores for this lot").click()
    expect(heading(page)).to_have_text(LOT)
    expect(success_banner(page)).to_contain_text("Your scores for lot 1 are submitted at")
    expect(success_banner(page)).to_contain_text("They are locked")
    bids = page.get_by_test_id("bids")
    expect(bids.get_by_role("link")).to_have_text([re.compile(f"^{bid}") for bid in BIDS])
    expect(bids.locator(".govuk-tag")).to_have_text(["Submitted"] * 3)
    assert_accessible(page)


def open_first_bid(page: Page) -> None:
    bids = page.get_by_test_id("bids")
    expect(bids.get_by_role("link")).to_have_text([re.compile(f"^{bid}") for bid in BIDS])
    expect(bids.locator(".govuk-tag")).to_have_text(["Not started"] * 3)
    bids.get_by_role("link", name=re.compile(f"^{BIDS[0]}\\W+read and score the bid$")).click()
    expect(heading(page)).to_have_text(f"Bid from {BIDS[0]}")
    expect(page.get_by_test_id("question")).to_have_count(len(QUESTIONS))
    assert_accessible(page)


def choose_last_outcome_with_the_keyboard(page: Page, mark: str, why: str) -> None:
    """From the field before it, Tab to the last outcome test's marks, choose the first
    (``mark``) with Space, move along with the arrow keys and back, Tab to its reason and
    type it, then Tab on to the button that saves and goes on, and press Enter."""
    page.get_by_role(
        "textbox", name=f"Passage of the bid that supports it for question {LAST - 1} (optional)"
    ).focus()
    page.keyboard.press("Tab")
    choices = question(page, LAST).get_by_role("radio")
    expect(choices.first).to_be_focused()
    chosen = question(page, LAST).get_by_role("radio", name=mark, exact=True)
    page.keyboard.press("Space")
    expect(chosen).to_be_checked()
    # The arrow keys move the choice along the marks, and back.
    page.keyboard.press("ArrowDown")
    expect(choices.nth(1)).to_be_checked()
    expect(choices.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(chosen).to_be_checked()
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("textbox", name=f"Reason for your mark for question {LAST}")
    ).to_be_focused()
    page.keyboard.type(why)
    page.keyboard.press("Tab")  # the passage, left empty
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save scores")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save and check your scores")).to_be_focused()
    page.keyboard.press("Enter")


def grid_row(page: Page, bid: str, number: int) -> Locator:
    table = page.get_by_role("table", name=f"Marks for {bid}, by question")
    return table.get_by_test_id("cell").nth(number - 1)


def record_consensus(page: Page, bid: str) -> None:
    """From the grid, the bid's consensus form: a mark and a reason for every question."""
    page.get_by_role("link", name=f"Record the consensus for {bid}").click()
    expect(heading(page)).to_have_text(f"Consensus for {bid}")
    expect(page.get_by_test_id("flag")).to_have_count(2 if bid == TRENT else 0)
    if bid == MOORLANDS:
        # The passage Tom quoted, beside his reason.
        expect(page.get_by_test_id("question").nth(1)).to_contain_text(
            f"Quoting the bid: “{QUOTE}”"
        )
    assert_accessible(page)
    for number, mark in CONSENSUS[bid].items():
        consensus = page.get_by_role(
            "group", name=f"Consensus mark for question {number}", exact=True
        )
        consensus.get_by_role("radio", name=mark, exact=True).check()
        page.get_by_role(
            "textbox", name=f"Reason for the consensus for question {number}", exact=True
        ).fill(f"The panel agrees {mark} for question {number} of {bid}.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(heading(page)).to_have_text("Moderation")
    expect(success_banner(page)).to_contain_text(f"The consensus for {bid} has been saved")
    assert_accessible(page)


def test_two_evaluators_score_blind_and_the_moderator_signs_off_ranked_results(
    new_context: Callable[..., BrowserContext],
) -> None:
    gareth = new_context().new_page()
    aisha = new_context().new_page()
    tom = new_context().new_page()

    # The moderator cannot record a consensus before the evaluators have submitted.
    signed_in(gareth, GARETH)
    open_lot(gareth, "Moderator", "Moderate the evaluators' scores")
    gareth.get_by_role("link", name="Moderate the evaluators' scores").click()
    expect(heading(gareth)).to_have_text("Moderation")
    expect(gareth.get_by_test_id("waiting")).to_contain_text(
        f"Waiting for: {AISHA.name}, {TOM.name}"
    )
    expect(gareth.get_by_test_id("record")).to_have_count(0)
    assert_accessible(gareth)

    # Aisha scores every bid, one after another, and submits.
    signed_in(aisha, AISHA)
    open_lot(aisha, "Evaluator", "Score the bids: 0 of 57 scores given")
    open_first_bid(aisha)
    for place, bid in enumerate(BIDS):
        score(aisha, AISHA.name, bid, AISHA_MARKS[bid])
        save_and_go_on(aisha, bid, BIDS[place + 1] if place + 1 < len(BIDS) else None)
    submit_scores(aisha)

    # Tom scores; on the last bid, Aisha's scores are submitted but nowhere on his page.
    signed_in(tom, TOM)
    open_lot(tom, "Evaluator", "Score the bids: 0 of 57 scores given")
    open_first_bid(tom)
    for bid in BIDS[:-1]:
        score(tom, TOM.name, bid, TOM_MARKS[bid])
        if bid == MOORLANDS:
            question(tom, 2).get_by_role(
                "textbox", name="Passage of the bid that supports it for question 2 (optional)"
            ).fill(QUOTE)
        save_and_go_on(tom, bid, BIDS[BIDS.index(bid) + 1])
    expect(heading(tom)).to_have_text(f"Bid from {TRENT}")
    expect(tom.get_by_test_id("other-score")).to_have_count(0)
    expect(tom.get_by_test_id("others")).to_have_count(0)
    # Not hidden but absent: the HTML holds none of her name, marks or reasons.
    html = tom.content()
    assert AISHA_ON_TRENT not in html
    assert "Aisha" not in html
    expect(tom.get_by_role("radio", checked=True)).to_have_count(0)

    by_mouse = {n: mark for n, mark in TOM_MARKS[TRENT].items() if n != LAST}
    score(tom, TOM.name, TRENT, by_mouse)
    choose_last_outcome_with_the_keyboard(
        tom, TOM_MARKS[TRENT][LAST], reason(TOM.name, TRENT, LAST, TOM_MARKS[TRENT][LAST])
    )
    expect(heading(tom)).to_have_text("Submit your scores for lot 1")
    expect(success_banner(tom)).to_contain_text(
        f"Your scores for {TRENT} are saved. That was the last bid"
    )
    assert_accessible(tom)
    submit_scores(tom)

    # Now Tom reads Aisha's marks and reasons beside his own.
    tom.get_by_role("link", name=re.compile(f"^{TRENT}\\W+read the bid$")).click()
    expect(tom.get_by_test_id("locked")).to_contain_text("You submitted your scores")
    expect(tom.get_by_role("radio")).to_have_count(0)
    own = question(tom, 2).get_by_test_id("own-score")
    expect(own.get_by_test_id("mark")).to_have_text(SCALE[4])
    other = question(tom, 2).get_by_test_id("other-score")
    expect(other).to_have_count(1)
    expect(other.get_by_role("heading")).to_have_text(AISHA.name)
    expect(other.get_by_test_id("mark")).to_have_text(SCALE[2])
    expect(other.get_by_test_id("rationale")).to_have_text(AISHA_ON_TRENT)
    expect(question(tom, LAST).get_by_test_id("other-score").get_by_test_id("mark")).to_have_text(
        "No"
    )
    assert_accessible(tom)

    # The moderator's grid: both submitted, and the two divergent marks flagged in words.
    gareth.get_by_role("link", name="Moderation", exact=True).click()
    expect(gareth.get_by_test_id("waiting")).to_have_count(0)
    expect(gareth.get_by_test_id("evaluators").get_by_role("cell")).to_have_text(
        [re.compile(r"^\s*Submitted at")] * 2
    )
    expect(gareth.get_by_test_id("counts")).to_contain_text("Consensus recorded for 0 of 57 marks")
    expect(gareth.get_by_test_id("counts")).to_contain_text(
        "2 marks are flagged because the evaluators' scores diverge"
    )
    expect(gareth.get_by_test_id("flag")).to_have_count(2)
    expect(grid_row(gareth, TRENT, 2).get_by_test_id("range")).to_contain_text(
        "Scores diverge: Scores range from 2 to 4"
    )
    expect(grid_row(gareth, TRENT, 2).get_by_test_id("scores")).to_contain_text(AISHA_ON_TRENT)
    expect(grid_row(gareth, TRENT, LAST).get_by_test_id("range")).to_contain_text(
        "Scores diverge: Yes against No"
    )
    expect(grid_row(gareth, MOORLANDS, 2).get_by_test_id("range")).to_have_text("4 to 5")
    assert_accessible(gareth)

    # Consensus for every mark of every bid, then the sign-off.
    for bid in BIDS:
        record_consensus(gareth, bid)
        expect(grid_row(gareth, bid, 2).get_by_test_id("consensus")).to_contain_text(
            CONSENSUS[bid][2]
        )
    expect(gareth.get_by_test_id("counts")).to_contain_text("Consensus recorded for 57 of 57 marks")
    expect(grid_row(gareth, TRENT, LAST).get_by_test_id("consensus")).to_contain_text("Partially")
    gareth.get_by_role("button", name="Sign off the consensus").click()
    expect(heading(gareth)).to_have_text("Sign off the consensus for lot 1")
    expect(
        gareth.get_by_text("2 of them flagged because the evaluators' scores diverged")
    ).to_be_visible()
    assert_accessible(gareth)
    gareth.get_by_role("button", name="Sign off the consensus for this lot").click()

    # The results: ranked, and each bid's score explained in words.
    expect(heading(gareth)).to_have_text("Results")
    expect(success_banner(gareth)).to_contain_text(
        "You signed off the consensus for lot 1. These are its results"
    )
    ranked = gareth.get_by_test_id("ranked")
    expect(ranked.get_by_test_id("rank")).to_have_text(["1st", "2nd", "3rd"])
    expect(ranked.get_by_role("rowheader")).to_have_text([MOORLANDS, TRENT, CANNOCK])
    expect(ranked.get_by_test_id("awarded")).to_have_text(["Yes", "Yes", "No"])
    explained = gareth.get_by_test_id("explanation")
    expect(explained.filter(has_text=MOORLANDS)).to_contain_text(
        "Ranked 1st of 3; awarded (the lot awards 2 providers)"
    )
    expect(explained.filter(has_text=TRENT)).to_contain_text("Ranked 2nd of 3; awarded")
    expect(explained.filter(has_text=CANNOCK)).to_contain_text("Ranked 3rd of 3; not awarded")
    expect(explained.filter(has_text=MOORLANDS)).to_contain_text(
        re.compile(r"Quality: [\d.]+ of 40 points")
    )
    assert_accessible(gareth)

    # The evaluation matrix: every outcome test's consensus, in words.
    gareth.get_by_role("link", name="See the evaluation matrix of outcome tests").click()
    expect(heading(gareth)).to_have_text("Evaluation matrix")
    matrix = gareth.get_by_test_id("matrix")
    expect(matrix.get_by_role("columnheader")).to_have_text(["Outcome test", *BIDS])
    tests = matrix.get_by_test_id("test")
    expect(tests).to_have_count(len(OUTCOME_TESTS))
    for row in range(len(OUTCOME_TESTS)):
        expect(tests.nth(row).get_by_role("cell")).to_have_text(["No", "Yes", "Partially"])
    expect(tests.first.get_by_role("rowheader")).to_contain_text(f"{OUTCOME_TESTS[0]}. ")
    assert_accessible(gareth)
