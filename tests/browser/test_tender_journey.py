"""A tender's life in Chromium, from a blank form to an email about a new deadline.

An officer builds a three-lot tender (sections, a scored question per section, the
councils' outcome tests, a price schedule per lot) and publishes it; a visitor finds it
with the filters; a provider follows it and asks a question; the officer answers; another
provider following it reads the answer, with no asker named; the officer extends the
deadline and both providers are emailed, through a real SMTP server (aiosmtpd). axe-core
checks every page seen.

It runs on ``mail_server``, a server of its own that delivers its outbox over SMTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from uuid import uuid4

from playwright.sync_api import BrowserContext, Locator, Page, expect

from app import demo_data
from app.clock import LONDON
from app.templating import london_time
from tenders.lifecycle import deadline_warning
from tenders.services.clarifications import NEW_CLARIFICATION
from tests.browser.conftest import Mailbox, ReceivedMail, assert_accessible

OFFICER = demo_data.COUNCIL_OFFICER
HELEN = demo_data.PROVIDERS[0]
SAM = demo_data.PROVIDERS[1]
NOON = time(12, 0)

LOTS = [
    {
        "name": "Supported living, North, complex",
        "service": "Supported living",
        "districts": ["North"],
        "band": "Complex",
        "award": "One provider",
        "prices": [
            ("Support worker, daytime", "per hour, daytime", "52000", "£15.87", ""),
            ("Sleep-in support", "per sleep-in night", "1095", "£91.02", ""),
        ],
    },
    {
        "name": "Supported living, South, less complex",
        "service": "Supported living",
        "districts": ["Stafford", "Tamworth"],
        "band": "Less complex",
        "award": "One provider",
        "prices": [("Support worker, daytime", "per hour, daytime", "78000", "£14.72", "")],
    },
    {
        "name": "Home care, Staffordshire Moorlands",
        "service": "Home care",
        "districts": ["Staffordshire Moorlands"],
        "band": "None",
        "award": "A set number of providers",
        "providers": "3",
        "prices": [("Home care visit, daytime", "per hour, daytime", "40000", "£24.10", "60")],
    },
]


def _noon(day: date) -> datetime:
    return datetime.combine(day, NOON, tzinfo=LONDON)


def _deadlines() -> tuple[datetime, datetime, datetime]:
    """A submission deadline about three weeks ahead at noon, UK time, on a working day,
    the clarification deadline a week before it, and the extended deadline a week after
    it (also a working day: an extension never needs confirming, but keep it ordinary)."""
    day = datetime.now(LONDON).date() + timedelta(days=21)
    while deadline_warning(_noon(day)) or deadline_warning(_noon(day + timedelta(days=7))):
        day += timedelta(days=1)
    submission = _noon(day)
    return submission, submission - timedelta(days=7), submission + timedelta(days=7)


def fill_deadline(page: Page, name: str, when: datetime) -> None:
    page.locator(f"#{name}-day").fill(str(when.day))
    page.locator(f"#{name}-month").fill(str(when.month))
    page.locator(f"#{name}-year").fill(str(when.year))
    page.locator(f"#{name}-time").fill(when.strftime("%H:%M"))


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    assert_accessible(page)


def success_banner(page: Page) -> Locator:
    return page.get_by_role("alert", name="Success")


def add_lot(page: Page, lot: dict) -> None:
    page.get_by_role("button", name="Add a lot").click()
    expect(page).to_have_url(re.compile(r"/lots/new$"))
    assert_accessible(page)
    page.get_by_label("Lot name").fill(lot["name"])
    page.get_by_label("Type of service").select_option(label=lot["service"])
    districts = page.get_by_role("group", name="Districts the lot covers")
    for district in lot["districts"]:
        districts.get_by_label(district, exact=True).check()
    page.get_by_role("group", name="Complexity band").get_by_label(lot["band"], exact=True).check()
    page.get_by_label(lot["award"], exact=True).check()
    if "providers" in lot:
        page.get_by_label("Number of providers", exact=True).fill(lot["providers"])
    page.get_by_role("button", name="Save lot").click()
    expect(success_banner(page)).to_contain_text(f"Lot added: {lot['name']}")
    assert_accessible(page)


def add_section(page: Page, name: str, kind: str, weight: int) -> None:
    page.get_by_role("button", name="Add a section").click()
    expect(page).to_have_url(re.compile(r"/sections/new$"))
    assert_accessible(page)
    page.get_by_label("Section name").fill(name)
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Weight, as a percentage of the whole evaluation").fill(str(weight))
    page.get_by_role("button", name="Save section").click()
    expect(success_banner(page)).to_contain_text(f"Section added: {name}")
    assert_accessible(page)


def add_scored_question(page: Page, section_number: int, text: str, weight: int) -> None:
    page.get_by_role("link", name=f"Add a question to section {section_number}").click()
    expect(page).to_have_url(re.compile(r"/questions/new\?section="))
    assert_accessible(page)
    page.get_by_label("Lot", exact=True).select_option(label="All lots")
    page.get_by_label("Scored 0 to 5").check()
    page.get_by_label("Weight within the section").fill(str(weight))
    page.get_by_label("Minimum score (optional)").fill("2")
    page.get_by_label("Question", exact=True).fill(text)
    page.get_by_label("Guidance for providers (optional)").fill(
        "Give examples from services you run now."
    )
    page.get_by_label("Word limit (optional)").fill("750")
    page.get_by_role("button", name="Add question").click()
    expect(success_banner(page)).to_contain_text("Question added")
    assert_accessible(page)


def add_price_item(page: Page, lot_number: int, item: tuple[str, str, str, str, str]) -> None:
    description, unit, volume, reference, minimum_call = item
    page.get_by_role("link", name=f"Add a price item to lot {lot_number}").click()
    expect(page).to_have_url(re.compile(r"/prices/new$"))
    assert_accessible(page)
    page.get_by_label("What is being priced").fill(description)
    page.get_by_label("Unit", exact=True).select_option(label=unit)
    page.get_by_label("Volume", exact=True).fill(volume)
    page.get_by_label("Reference price in pounds (optional)").fill(reference)
    page.get_by_label("Minimum call length in minutes (optional)").fill(minimum_call)
    page.get_by_role("button", name="Add price item").click()
    expect(success_banner(page)).to_contain_text(f"Price item added to lot {lot_number}")
    assert_accessible(page)


def build_and_publish(page: Page, title: str, deadline: datetime, questions_until: datetime) -> str:
    """The officer builds the tender from nothing and publishes it; returns its id."""
    sign_in(page, OFFICER.email, OFFICER.password)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Tenders").click()
    expect(page).to_have_url(re.compile(r"/tenders$"))
    assert_accessible(page)
    page.get_by_role("button", name="Create a tender").click()
    expect(page).to_have_url(re.compile(r"/tenders/new$"))
    assert_accessible(page)

    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Reference", exact=True).fill(f"SCC-BT-{uuid4().hex[:6].upper()}")
    page.get_by_label("Description", exact=True).fill(
        "Supported living and home care for adults with learning disabilities and autistic "
        "adults, lotted by district and complexity band."
    )
    page.get_by_label("Contract length in months").fill("36")
    page.get_by_label("Estimated value in pounds (optional)").fill("£2,850,000")
    fill_deadline(page, "submission_deadline", deadline)
    fill_deadline(page, "clarification_deadline", questions_until)
    page.get_by_role("button", name="Save and continue").click()
    expect(success_banner(page)).to_contain_text("Tender created")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    tender_id = page.url.rsplit("/", 1)[-1].split("#", 1)[0]
    assert_accessible(page)

    for lot in LOTS:
        add_lot(page, lot)
    add_section(page, "Quality", "Quality", 40)
    add_section(page, "Price", "Price", 30)
    add_section(page, "Social value", "Social value", 10)
    add_section(page, "Outcomes", "Quality", 20)
    expect(page.get_by_test_id("weights-total")).to_have_text("100%")

    add_scored_question(
        page, 1, "How will you support people to live the lives they choose?", weight=100
    )
    add_scored_question(
        page, 3, "How will you recruit and train staff from the district you serve?", weight=100
    )
    outcome_tests = page.locator("form[action$='/outcome-tests']")
    outcome_tests.get_by_label("Section").select_option(label="4. Outcomes")
    outcome_tests.get_by_label("Lot").select_option(label="All lots")
    outcome_tests.get_by_role("button", name="Add the outcome tests").click()
    expect(success_banner(page)).to_contain_text("15 outcome tests added")
    outcome_rows = page.get_by_test_id("question").filter(has_text="Outcome test")
    expect(outcome_rows).to_have_count(15)
    assert_accessible(page)

    for number, lot in enumerate(LOTS, start=1):
        for item in lot["prices"]:
            add_price_item(page, number, item)
    expect(page.locator("#lot-1-prices + table tbody tr")).to_have_count(2)

    page.get_by_role("button", name="Preview as providers will see it").click()
    expect(page).to_have_url(re.compile(r"/preview$"))
    expect(page.get_by_role("heading", name="3 lots")).to_be_visible()
    assert_accessible(page)
    page.go_back()

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page).to_have_url(re.compile(r"/publish$"))
    assert_accessible(page)
    page.get_by_role("button", name="Publish tender").click()
    expect(success_banner(page)).to_contain_text("Tender published")
    expect(page.get_by_test_id("frozen")).to_be_visible()
    assert_accessible(page)
    return tender_id


def find_by_filter(page: Page, title: str) -> None:
    """A visitor, not signed in, narrows the opportunities down to the tender."""
    page.goto("/opportunities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a tender")
    assert_accessible(page)
    filters = page.get_by_test_id("filters")
    filters.get_by_role("group", name="Type of service").get_by_label(
        "Home care", exact=True
    ).check()
    filters.get_by_role("group", name="District").get_by_label(
        "Staffordshire Moorlands", exact=True
    ).check()
    filters.get_by_label("Search").fill(title.rsplit(" ", 1)[-1])
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"service_type=home_care"))
    expect(page).to_have_url(re.compile(r"district=Staffordshire\+Moorlands"))
    expect(page.get_by_test_id("results-count")).to_have_text("1 tender")
    result = page.get_by_test_id("result")
    expect(result.get_by_role("link")).to_have_text(title)
    expect(result.get_by_test_id("result-lots")).to_contain_text(
        "Lot 3: Home care, Staffordshire Moorlands"
    )
    assert_accessible(page)
    result.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_test_id("countdown")).to_contain_text("Closes in")
    assert_accessible(page)


def register_interest(page: Page, tender_id: str, title: str) -> None:
    page.goto(f"/opportunities/{tender_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page)
    page.get_by_role("button", name="Register interest").click()
    expect(success_banner(page)).to_contain_text("You are following this tender")
    expect(page.get_by_test_id("following")).to_be_visible()
    assert_accessible(page)


def about(title: str, subject: str) -> Callable[[ReceivedMail], bool]:
    """Received mail with this subject (or one starting with it) about this tender."""
    return lambda mail: mail.subject.startswith(subject) and title in mail.text


def recipients(mails: list[ReceivedMail]) -> set[str]:
    return {address for mail in mails for address in mail.recipients}


def test_officer_publishes_providers_ask_and_are_emailed_the_new_deadline(
    new_mail_context: Callable[..., BrowserContext], mailbox: Mailbox, mail_server: str
) -> None:
    title = f"Supported living and home care, browser test {uuid4().hex[:8]}"
    deadline, questions_until, extended = _deadlines()
    question = "Can one provider bid for both supported living lots?"
    answer = "Yes. A provider may bid for every lot; there is no limit on lots won."

    officer = new_mail_context().new_page()
    tender_id = build_and_publish(officer, title, deadline, questions_until)

    visitor = new_mail_context().new_page()
    find_by_filter(visitor, title)

    # Helen follows the tender and asks a question.
    helen = new_mail_context().new_page()
    sign_in(helen, HELEN.user.email, HELEN.user.password)
    register_interest(helen, tender_id, title)
    helen.get_by_role("link", name="Ask a question").click()
    expect(helen).to_have_url(re.compile(r"/questions/new$"))
    assert_accessible(helen)
    helen.get_by_label("Your question").fill(question)
    helen.get_by_role("button", name="Send question").click()
    expect(success_banner(helen)).to_contain_text("Your question has been sent")
    assert_accessible(helen)

    # Sam follows it too.
    sam = new_mail_context().new_page()
    sign_in(sam, SAM.user.email, SAM.user.password)
    register_interest(sam, tender_id, title)
    sam.goto("/my-opportunities")
    expect(sam.get_by_role("link", name=title)).to_be_visible()
    assert_accessible(sam)

    # The officer sees who asked (only officers do) and publishes the answer.
    officer.goto(f"/tenders/{tender_id}/clarifications")
    waiting = officer.get_by_test_id("waiting")
    expect(waiting).to_contain_text(question)
    expect(waiting).to_contain_text(HELEN.organisation)
    assert_accessible(officer)
    waiting.get_by_role("link", name="Answer question 1").click()
    expect(officer).to_have_url(re.compile(r"/answer$"))
    assert_accessible(officer)
    expect(officer.get_by_label("Question, as it will be published")).to_have_value(question)
    officer.get_by_label("Answer", exact=True).fill(answer)
    officer.get_by_role("button", name="Publish the answer").click()
    expect(success_banner(officer)).to_contain_text("The answer has been published")
    expect(officer.get_by_test_id("published")).to_contain_text(answer)
    assert_accessible(officer)

    # Sam reads the answer; nothing on the page, nor in his email, says who asked (the
    # district "Staffordshire Moorlands" is on the page, so look for the whole name).
    sam.goto(f"/opportunities/{tender_id}")
    clarifications = sam.get_by_test_id("clarifications")
    expect(clarifications).to_contain_text(question)
    expect(clarifications).to_contain_text(answer)
    html = sam.content()
    for asker in (HELEN.organisation, HELEN.user.name, HELEN.user.email):
        assert asker not in html
    assert_accessible(sam)
    answered = mailbox.wait_for(about(title, NEW_CLARIFICATION), count=2)
    assert {HELEN.user.email, SAM.user.email} <= recipients(answered)
    for mail in answered:
        assert answer in mail.text
        assert HELEN.organisation not in mail.text

    # The officer extends the deadline by a week; both providers are emailed.
    officer.goto(f"/tenders/{tender_id}")
    assert_accessible(officer)
    officer.get_by_role("link", name="extend the deadline").click()
    expect(officer).to_have_url(re.compile(r"/extend$"))
    assert_accessible(officer)
    fill_deadline(officer, "submission_deadline", extended)
    officer.get_by_role("button", name="Extend the deadline").click()
    expect(success_banner(officer)).to_contain_text(f"The deadline is now {london_time(extended)}")
    assert_accessible(officer)

    sam.reload()
    expect(sam.get_by_test_id("tender-details")).to_contain_text(london_time(extended))
    assert_accessible(sam)

    expected_subject = f"The deadline for {title} has moved to {london_time(extended)}"
    mails = mailbox.wait_for(about(title, f"The deadline for {title} has moved"), count=2)
    assert {HELEN.user.email, SAM.user.email} <= recipients(mails), (
        f"deadline emails went to {sorted(recipients(mails))}; everything received: "
        f"{[(mail.recipients, mail.subject) for mail in mailbox.received]}"
    )
    for mail in mails:
        assert mail.subject == expected_subject
        assert f"{mail_server}/opportunities/{tender_id}" in mail.text
    # One email each: nobody is sent the same news twice.
    assert len(mails) == len(recipients(mails))
