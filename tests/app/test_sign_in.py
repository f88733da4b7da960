"""Signing in: fields checked, no account enumeration, a new session at every sign-in,
rate limits per account and per address that lift after the window, and the audit log."""

import json
import re
from datetime import timedelta
from urllib.parse import urljoin

import httpx
import pytest

from app.accounts import SIGN_IN_FAILED
from app.sessions import SESSION_COOKIE
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from tests.conftest import (
    PASSWORD,
    assert_form_refused,
    buyer_officer,
    count_rows,
    csrf_token,
    html,
    post_form,
    provider_user,
    sign_in,
    title,
)

HELEN = "helen@moorlands-care.example"
LOCKED = "There have been too many attempts to sign in. Wait 15 minutes and try again."
FORMAT_EMAIL = "Enter an email address in the correct format, like name@example.com"

BAD_SIGN_INS = [
    pytest.param(
        {"email": "", "password": PASSWORD}, "email", "Enter an email address", id="no-email"
    ),
    pytest.param({"email": "helen", "password": PASSWORD}, "email", FORMAT_EMAIL, id="bad-email"),
    pytest.param(
        {"email": HELEN, "password": ""}, "password", "Enter your password", id="no-password"
    ),
]


def browser_at(app, address: str) -> httpx.AsyncClient:
    """Another browser, on another network address."""
    transport = httpx.ASGITransport(app=app, client=(address, 50123))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


async def fail_sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/sign-in", {"email": email, "password": "not the password"})


def without_tokens(text: str) -> str:
    return re.sub(r'name="_csrf_token" value="[^"]*"', "", text)


async def test_sign_in_sends_the_user_to_their_account(client, platform):
    await provider_user(platform)
    response = await post_form(client, "/sign-in", {"email": HELEN, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    account = await client.get("/account")
    assert account.status_code == 200
    signed_in_as = html(account).xpath('//*[@data-testid="signed-in-as"]')[0].text_content()
    assert "Helen Mills" in signed_in_as
    assert "Moorlands Supported Living CIC" in signed_in_as


async def test_sign_in_ignores_the_case_and_spaces_of_the_email(client, platform):
    await provider_user(platform)
    response = await post_form(
        client, "/sign-in", {"email": "  HELEN@Moorlands-Care.example ", "password": PASSWORD}
    )
    assert response.status_code == 303


async def test_sign_in_returns_to_the_page_that_asked_for_it(client, platform):
    await buyer_officer(platform)
    asked = await client.get("/organisation/users?page=1")
    assert asked.headers["location"] == "/sign-in?next=/organisation/users%3Fpage%3D1"
    form = await client.get(asked.headers["location"])
    assert html(form).xpath('//input[@name="next"]/@value') == ["/organisation/users?page=1"]
    response = await post_form(
        client,
        "/sign-in",
        {
            "email": "priya.shah@staffordshire.example",
            "password": PASSWORD,
            "next": "/organisation/users?page=1",
        },
    )
    assert response.headers["location"] == "/organisation/users?page=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/account",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "account",
    ],
)
async def test_sign_in_never_redirects_off_the_site(client, platform, target):
    await provider_user(platform)
    response = await post_form(
        client, "/sign-in", {"email": HELEN, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    # Resolved as a browser does: tabs and newlines dropped, backslashes read as slashes.
    location = re.sub(r"[\t\n\r]", "", response.headers["location"]).replace("\\", "/")
    assert urljoin("https://testserver/sign-in", location).startswith("https://testserver/")


async def test_a_failed_sign_in_keeps_the_page_to_return_to(client, platform):
    await provider_user(platform)
    response = await post_form(
        client, "/sign-in", {"email": HELEN, "password": "wrong!", "next": "/account/password"}
    )
    assert response.status_code == 400
    assert html(response).xpath('//input[@name="next"]/@value') == ["/account/password"]


async def test_every_sign_in_starts_a_new_session(client, other_client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    first = client.cookies[SESSION_COOKIE]
    await sign_in(client, HELEN)
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    # The earlier session is its own session: signing it out leaves the new one alone.
    other_client.cookies.set(SESSION_COOKIE, first)
    assert (await other_client.get("/account")).status_code == 200
    await post_form(other_client, "/sign-out", {}, page="/account")
    assert (await other_client.get("/account")).status_code == 303
    assert (await client.get("/account")).status_code == 200


@pytest.mark.parametrize(("form", "field", "message"), BAD_SIGN_INS)
async def test_bad_sign_in_form_shows_the_fields_message_and_records_nothing(
    client, platform, form, field, message
):
    await provider_user(platform)
    before = await count_rows()
    response = await post_form(client, "/sign-in", form)
    assert_form_refused(response, field, message, kept=form)
    assert await count_rows() == before


@pytest.mark.parametrize(("form", "field", "message"), BAD_SIGN_INS)
async def test_bad_token_request_gives_the_fields_message_and_records_nothing(
    client, platform, form, field, message
):
    await provider_user(platform)
    before = await count_rows()
    response = await client.post("/api/v1/tokens", json=form)
    assert response.status_code == 400
    assert response.json()["errors"] == {field: message}
    assert await count_rows() == before


async def test_wrong_password_says_to_enter_a_correct_email_and_password(client, platform):
    await provider_user(platform)
    response = await fail_sign_in(client, HELEN)
    assert_form_refused(response, "email", SIGN_IN_FAILED, kept={"email": HELEN})
    summary = html(response).xpath('//*[contains(@class, "govuk-error-summary")]//li')
    assert len(summary) == 1, "the message is said once"
    assert SESSION_COOKIE not in client.cookies


async def test_unknown_email_and_wrong_password_look_the_same_on_the_page(client, platform):
    unknown = await fail_sign_in(client, HELEN)
    await provider_user(platform)
    wrong_password = await fail_sign_in(client, HELEN)
    assert unknown.status_code == wrong_password.status_code == 400
    assert title(unknown) == title(wrong_password)
    assert without_tokens(unknown.text) == without_tokens(wrong_password.text)


async def test_unknown_email_and_wrong_password_look_the_same_to_the_api(client, platform):
    attempt = {"email": HELEN, "password": "not the password"}
    unknown = await client.post("/api/v1/tokens", json=attempt)
    await provider_user(platform)
    wrong_password = await client.post("/api/v1/tokens", json=attempt)
    assert unknown.status_code == wrong_password.status_code == 400
    assert unknown.json() == wrong_password.json()
    assert unknown.json()["errors"]["email"] == SIGN_IN_FAILED


async def test_five_failures_lock_the_account_even_with_the_right_password(client, platform):
    await provider_user(platform)
    for _ in range(5):
        assert (await fail_sign_in(client, HELEN)).status_code == 400
    response = await post_form(client, "/sign-in", {"email": HELEN, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"
    assert title(response).startswith("Too many attempts")
    assert LOCKED in html(response).xpath("//main")[0].text_content()
    assert SESSION_COOKIE not in client.cookies


async def test_a_locked_account_is_locked_for_the_api_too(client, platform):
    await provider_user(platform)
    for _ in range(5):
        await fail_sign_in(client, HELEN)
    response = await client.post("/api/v1/tokens", json={"email": HELEN, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"
    assert response.json() == {"status": 429, "message": LOCKED}


async def test_the_account_lock_holds_from_every_address(client, app, platform):
    await provider_user(platform)
    for number in range(5):
        async with browser_at(app, f"192.0.2.{number + 1}") as browser:
            await fail_sign_in(browser, HELEN)
    async with browser_at(app, "198.51.100.9") as browser:
        response = await post_form(browser, "/sign-in", {"email": HELEN, "password": PASSWORD})
    assert response.status_code == 429


async def test_locking_one_account_leaves_other_accounts_open(client, platform):
    await provider_user(platform)
    await buyer_officer(platform)
    for _ in range(5):
        await fail_sign_in(client, HELEN)
    await sign_in(client, "priya.shah@staffordshire.example")


async def test_unknown_emails_are_locked_like_real_ones(client, platform):
    for _ in range(5):
        await fail_sign_in(client, "nobody@moorlands-care.example")
    response = await fail_sign_in(client, "nobody@moorlands-care.example")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"


async def test_the_account_lock_lifts_when_the_window_has_passed(client, platform, clock):
    await provider_user(platform)
    for _ in range(5):
        await fail_sign_in(client, HELEN)
    clock.advance(timedelta(minutes=14))
    response = await post_form(client, "/sign-in", {"email": HELEN, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"
    clock.advance(timedelta(minutes=1))
    await sign_in(client, HELEN)


async def test_twenty_failures_from_one_address_lock_that_address(client, app, platform):
    await provider_user(platform)
    for number in range(20):
        assert (await fail_sign_in(client, f"guess{number}@example.com")).status_code == 400
    page = await post_form(client, "/sign-in", {"email": HELEN, "password": PASSWORD})
    assert page.status_code == 429
    assert page.headers["retry-after"] == "900"
    api = await client.post("/api/v1/tokens", json={"email": HELEN, "password": PASSWORD})
    assert api.status_code == 429
    assert api.headers["retry-after"] == "900"
    # The same account from another address is not locked: the lock is on the address.
    async with browser_at(app, "198.51.100.9") as browser:
        await sign_in(browser, HELEN)


async def test_the_address_lock_lifts_when_the_window_has_passed(client, platform, clock):
    await provider_user(platform)
    for number in range(20):
        await fail_sign_in(client, f"guess{number}@example.com")
    clock.advance(timedelta(minutes=15))
    await sign_in(client, HELEN)


async def test_failures_older_than_the_window_do_not_count(client, platform, clock):
    await provider_user(platform)
    for _ in range(4):
        await fail_sign_in(client, HELEN)
    clock.advance(timedelta(minutes=16))
    for _ in range(4):
        assert (await fail_sign_in(client, HELEN)).status_code == 400
    await sign_in(client, HELEN)


async def test_a_post_without_the_csrf_token_signs_nobody_in(client, platform):
    await provider_user(platform)
    await csrf_token(client)
    response = await client.post("/sign-in", data={"email": HELEN, "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


async def test_sign_in_and_its_failures_are_audited(client, platform):
    helen = await provider_user(platform)
    await fail_sign_in(client, HELEN)
    await sign_in(client, HELEN)
    failures = await AuditEvent.select().where(AuditEvent.action == AuditAction.ACCOUNT_SIGNIN_FAIL)
    successes = await AuditEvent.select().where(
        AuditEvent.action == AuditAction.ACCOUNT_SIGNIN_SUCCEED
    )
    assert len(failures) == len(successes) == 1
    failure = json.loads(failures[0]["body"])
    assert failure["details"] == {"email": HELEN, "address": "127.0.0.1"}
    assert failure["actor_id"] is None
    success = json.loads(successes[0]["body"])
    assert success["actor_id"] == success["object_id"] == str(helen.id)
    assert "not the password" not in failures[0]["body"]
    assert PASSWORD not in successes[0]["body"]
