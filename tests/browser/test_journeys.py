"""Journeys through the pages in Chromium, checked with axe-core on every page seen.

The database is shared by the whole session, so each test makes its own email addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from uuid import uuid4

from playwright.sync_api import BrowserContext, Locator, Page, expect

from app import demo_data
from tests.browser.conftest import assert_accessible

OFFICER = demo_data.COUNCIL_OFFICER
PASSWORD = "kettle harbour lantern plum"
SIGN_IN_FAILED = "Enter a correct email address and password"


def unique_email(who: str) -> str:
    return f"{who}-{uuid4().hex[:12]}@browser-tests.example"


def menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Menu")


def signed_in_as(page: Page) -> Locator:
    return page.get_by_test_id("signed-in-as")


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def fill_registration(page: Page, organisation: str, name: str, email: str) -> None:
    page.get_by_label("Organisation name").fill(organisation)
    page.get_by_label("CQC provider ID (optional)").fill("1-109876543")
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password", exact=True).fill(PASSWORD)


def test_provider_registers_signs_out_and_signs_in_again(page: Page) -> None:
    email = unique_email("provider")
    organisation = f"Leek Community Care {uuid4().hex[:6]}"

    page.goto("/")
    assert_accessible(page)
    menu(page).get_by_role("link", name="Register your organisation").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    assert_accessible(page)

    fill_registration(page, organisation, "Rhian Hughes", email)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        f"{organisation} is registered and you are signed in"
    )
    expect(signed_in_as(page)).to_have_text(f"Signed in as Rhian Hughes, {organisation}")
    assert_accessible(page)

    menu(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_text("You have signed out")).to_be_visible()
    expect(signed_in_as(page)).to_have_count(0)
    assert_accessible(page)

    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(signed_in_as(page)).to_have_text(f"Signed in as Rhian Hughes, {organisation}")
    assert_accessible(page)


def test_wrong_password_shows_the_error_summary(page: Page) -> None:
    provider = demo_data.PROVIDERS[2].user

    sign_in(page, provider.email, "not-the-password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    summary = page.locator(".govuk-error-summary")
    # GOV.UK Frontend moves focus to the summary, so screen readers announce it.
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_text(f"Error: {SIGN_IN_FAILED}").first).to_be_visible()
    assert_accessible(page)

    link = summary.get_by_role("link", name=SIGN_IN_FAILED).first
    expect(link).to_have_attribute("href", "#email")
    link.click()
    expect(page.get_by_label("Email address")).to_be_focused()
    # The email is kept for another try; the password is not.
    expect(page.get_by_label("Email address")).to_have_value(provider.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(signed_in_as(page)).to_have_count(0)


def test_officer_adds_an_evaluator_who_can_then_sign_in(
    page: Page, new_context: Callable[..., BrowserContext]
) -> None:
    email = unique_email("evaluator")
    name = f"Dylan Morris {uuid4().hex[:6]}"

    sign_in(page, OFFICER.email, OFFICER.password)
    expect(signed_in_as(page)).to_have_text(f"Signed in as {OFFICER.name}, {demo_data.COUNCIL}")
    assert_accessible(page)
    menu(page).get_by_role("link", name="Users").click()
    expect(page).to_have_url(re.compile(r"/organisation/users$"))
    assert_accessible(page)
    page.get_by_role("button", name="Add a user").click()
    expect(page).to_have_url(re.compile(r"/organisation/users/new$"))
    assert_accessible(page)

    # Nothing filled in: every field, the role radios included, shows its error.
    page.get_by_role("button", name="Add user").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)

    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("radio", name="Evaluator").check()
    page.get_by_label("First password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Add user").click()
    expect(page).to_have_url(re.compile(r"/organisation/users$"))
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        f"{name} has been added as evaluator"
    )
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("Evaluator")
    assert_accessible(page)

    # The colleague, in a browser of their own.
    colleague = new_context().new_page()
    sign_in(colleague, email, PASSWORD)
    expect(colleague).to_have_url(re.compile(r"/account$"))
    expect(colleague.get_by_role("heading", name="Your account")).to_be_visible()
    expect(signed_in_as(colleague)).to_have_text(f"Signed in as {name}, {demo_data.COUNCIL}")
    account = colleague.locator(".govuk-summary-list")
    expect(account).to_contain_text(email)
    expect(account).to_contain_text("Evaluator")
    # Evaluators do not manage users.
    expect(menu(colleague).get_by_role("link", name="Users")).to_have_count(0)
    assert_accessible(colleague)


def test_registration_works_without_javascript(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    email = unique_email("nojs")
    organisation = f"Biddulph Home Support {uuid4().hex[:6]}"

    page.goto("/register")
    assert_accessible(page)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_title(re.compile(r"^Error: Register your organisation"))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your organisation's name")).to_have_attribute(
        "href", "#organisation_name"
    )
    assert_accessible(page)

    fill_registration(page, organisation, "Nia Roberts", email)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(signed_in_as(page)).to_have_text(f"Signed in as Nia Roberts, {organisation}")
    assert_accessible(page)

    menu(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(signed_in_as(page)).to_have_count(0)
    assert_accessible(page)


def test_not_found_page_and_accessibility_statement(page: Page) -> None:
    response = page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)

    page.get_by_role("link", name="Accessibility statement").click()
    expect(page).to_have_url(re.compile(r"/accessibility$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    assert_accessible(page)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page) -> None:
    page.goto("/")
    assert_accessible(page)
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    assert_accessible(page)
