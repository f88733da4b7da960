"""A provider's bid in Chromium, from "Start a bid" to the receipt, its email and its PDF.

A provider drafts a two-lot bid on the children's framework across two sign-ins, with a
supporting file and prices; follows each problem "Check your answers" lists to its field
and fixes it; submits; gets the receipt page, the receipt PDF (whose text holds the seal
shown on screen) and the email, through a real SMTP server (aiosmtpd); changes an answer
and submits again. The same provider then submits a bid on the supported-living tender and
withdraws it. A provider with JavaScript off submits a bid too. axe-core checks every page.

The demo tenders are shared by the whole session, so each test registers its own provider.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

from playwright.sync_api import BrowserContext, Locator, Page, expect
from pypdf import PdfReader

from tests.app.test_files import pdf_bytes, png_bytes
from tests.browser.conftest import Mailbox, ReceivedMail, assert_accessible
from tests.browser.test_journeys import PASSWORD, fill_registration, menu, sign_in, unique_email

CHILDREN = "Children's community support framework"
SUPPORTED = "Supported living block contracts"
SEAL = re.compile(r"[0-9a-f]{64}")
#: The children's framework's first two lots, and what the check page says is wrong with
#: the draft this journey leaves before it checks, in the order of the bid's pages.
LIFE_SKILLS = "Lot 1: Life skills and independence short breaks"
COMPLEX_CARE = "Lot 2: Complex care"
DRAFT_PROBLEMS = [
    "Lot 1: Your answer to question 3 is 510 words: shorten it by 10 words to 500 or fewer",
    "Lot 1: Answer question 4",
    "Lot 2: Answer yes or no to question 1",
    "Lot 2: Answer question 4",
    "Lot 2: Enter a price for Sleep-in night",
]
#: Prices for a supported-living lot, each within the advice's bounds (at most the
#: reference price, at least 70% of it), so that "Save and continue" goes straight on.
SUPPORTED_PRICES = {
    "Support, daytime (standard)": "14.50",
    "Support, daytime (enhanced)": "15.60",
    "Sleep-in night (standard)": "80.00",
    "Sleep-in night (waking support)": "90.00",
}
WITHDRAW_REASON = "Our registered manager for the North has left and we cannot staff the lot"


# Finding things on the bid pages ------------------------------------------------------


def success_banner(page: Page) -> Locator:
    return page.get_by_role("alert", name="Success")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def question(page: Page, number: int) -> Locator:
    """A question's block on a section page: its heading, field(s) and files button."""
    return page.get_by_test_id("question").filter(
        has=page.get_by_role("heading", name=f"Question {number}", exact=True)
    )


def lot_tasks(page: Page, lot: int) -> Locator:
    """The overview's task list for the ``lot``-th chosen lot (counting from 1)."""
    return page.get_by_test_id("lot-tasks").nth(lot - 1)


def task_status(page: Page, lot: int, task: str) -> Locator:
    item = lot_tasks(page, lot).locator(".govuk-task-list__item").filter(has_text=task)
    return item.locator(".govuk-task-list__status")


def problem_links(page: Page) -> Locator:
    return page.get_by_test_id("problems").get_by_role("link")


def price(page: Page, description: str) -> Locator:
    """A price field, by the item it prices (its label goes on with the unit)."""
    return page.get_by_label(f"{description} (")


def fill_prices(page: Page, prices: Mapping[str, str]) -> None:
    for description, pounds in prices.items():
        price(page, description).fill(pounds)


# Steps of the journey -----------------------------------------------------------------


def register_provider(page: Page, organisation: str, name: str, email: str) -> None:
    """A new provider organisation, signed in. (test_journeys checks these pages with axe,
    with JavaScript on and off; here they are only passed through.)"""
    page.goto("/register")
    fill_registration(page, organisation, name, email)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/account$"))


def start_bid(page: Page, title: str) -> str:
    """Find the tender among the opportunities, open it and start a bid; the bid's path."""
    page.goto("/opportunities")
    filters = page.get_by_test_id("filters")
    filters.get_by_label("Search").fill(title)
    filters.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("results-count")).to_have_text("1 tender")
    assert_accessible(page)
    page.get_by_test_id("result").get_by_role("link", name=title, exact=True).click()
    expect(heading(page)).to_have_text(title)
    assert_accessible(page)
    page.get_by_test_id("bid-action").get_by_role("button", name="Start a bid").click()
    expect(page).to_have_url(re.compile(r"/bids/[0-9a-f-]{36}$"))
    expect(heading(page)).to_have_text(f"Your bid for {title}")
    expect(page.get_by_test_id("bid-status")).to_contain_text(
        "You have not submitted this bid yet. Everything you save is kept"
    )
    assert_accessible(page)
    return urlsplit(page.url).path


def choose_lots(page: Page, lots: Collection[str]) -> None:
    page.get_by_role("link", name="Choose the lots you are bidding for").click()
    expect(page).to_have_url(re.compile(r"/lots$"))
    assert_accessible(page)
    for lot in lots:
        page.get_by_label(lot, exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(success_banner(page)).to_contain_text("The lots you are bidding for have been saved")
    for lot in lots:
        expect(
            page.get_by_role("heading", name=re.compile(rf"\. {re.escape(lot)}$"))
        ).to_be_visible()
    assert_accessible(page)


def open_task(page: Page, lot: int, task: str, lot_name: str) -> None:
    lot_tasks(page, lot).get_by_role("link", name=task, exact=True).click()
    expect(heading(page)).to_have_text(task)
    expect(page.locator(".govuk-caption-l")).to_have_text(lot_name)
    assert_accessible(page)


def answer_questions(
    page: Page, *, leave: Collection[int] = (), texts: Mapping[int, str] | None = None
) -> dict[int, str]:
    """Yes to each declaration and an answer to each other question on the section page,
    except the questions numbered in ``leave``; returns the answers typed, by number."""
    typed: dict[int, str] = {}
    for block in page.get_by_test_id("question").all():
        title = block.get_by_role("heading", level=2).inner_text()
        number = int(title.removeprefix("Question "))
        if number in leave:
            continue
        if block.get_by_role("radio").count():
            block.get_by_label("Yes", exact=True).check()
            continue
        typed[number] = (texts or {}).get(
            number,
            f"For question {number}, each family has a named coordinator who reviews the "
            "support plan with them every six weeks.",
        )
        block.get_by_role("textbox").fill(typed[number])
    return typed


def answer_outcome_tests(page: Page, lot: int, lot_name: str) -> None:
    """The lot's outcome tests, each answered, from the bid's task list and back to it."""
    open_task(page, lot, "Outcomes", lot_name)
    answer_questions(page)
    page.get_by_role("button", name="Save and come back later").click()
    expect(success_banner(page)).to_contain_text("Your answers have been saved")
    expect(task_status(page, lot, "Outcomes")).to_have_text("Completed")


def words(count: int) -> str:
    return " ".join(f"word{n}" for n in range(count))


def follow_problem(page: Page, message: str) -> None:
    """Follow a problem's link from the check page: it opens the page with its field."""
    link = page.get_by_test_id("problems").get_by_role("link", name=message, exact=True)
    href = link.get_attribute("href")
    assert href is not None
    assert "#" in href
    link.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.locator(f"#{href.split('#', 1)[1]}")).to_be_in_viewport()
    assert_accessible(page)


def reopen_check(page: Page, bid_path: str) -> None:
    """Back to the check page, already checked by axe with more problems listed."""
    page.goto(f"{bid_path}/check")
    expect(heading(page)).to_have_text("Check your answers before submitting your bid")


def submit(page: Page, organisation: str, number: int) -> tuple[str, str]:
    """Accept and submit from the check page; the submission's id and seal, as shown."""
    expect(page.get_by_test_id("problems")).to_have_count(0)
    expect(page.get_by_role("heading", name="Now submit your bid")).to_be_visible()
    expect(page.get_by_test_id("declaration")).to_contain_text(organisation)
    page.get_by_role("button", name="Accept and submit").click()
    expect(page).to_have_url(re.compile(r"/bids/[0-9a-f-]{36}/submissions/[0-9a-f-]{36}$"))
    expect(page).to_have_title(re.compile(r"^Bid submitted"))
    expect(page.locator(".govuk-panel")).to_contain_text(f"Submission {number} of {organisation}")
    digest = page.get_by_test_id("digest").inner_text()
    submission_id = page.get_by_test_id("submission-id").inner_text()
    assert SEAL.fullmatch(digest), digest
    assert page.url.endswith(f"/submissions/{submission_id}")
    assert_accessible(page)
    return submission_id, digest


def receipt_pdf_text(page: Page, submission_id: str) -> str:
    """Download the receipt PDF from the receipt page: its text, without any whitespace
    (a long seal may be wrapped over lines)."""
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your receipt (PDF)").click()
    assert download.value.suggested_filename == f"bid-receipt-{submission_id}.pdf"
    path = download.value.path()
    text = "".join(page_.extract_text() for page_ in PdfReader(path).pages)
    return "".join(text.split())


def mail_to(email: str, subject: str) -> Callable[[ReceivedMail], bool]:
    return lambda mail: email in mail.recipients and mail.subject == subject


def evidence_file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def upload(page: Page, number: int, file: Path, *, typed: bool = False) -> None:
    """From a section page, save it and add a file to question ``number``, and come back
    to it; ``typed`` if the page has changes the button saves."""
    question(page, number).get_by_role(
        "button", name=f"Save and add files for question {number}"
    ).click()
    expect(heading(page)).to_have_text(f"Supporting files for question {number}")
    if typed:
        expect(success_banner(page)).to_contain_text("Your answers have been saved")
    expect(page.get_by_test_id("no-files")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Add a file").set_input_files(file)
    page.get_by_role("button", name="Upload file").click()
    expect(success_banner(page)).to_contain_text(f"{file.name} has been added to your answer")
    expect(page.get_by_test_id("file")).to_have_count(1)
    expect(page.get_by_test_id("file").get_by_role("link")).to_have_text(file.name)
    assert_accessible(page)
    page.get_by_role("link", name="Back to your answer").click()
    expect(question(page, number).get_by_test_id("file-count")).to_have_text(
        "Supporting files: 1 file"
    )
    assert_accessible(page)


# The tests ----------------------------------------------------------------------------


def test_provider_drafts_fixes_submits_resubmits_and_withdraws_another_bid(
    new_mail_context: Callable[..., BrowserContext], mailbox: Mailbox, tmp_path: Path
) -> None:
    email = unique_email("bidder")
    organisation = f"Cannock Family Support {uuid4().hex[:6]}"
    policy = evidence_file(tmp_path, "safeguarding-policy.pdf", pdf_bytes("Safeguarding policy"))
    page = new_mail_context().new_page()
    register_provider(page, organisation, "Ffion Evans", email)

    # First sign-in: two lots; lot 1's quality answered (question 3 over its word limit),
    # a file added to question 2, and prices (one above the council's reference price).
    bid_path = start_bid(page, CHILDREN)
    choose_lots(page, [LIFE_SKILLS, COMPLEX_CARE])
    expect(task_status(page, 1, "Quality")).to_have_text("Not yet started")

    open_task(page, 1, "Quality", LIFE_SKILLS)
    typed = answer_questions(page, texts={3: words(510)})
    # GOV.UK Frontend's live count, before the server says the same on saving.
    expect(question(page, 3)).to_contain_text("You have 10 words too many")
    page.get_by_role("button", name="Save and continue").click()
    # Saved, but the page stays, so the writer sees the word limit before moving on.
    expect(success_banner(page)).to_contain_text("Your answers have been saved")
    expect(page).to_have_title(re.compile(r"^Error: Quality: lot 1"))
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        DRAFT_PROBLEMS[0].removeprefix("Lot 1: ")
    )
    assert_accessible(page)
    upload(page, 2, policy)

    page.get_by_role("link", name=f"Bid for {CHILDREN}").click()
    expect(task_status(page, 1, "Quality")).to_have_text("In progress")
    assert_accessible(page)
    answer_outcome_tests(page, 1, LIFE_SKILLS)
    open_task(page, 1, "Prices", LIFE_SKILLS)
    price(page, "Support worker, daytime").fill("16.20")
    price(page, "Sleep-in night").fill("88.50")
    page.get_by_role("button", name="Save and continue").click()
    expect(success_banner(page)).to_contain_text(
        "Your prices have been saved. Check the advice beside them"
    )
    advice = page.get_by_test_id("advice")
    expect(advice).to_have_count(1)
    expect(advice).to_contain_text("This is above the council's reference price")
    assert_accessible(page)

    # Second sign-in: the draft is as it was left. (The sign-in and account pages are
    # checked by axe in test_journeys; here they are only passed through.)
    menu(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()
    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account$"))
    menu(page).get_by_role("link", name="Your bids").click()
    row = page.get_by_test_id("bid-row").filter(has_text=CHILDREN)
    expect(row).to_contain_text("Not submitted")
    assert_accessible(page)
    row.get_by_role("link", name=CHILDREN).click()
    expect(task_status(page, 1, "Quality")).to_have_text("In progress")
    expect(task_status(page, 1, "Social value")).to_have_text("Not yet started")
    expect(task_status(page, 1, "Prices")).to_have_text("Completed")
    assert_accessible(page)
    open_task(page, 1, "Quality", LIFE_SKILLS)
    expect(question(page, 1).get_by_label("Yes", exact=True)).to_be_checked()
    expect(question(page, 2).get_by_role("textbox")).to_have_value(typed[2])
    expect(question(page, 2).get_by_test_id("file-count")).to_have_text("Supporting files: 1 file")
    expect(question(page, 3).get_by_role("textbox")).to_have_value(words(510))
    page.get_by_role("link", name=f"Bid for {CHILDREN}").click()
    open_task(page, 1, "Prices", LIFE_SKILLS)
    expect(price(page, "Support worker, daytime")).to_have_value("16.20")
    expect(price(page, "Sleep-in night")).to_have_value("88.50")
    page.get_by_role("link", name=f"Bid for {CHILDREN}").click()

    # Lot 2, partly: no declaration, and one price of two.
    open_task(page, 2, "Quality", COMPLEX_CARE)
    answer_questions(page, leave={1})
    page.get_by_role("button", name="Save and come back later").click()
    expect(success_banner(page)).to_contain_text("Your answers have been saved")
    expect(task_status(page, 2, "Quality")).to_have_text("In progress")
    assert_accessible(page)
    answer_outcome_tests(page, 2, COMPLEX_CARE)
    open_task(page, 2, "Prices", COMPLEX_CARE)
    price(page, "Support worker, daytime").fill("15.50")
    page.get_by_role("button", name="Save and come back later").click()
    expect(success_banner(page)).to_contain_text("Your prices have been saved")
    expect(task_status(page, 2, "Prices")).to_have_text("In progress")
    assert_accessible(page)

    # "Check your answers" lists every problem; each link leads to its field.
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers before submitting your bid")
    expect(page.get_by_test_id("problems")).to_be_focused()
    expect(problem_links(page)).to_have_text(DRAFT_PROBLEMS)
    expect(page.get_by_role("button", name="Accept and submit")).to_have_count(0)
    expect(page.get_by_test_id("answers").first).to_contain_text(policy.name)
    assert_accessible(page)

    follow_problem(page, DRAFT_PROBLEMS[0])
    question(page, 3).get_by_role("textbox").fill(words(480))
    expect(question(page, 3)).to_contain_text("You have 20 words remaining")
    page.get_by_role("button", name="Save and continue").click()
    # "Save and continue" walks on to the lot's next section.
    expect(heading(page)).to_have_text("Social value")
    expect(page.locator(".govuk-caption-l")).to_have_text(LIFE_SKILLS)
    assert_accessible(page)
    reopen_check(page, bid_path)
    expect(problem_links(page)).to_have_text(DRAFT_PROBLEMS[1:])

    follow_problem(page, DRAFT_PROBLEMS[1])
    answer_questions(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Outcomes")
    assert_accessible(page)
    reopen_check(page, bid_path)
    expect(problem_links(page)).to_have_text(DRAFT_PROBLEMS[2:])

    follow_problem(page, DRAFT_PROBLEMS[2])
    question(page, 1).get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save and come back later").click()
    expect(success_banner(page)).to_contain_text("Your answers have been saved")
    assert_accessible(page)
    reopen_check(page, bid_path)
    expect(problem_links(page)).to_have_text(DRAFT_PROBLEMS[3:])

    follow_problem(page, DRAFT_PROBLEMS[3])
    social_value = answer_questions(page)[4]
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Outcomes")
    assert_accessible(page)
    reopen_check(page, bid_path)
    expect(problem_links(page)).to_have_text(DRAFT_PROBLEMS[4:])

    follow_problem(page, DRAFT_PROBLEMS[4])
    price(page, "Sleep-in night").fill("90.00")
    page.get_by_role("button", name="Save and continue").click()
    # The last page of the bid walks on to the check page, which now has nothing to fix.
    expect(heading(page)).to_have_text("Check your answers before submitting your bid")
    assert_accessible(page)

    first_id, first_seal = submit(page, organisation, 1)
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text(f"{LIFE_SKILLS}, {COMPLEX_CARE}")
    expect(receipt).to_contain_text(CHILDREN)
    first_receipt = page.url
    pdf_text = receipt_pdf_text(page, first_id)
    assert first_seal in pdf_text
    assert first_id in pdf_text

    received = mailbox.wait_for(mail_to(email, f"Bid received: {CHILDREN}"), count=1)
    assert len(received) == 1, [(m.recipients, m.subject) for m in mailbox.received]
    assert f"Submission ID: {first_id}" in received[0].text
    assert f"Seal (SHA-256): {first_seal}" in received[0].text
    # The email links to the receipt.
    assert urlsplit(first_receipt).path in received[0].text

    # Change an answer and submit again: a new sealed version replaces the first.
    page.get_by_role("link", name="Go to your bid").click()
    expect(page.get_by_test_id("bid-status")).to_contain_text("You submitted this bid at")
    assert_accessible(page)
    open_task(page, 2, "Social value", COMPLEX_CARE)
    expect(question(page, 4).get_by_role("textbox")).to_have_value(social_value)
    question(page, 4).get_by_role("textbox").fill(
        "We will employ care leavers as apprentices in every district we serve."
    )
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_test_id("bid-status")).to_contain_text(
        "You have changed your bid since you submitted it: submit it again"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(page.get_by_text("This replaces the bid you submitted at")).to_be_visible()
    assert_accessible(page)
    second_id, second_seal = submit(page, organisation, 2)
    assert second_id != first_id
    assert second_seal != first_seal
    expect(page.get_by_text("This replaces the bid you submitted before.")).to_be_visible()
    assert second_seal in receipt_pdf_text(page, second_id)

    received = mailbox.wait_for(mail_to(email, f"Bid received: {CHILDREN}"), count=2)
    resent = [mail for mail in received if second_id in mail.text]
    assert len(received) == 2
    assert len(resent) == 1
    assert f"Seal (SHA-256): {second_seal}" in resent[0].text
    assert "This replaces the bid you submitted before" in resent[0].text

    page.goto(first_receipt)
    expect(page.get_by_test_id("digest")).to_have_text(first_seal)
    expect(page.locator(".govuk-inset-text")).to_contain_text(
        "A later submission replaced this one at"
    )
    assert_accessible(page)

    # Another tender: one lot, every page in turn, submitted, then withdrawn with a reason.
    north = "Lot 1: North: highly complex"
    supported_path = start_bid(page, SUPPORTED)
    choose_lots(page, [north])
    open_task(page, 1, "Quality", north)
    answer_questions(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Social value")
    assert_accessible(page)
    answer_questions(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Prices")
    assert_accessible(page)
    fill_prices(page, SUPPORTED_PRICES)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Check your answers before submitting your bid")
    assert_accessible(page)
    submit(page, organisation, 1)

    page.get_by_role("link", name="Go to your bid").click()
    assert_accessible(page)
    page.get_by_role("link", name="Withdraw your bid").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(supported_path)}/withdraw$"))
    expect(heading(page)).to_have_text("Withdraw your bid")
    assert_accessible(page)
    page.get_by_role("button", name="Withdraw bid").click()
    expect(page).to_have_title(re.compile(r"^Error: Withdraw your bid"))
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why you are withdrawing your bid"
    )
    assert_accessible(page)
    page.get_by_label("Why are you withdrawing your bid?").fill(WITHDRAW_REASON)
    page.get_by_role("button", name="Withdraw bid").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(supported_path)}$"))
    expect(success_banner(page)).to_contain_text("Your bid has been withdrawn")
    status = page.get_by_test_id("bid-status")
    expect(status).to_contain_text("You withdrew this bid at")
    expect(status).to_contain_text(f"Your reason: {WITHDRAW_REASON}")
    expect(page.get_by_role("link", name="Withdraw your bid")).to_have_count(0)
    assert_accessible(page)

    withdrawn = mailbox.wait_for(mail_to(email, f"Bid withdrawn: {SUPPORTED}"), count=1)
    assert len(withdrawn) == 1
    assert WITHDRAW_REASON in withdrawn[0].text

    menu(page).get_by_role("link", name="Your bids").click()
    expect(page.get_by_test_id("bid-row")).to_have_count(2)
    expect(page.get_by_test_id("bid-row").filter(has_text=CHILDREN)).to_contain_text("Submitted")
    expect(page.get_by_test_id("bid-row").filter(has_text=SUPPORTED)).to_contain_text("Withdrawn")
    assert_accessible(page)


def test_provider_submits_a_bid_with_javascript_off(
    new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    email = unique_email("nojs-bidder")
    organisation = f"Rugeley Supported Living {uuid4().hex[:6]}"
    chart = evidence_file(tmp_path, "staff-rota.png", png_bytes())
    lot = "Lot 4: South: highly complex"
    page = new_context(java_script_enabled=False).new_page()
    register_provider(page, organisation, "Owen Price", email)

    start_bid(page, SUPPORTED)
    choose_lots(page, [lot])
    open_task(page, 1, "Quality", lot)
    answer_questions(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Social value")
    assert_accessible(page)
    # Typed first: the files button saves it before leaving the page.
    social_value = answer_questions(page)[4]
    upload(page, 4, chart, typed=True)
    expect(question(page, 4).get_by_role("textbox")).to_have_value(social_value)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Prices")
    assert_accessible(page)
    fill_prices(page, SUPPORTED_PRICES)
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Check your answers before submitting your bid")
    expect(page.get_by_test_id("answers").last).to_contain_text(chart.name)
    assert_accessible(page)

    submission_id, seal = submit(page, organisation, 1)
    expect(page.get_by_test_id("receipt")).to_contain_text(lot)
    assert seal in receipt_pdf_text(page, submission_id)
