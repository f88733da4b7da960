"""A provider's whole bid journey with the keyboard alone, in Chromium.

From the home page to the receipt: the skip link, signing in, finding the opportunity,
starting a bid, choosing a lot, answering the sections, adding a file, the prices (first
refused, so the error summary takes the focus and its link leads to the field), checking
and submitting. Every step is
Tab, Shift+Tab, Enter, Space or typing through ``page.keyboard``: nothing is clicked or
filled. Each control the focus reaches must show it (its focus style differs from its
style unfocused), and Tab must move on from it (no keyboard trap). The file is chosen
through the browser's file chooser, opened from the keyboard. axe-core checks the pages.

The demo tender is shared with the other browser tests, so the provider is a new one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import httpx
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.app.test_files import pdf_bytes
from tests.browser.conftest import assert_accessible
from tests.browser.test_bid_journey import SUPPORTED, SUPPORTED_PRICES, heading, success_banner
from tests.browser.test_journeys import PASSWORD, unique_email

LOT = "Lot 5: South: complex"
#: How many Tab presses may separate two controls before the journey gives up.
MAX_TABS = 80

#: The styles that show focus, of the element and, for a radio or checkbox (whose input
#: is hidden under a drawn box), of its label's drawn box.
FOCUS_STYLE = """(el) => {
    const pick = (style) => [style.outlineStyle, style.outlineWidth, style.outlineColor,
        style.boxShadow, style.backgroundColor, style.color, style.textDecorationLine,
        style.borderColor].join("|");
    const own = pick(getComputedStyle(el));
    const label = ["radio", "checkbox"].includes(el.type) && el.labels.length ? el.labels[0] : null;
    const drawn = label ? pick(getComputedStyle(label, "::before")) +
        pick(getComputedStyle(label, "::after")) : "";
    return own + drawn;
}"""
FOCUS_SHOWN = f"""(el) => {{
    const style = {FOCUS_STYLE};
    const focused = style(el);
    el.blur();
    const unfocused = style(el);
    el.focus();
    return focused !== unfocused;
}}"""
ACTIVE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "";
    return `${el.tagName.toLowerCase()}#${el.id}[${el.getAttribute("name") || ""}] ` +
        (el.innerText || el.value || el.getAttribute("aria-label") || "").slice(0, 60);
}"""


def is_focused(target: Locator) -> bool:
    return target.evaluate("(el) => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, back: bool = False) -> None:
    """Press Tab (Shift+Tab if ``back``) until ``target`` has the focus, checking that every
    control passed shows its focus and that the focus moves on from it."""
    key = "Shift+Tab" if back else "Tab"
    target = target.first
    expect(target).to_be_attached()
    seen: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        active = page.evaluate(ACTIVE)
        if active and seen and active == seen[-1]:
            raise AssertionError(f"keyboard trap: {key} leaves the focus on {active}")
        seen.append(active)
        if active:
            shown = page.evaluate(f"() => ({FOCUS_SHOWN})(document.activeElement)")
            assert shown, f"no visible focus on {active} at {page.url}"
        if is_focused(target):
            return
    raise AssertionError(f"{key} never reached the target on {page.url}; passed: {seen}")


def press(page: Page, target: Locator, key: str = "Enter") -> None:
    """Tab to ``target`` and press ``key`` on it."""
    tab_to(page, target)
    page.keyboard.press(key)


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(text)


def register(server: str, organisation: str, email: str) -> None:
    """The provider's organisation (its registration pages are swept elsewhere)."""
    response = httpx.post(
        f"{server}/api/v1/registrations",
        json={
            "organisation_name": organisation,
            "contact_name": "Keyboard Kerry",
            "email": email,
            "password": PASSWORD,
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text


def test_provider_bids_with_the_keyboard_alone(
    server: str, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    email = unique_email("keyboard")
    organisation = f"Stone Keyboard Care {uuid4().hex[:6]}"
    register(server, organisation, email)
    policy = tmp_path / "staffing-plan.pdf"
    policy.write_bytes(pdf_bytes("Staffing plan"))
    page = new_context().new_page()

    # The skip link is the first stop and moves the focus to the main content.
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert page.evaluate(f"() => ({FOCUS_SHOWN})(document.activeElement)")
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()

    # Sign in; Shift+Tab goes back to the email typed.
    page.keyboard.press("Shift+Tab")
    press(page, page.get_by_role("link", name="Sign in"))
    expect(heading(page)).to_have_text("Sign in")
    type_into(page, page.get_by_label("Email address"), email)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    tab_to(page, page.get_by_label("Email address"), back=True)
    expect(page.get_by_label("Email address")).to_have_value(email)
    press(page, page.get_by_role("button", name="Sign in"))
    expect(page).to_have_url(re.compile(r"/account$"))

    # Find the opportunity and start a bid.
    press(page, page.get_by_role("link", name="Find a tender"))
    type_into(page, page.get_by_test_id("filters").get_by_label("Search"), SUPPORTED)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("results-count")).to_have_text("1 tender")
    press(page, page.get_by_test_id("result").get_by_role("link", name=SUPPORTED, exact=True))
    expect(heading(page)).to_have_text(SUPPORTED)
    press(page, page.get_by_role("button", name="Start a bid"))
    expect(heading(page)).to_have_text(f"Your bid for {SUPPORTED}")
    assert_accessible(page)

    # Choose the lot.
    press(page, page.get_by_role("link", name="Choose the lots you are bidding for"))
    press(page, page.get_by_label(LOT, exact=True), "Space")
    expect(page.get_by_label(LOT, exact=True)).to_be_checked()
    press(page, page.get_by_role("button", name="Save and continue"))
    expect(success_banner(page)).to_contain_text("The lots you are bidding for have been saved")

    # Quality: the declaration, two answers, and a file for question 2.
    press(page, page.get_by_test_id("lot-tasks").get_by_role("link", name="Quality", exact=True))
    expect(heading(page)).to_have_text("Quality")
    questions = page.get_by_test_id("question")
    press(page, questions.nth(0).get_by_label("Yes", exact=True), "Space")
    expect(questions.nth(0).get_by_label("Yes", exact=True)).to_be_checked()
    for number in (1, 2):
        type_into(
            page,
            questions.nth(number).get_by_role("textbox"),
            f"Answer {number + 1}: each person has a named worker who reviews their plan.",
        )
    press(page, page.get_by_role("button", name="Save and add files for question 2"))
    expect(heading(page)).to_have_text("Supporting files for question 2")
    tab_to(page, page.get_by_label("Add a file"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(policy)
    press(page, page.get_by_role("button", name="Upload file"))
    expect(success_banner(page)).to_contain_text(f"{policy.name} has been added to your answer")
    assert_accessible(page)
    press(page, page.get_by_role("link", name="Back to your answer"))
    expect(questions.nth(1).get_by_test_id("file-count")).to_have_text("Supporting files: 1 file")
    press(page, page.get_by_role("button", name="Save and continue"))

    # Social value, then the prices.
    expect(heading(page)).to_have_text("Social value")
    type_into(
        page,
        page.get_by_test_id("question").first.get_by_role("textbox"),
        "We will train and employ local people, and buy from local suppliers.",
    )
    press(page, page.get_by_role("button", name="Save and continue"))
    expect(heading(page)).to_have_text("Prices")
    # A price in words is refused: the error summary takes the focus, its link leads to
    # the field.
    first = page.get_by_label(f"{next(iter(SUPPORTED_PRICES))} (")
    type_into(page, first, "twelve pounds")
    press(page, page.get_by_role("button", name="Save and continue"))
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    assert_accessible(page)
    press(page, summary.get_by_role("link").first)
    expect(first).to_be_focused()
    page.keyboard.press("Shift+Tab")
    for description, pounds in SUPPORTED_PRICES.items():
        type_into(page, page.get_by_label(f"{description} ("), pounds)
    press(page, page.get_by_role("button", name="Save and continue"))

    # Check, submit, and the receipt.
    expect(heading(page)).to_have_text("Check your answers before submitting your bid")
    expect(page.get_by_test_id("answers").first).to_contain_text(policy.name)
    assert_accessible(page)
    press(page, page.get_by_role("button", name="Accept and submit"))
    expect(page).to_have_title(re.compile(r"^Bid submitted"))
    expect(page.locator(".govuk-panel")).to_contain_text(f"Submission 1 of {organisation}")
    assert_accessible(page)


def test_a_control_whose_focus_does_not_show_is_caught(
    new_context: Callable[..., BrowserContext],
) -> None:
    """The focus check can fail: with the skip link's focus style taken away, it does."""
    page = new_context().new_page()
    page.goto("/")
    # Whatever the link looks like unfocused, it keeps when focused.
    page.get_by_role("link", name="Skip to main content").evaluate(
        """(el) => {
            const style = getComputedStyle(el);
            for (const name of ["outline-style", "outline-width", "outline-color", "box-shadow",
                    "background-color", "color", "text-decoration-line", "border-color"]) {
                el.style.setProperty(name, style.getPropertyValue(name), "important");
            }
        }"""
    )
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert not page.evaluate(f"() => ({FOCUS_SHOWN})(document.activeElement)")
