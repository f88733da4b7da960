"""A tender's award in Chromium, from the approval to the confirmation after the standstill.

The demo's "Home care in Cannock Chase" is moderated and signed off by Daniel Hughes, an
officer who sits on its panel: he may produce the award report but not approve the award,
and an approval posted past the page is refused too. Priya Shah, on none of its panels,
reads the results, produces the report, downloads it, approves it with reasons and issues
the notices; the page gives the standstill's last day in words. Each bidder downloads its
own notices from its bid: the winner's summary gives its scores, the runner-up's its own,
the winner's and the standstill's last day, the decision letters that day too; the winner's email
carries her two notices; neither bidder reaches the other's. The server's clock then moves
on, and Priya, signed out meanwhile, signs in again: on the standstill's last day the
confirmation is refused with the day it can be made; on that day it is made, the tender
is awarded and the winner reads that her bid is successful. axe-core checks every page
seen.

Nothing else in the browser tests touches this tender, so the session's demo server
serves; its clock is the system's again after the test.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect
from pypdf import PdfReader

from app import demo_data
from app.clock import LONDON
from evaluation import demo as evaluation_demo
from evaluation import standstill
from tests.browser.conftest import ServerClock, WrittenMail, assert_accessible
from tests.browser.test_bid_journey import mail_to
from tests.browser.test_evaluation_journey import heading, success_banner
from tests.browser.test_journeys import menu, sign_in

TENDER = evaluation_demo.MODERATED_TITLE
LOT = "Home care, Cannock Chase"
PRIYA = demo_data.COUNCIL_OFFICER
DANIEL = demo_data.COUNCIL_MODERATING_OFFICER
HELEN, SAM = demo_data.PROVIDERS[0].user, demo_data.PROVIDERS[1].user
MOORLANDS, TRENT, CANNOCK = (provider.organisation for provider in demo_data.PROVIDERS)
#: The lot appoints one provider; its results rank Moorlands (Helen's) first and Trent
#: Valley (Sam's) second, and exclude Cannock Chase Family Support's thin bid.
WINNER, RUNNER_UP = MOORLANDS, TRENT
#: The demo tender's standstill: the Act's default number of working days.
STANDSTILL_DAYS = 8
SEATED = (
    "You sit on the panel for lot 1: the award is approved by an officer who is on none of "
    "this tender's panels"
)
REASONS = (
    "The report recommends the highest scoring compliant bid; the prices above the reference "
    "prices were looked into and are explained by the rural travel time."
)
NOON = time(12)

#: The approval form, which the award page withholds from a panel member, posted from his
#: browser all the same (a form kept from elsewhere, or made by hand).
POST_APPROVAL = """([action, fields]) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    const token = document.querySelector("input[name=_csrf_token]").value;
    for (const [name, value] of Object.entries({_csrf_token: token, ...fields})) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
    }
    document.body.append(form);
    form.submit();
}"""


def in_words(day: date) -> str:
    """ "Thursday 3 December 2026", as the pages and notices write a day."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def one_line(text: str) -> str:
    """The text with every run of white space made one space: a PDF's text breaks its lines
    where the layout does."""
    return " ".join(text.split())


def address(page: Page) -> str:
    """The page's address without its fragment."""
    return page.url.split("#", 1)[0]


def status(page: Page) -> Locator:
    return page.get_by_test_id("status")


def signed_in(page: Page, person: demo_data.DemoUser) -> None:
    sign_in(page, person.email, person.password)
    expect(page).to_have_url(re.compile(r"/account$"))
    assert_accessible(page)


def open_award(page: Page) -> None:
    """From anywhere, by the menu: the tender's award page."""
    menu(page).get_by_role("link", name="Tenders").click()
    expect(heading(page)).to_have_text(f"Tenders of {demo_data.COUNCIL}")
    assert_accessible(page)
    page.get_by_role("link", name=TENDER, exact=True).click()
    expect(heading(page)).to_have_text(TENDER)
    assert_accessible(page)
    page.get_by_test_id("evaluation-links").get_by_role("link", name="Award").click()
    expect(heading(page)).to_have_text("Award")
    assert_accessible(page)


def download(page: Page, link: Locator) -> bytes:
    """The PDF a link downloads."""
    with page.expect_download() as started:
        link.click()
    assert started.value.suggested_filename.endswith(".pdf")
    data = Path(started.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    return data


def pdf_text(data: bytes) -> str:
    return one_line(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def ranked_scores(page: Page) -> dict[str, str]:
    """From the results page: each ranked bid's section scores and total, one after another
    as a row of a notice's scores table reads."""
    ranked = page.get_by_test_id("ranked")
    return {
        row.get_by_role("rowheader").inner_text(): " ".join(
            [
                *row.get_by_test_id("section-score").all_inner_texts(),
                row.get_by_test_id("total").inner_text(),
            ]
        )
        for row in ranked.all()
    }


def produce_report(page: Page) -> str:
    """Produce the award report; its digest, as the page gives it."""
    page.get_by_role("button", name="Produce the award report").click()
    expect(success_banner(page)).to_contain_text("The award report has been produced at")
    latest = page.get_by_test_id("report").first
    expect(latest).to_contain_text("Latest")
    assert_accessible(page)
    return latest.get_by_test_id("digest").inner_text()


def open_decision(page: Page, person: demo_data.DemoUser) -> None:
    """Signed in as a bidder, from "Your bids" to the decision on its bid."""
    signed_in(page, person)
    menu(page).get_by_role("link", name="Your bids").click()
    expect(heading(page)).to_have_text("Your bids")
    assert_accessible(page)
    page.get_by_role("link", name=TENDER, exact=True).click()
    expect(heading(page)).to_have_text(f"Your bid for {TENDER}")
    assert_accessible(page)
    page.get_by_role("link", name="See the council's decision and download your notices").click()
    expect(heading(page)).to_have_text(f"Decision on {TENDER}")
    assert_accessible(page)


def notice_link(page: Page, kind: str) -> Locator:
    return page.get_by_test_id("notice").filter(has_text=kind).get_by_role("link")


def confirm(page: Page) -> None:
    page.get_by_role("button", name="Confirm the award").click()


def back_at_noon(page: Page, person: demo_data.DemoUser, clock: ServerClock, day: date) -> None:
    """The server's clock at noon, London time, on ``day``: days on, the person's session
    has ended, and they sign in again."""
    clock.set(datetime.combine(day, NOON, tzinfo=LONDON))
    page.goto(address(page))
    expect(page).to_have_url(re.compile(r"/sign-in"))
    signed_in(page, person)


def test_officer_off_the_panel_approves_notices_go_out_and_the_award_waits_for_the_standstill(
    new_context: Callable[..., BrowserContext],
    server_clock: ServerClock,
    server_outbox: WrittenMail,
) -> None:
    daniel = new_context().new_page()
    priya = new_context().new_page()
    helen = new_context().new_page()
    sam = new_context().new_page()

    # Daniel moderated the lot: he may put the award report forward, not approve it.
    signed_in(daniel, DANIEL)
    open_award(daniel)
    expect(status(daniel)).to_have_text("Status: Moderated")
    digest = produce_report(daniel)
    expect(daniel.get_by_test_id("approval-refused")).to_contain_text(
        f"You cannot approve this award. {SEATED}."
    )
    expect(daniel.get_by_role("button", name="Approve the award")).to_have_count(0)
    daniel.evaluate(
        POST_APPROVAL,
        [f"{address(daniel)}/approve", {"reasons": REASONS, "report_sha256": digest}],
    )
    expect(heading(daniel)).to_have_text("You do not have permission to see this page")
    expect(daniel.get_by_text(f"{SEATED}.")).to_be_visible()
    assert_accessible(daniel)
    open_award(daniel)
    expect(status(daniel)).to_have_text("Status: Moderated")
    expect(daniel.get_by_test_id("decision")).to_have_count(0)

    # Priya reads the results, produces the report, reads it and approves it.
    signed_in(priya, PRIYA)
    open_award(priya)
    expect(priya.get_by_test_id("report")).to_contain_text(DANIEL.name)
    priya.get_by_role("link", name=f"Results of lot 1: {LOT}").click()
    expect(heading(priya)).to_have_text("Results")
    ranked = priya.get_by_test_id("ranked")
    expect(ranked.get_by_role("rowheader")).to_have_text([WINNER, RUNNER_UP])
    expect(ranked.get_by_test_id("awarded")).to_have_text(["Yes", "No"])
    expect(priya.get_by_test_id("excluded")).to_contain_text(CANNOCK)
    scores = ranked_scores(priya)
    assert_accessible(priya)
    priya.go_back()
    expect(heading(priya)).to_have_text("Award")

    digest = produce_report(priya)
    expect(priya.get_by_test_id("report")).to_have_count(2)
    report = download(priya, priya.get_by_test_id("report").first.get_by_role("link"))
    assert hashlib.sha256(report).hexdigest() == digest
    report_text = pdf_text(report)
    assert f"Award report: {TENDER}" in report_text
    for bidder in (MOORLANDS, TRENT, CANNOCK):
        assert bidder in report_text
    assert f"Lot 1 ({LOT}): award to {WINNER}." in report_text
    assert f"Award to {WINNER}: ranked 1st of 2" in report_text

    priya.get_by_label("Reasons for the decision").fill(REASONS)
    priya.get_by_role("button", name="Approve the award").click()
    expect(success_banner(priya)).to_contain_text(
        "You approved the award. The tender is now award approved"
    )
    expect(status(priya)).to_have_text("Status: Award approved")
    decision = priya.get_by_test_id("decision")
    expect(decision).to_contain_text(PRIYA.name)
    expect(decision.get_by_test_id("reasons")).to_have_text(REASONS)
    expect(decision.get_by_test_id("decision-digest")).to_have_text(digest)
    assert_accessible(priya)

    # The notices: the standstill begins today, in London.
    issued_on = server_clock.now().astimezone(LONDON).date()
    last_day = standstill.last_day(issued_on, STANDSTILL_DAYS)
    confirmable_from = standstill.confirmable_from(issued_on, STANDSTILL_DAYS)
    priya.get_by_role("button", name="Issue the notices").click()
    expect(success_banner(priya)).to_contain_text("The notices were issued at")
    expect(priya.get_by_test_id("standstill")).to_have_text(
        f"The standstill's last day is {in_words(last_day)}; "
        f"the award can be confirmed from {in_words(confirmable_from)}."
    )
    # Each bidder's summary and letter, and the award notice.
    expect(priya.get_by_test_id("notice")).to_have_count(7)
    assert_accessible(priya)

    # Helen's bid won: her summary gives her scores and names no other bidder.
    open_decision(helen, HELEN)
    expect(helen.get_by_test_id("standstill")).to_have_text(
        f"The standstill period ends at midnight at the end of {in_words(last_day)}. "
        "The council will not confirm the award before then."
    )
    expect(helen.get_by_test_id("notice")).to_have_count(3)
    expect(helen.get_by_test_id("notices")).not_to_contain_text(RUNNER_UP)
    helens_summary = download(helen, notice_link(helen, "Assessment summary"))
    summary = pdf_text(helens_summary)
    assert f"For {MOORLANDS}." in summary
    assert "Your bid was successful: it ranked 1st of 2" in summary
    assert scores[WINNER] in summary
    assert RUNNER_UP not in summary
    assert CANNOCK not in summary
    helens_letter = download(helen, notice_link(helen, "Decision letter"))
    assert f"its last day is {in_words(last_day)}" in pdf_text(helens_letter)

    # Sam's bid came second: his summary gives his scores, the winner's and the standstill's
    # last day.
    open_decision(sam, SAM)
    summary = pdf_text(download(sam, notice_link(sam, "Assessment summary")))
    own, _, winners = summary.partition(f"The awarded bid: {WINNER}")
    assert "Your bid was not successful: it ranked 2nd of 2" in own
    assert scores[RUNNER_UP] in own
    assert scores[WINNER] in winners
    assert f"its last day is {in_words(last_day)}" in winners
    letter = pdf_text(download(sam, notice_link(sam, "Decision letter")))
    assert f"its last day is {in_words(last_day)}" in letter

    # Helen's email has the two, as she downloaded them, and the standstill in words.
    (mail,) = server_outbox.wait_for(mail_to(HELEN.email, f"Decision on {TENDER}"), count=1)
    attached = sorted(part.get_content() for part in mail.message.iter_attachments())
    assert attached == sorted([helens_summary, helens_letter])
    assert f"ends at midnight at the end of {in_words(last_day)}" in one_line(mail.text)

    # Neither bidder reaches the other's notices, by the other's bid or by its own.
    sams_summary = notice_link(sam, "Assessment summary").get_attribute("href")
    assert sams_summary is not None
    helens_bid = helen.url.removesuffix("/decision")
    notice_id = sams_summary.rsplit("/", 1)[1]
    for elsewhere in (sams_summary, f"{helens_bid}/notices/{notice_id}"):
        response = helen.goto(elsewhere)
        assert response is not None
        assert response.status == 404
        expect(heading(helen)).to_have_text("Page not found")
        assert_accessible(helen)

    # On the standstill's last day: too early to confirm.
    back_at_noon(priya, PRIYA, server_clock, last_day)
    open_award(priya)
    confirm(priya)
    # Refused on the award page itself, saying from when.
    expect(heading(priya)).to_have_text("Award")
    expect(priya.locator(".govuk-error-summary")).to_contain_text(
        f"The standstill ends at midnight at the end of {in_words(last_day)}: "
        f"the award can be confirmed from {in_words(confirmable_from)}"
    )
    assert_accessible(priya)
    expect(status(priya)).to_have_text("Status: Award approved")
    open_award(priya)

    # The next day the standstill is over: the award is confirmed and the tender awarded.
    back_at_noon(priya, PRIYA, server_clock, confirmable_from)
    open_award(priya)
    confirm(priya)
    expect(success_banner(priya)).to_contain_text(
        "You confirmed the award. The tender is now awarded"
    )
    expect(status(priya)).to_have_text("Status: Awarded")
    expect(priya.get_by_test_id("awarded")).to_contain_text(
        f"on {in_words(confirmable_from)}. The tender is awarded."
    )
    assert_accessible(priya)
    menu(priya).get_by_role("link", name="Tenders").click()
    expect(priya.get_by_test_id("tender-row").filter(has_text=TENDER)).to_contain_text("Awarded")
    assert_accessible(priya)

    # Helen reads that her bid is successful.
    open_decision(helen, HELEN)
    expect(helen.get_by_test_id("confirmed")).to_have_text(
        f"The council confirmed the award on {in_words(confirmable_from)}."
    )
    expect(helen.get_by_test_id("outcome")).to_contain_text("Successful")
