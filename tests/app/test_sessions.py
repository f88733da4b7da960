"""Sessions: the cookie, signing out (here and everywhere), password changes, idle and
absolute expiry, forged cookies and cross-site form posts."""

import json
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest

from app.sessions import SESSION_COOKIE
from app.tables import AuditEvent, User
from app.vocabulary import AuditAction
from tests.conftest import (
    PASSWORD,
    assert_form_refused,
    bearer,
    buyer_officer,
    count_rows,
    csrf_token,
    evaluator,
    flash,
    html,
    post_form,
    provider_user,
    sign_in,
)

HELEN = "helen@moorlands-care.example"
PRIYA = "priya.shah@staffordshire.example"
NEW_PASSWORD = "a brand new passphrase"


async def account(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/account")


async def assert_signed_in(client: httpx.AsyncClient) -> None:
    response = await account(client)
    assert response.status_code == 200, response.headers.get("location")


async def assert_signed_out(client: httpx.AsyncClient) -> None:
    response = await account(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account"


def replay(client: httpx.AsyncClient, cookie: str) -> None:
    """Put a kept copy of a session cookie back, as an attacker holding it would."""
    client.cookies.delete(SESSION_COOKIE)
    # Where httpx keeps the cookies of a dotless host, so the server's next cookie replaces it.
    client.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")


async def events(action: AuditAction) -> list[dict]:
    rows = await AuditEvent.select(AuditEvent.body).where(AuditEvent.action == action)
    return [json.loads(row["body"]) for row in rows]


@pytest.mark.parametrize(
    ("page", "next_"),
    [
        ("/account", "/account"),
        ("/account/password", "/account/password"),
        ("/organisation/users", "/organisation/users"),
        ("/organisation/users?page=2", "/organisation/users%3Fpage%3D2"),
        ("/organisation/users/new", "/organisation/users/new"),
        (f"/organisation/users/{uuid4()}", None),
    ],
)
async def test_a_page_for_signed_in_users_sends_visitors_to_sign_in(client, page, next_):
    response = await client.get(page)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next={next_ or page}"


async def test_the_session_cookie_is_host_only_secure_httponly_and_lax(client, platform):
    await provider_user(platform)
    response = await post_form(client, "/sign-in", {"email": HELEN, "password": PASSWORD})
    cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith(f"{SESSION_COOKIE}=")
    )
    attributes = {
        name.strip().lower(): value.strip()
        for name, _, value in (part.partition("=") for part in cookie.split(";")[1:])
    }
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    # What the __Host- prefix demands: Secure, Path=/ and no Domain.
    assert attributes["path"] == "/"
    assert "domain" not in attributes


async def test_sign_out_makes_the_old_cookie_worthless_even_if_replayed(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    kept = client.cookies[SESSION_COOKIE]
    response = await post_form(client, "/sign-out", {}, page="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    replay(client, kept)
    await assert_signed_out(client)


async def test_sign_out_ends_only_the_session_signed_out(client, other_client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    await sign_in(other_client, HELEN)
    await post_form(client, "/sign-out", {}, page="/account")
    await assert_signed_out(client)
    await assert_signed_in(other_client)


async def test_sign_out_everywhere_ends_every_session_and_api_token(client, other_client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    await sign_in(other_client, HELEN)
    kept = client.cookies[SESSION_COOKIE]
    api = await bearer(client, HELEN)
    response = await post_form(client, "/account/sign-out-everywhere", {}, page="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    await assert_signed_out(other_client)
    replay(client, kept)
    await assert_signed_out(client)
    assert (await client.get("/api/v1/me", headers=api)).status_code == 401
    # Signing in again works, with a fresh session.
    await sign_in(client, HELEN)
    await assert_signed_in(client)


async def test_password_change_signs_out_other_sessions_but_not_this_one(
    client, other_client, platform
):
    await provider_user(platform)
    await sign_in(client, HELEN)
    await sign_in(other_client, HELEN)
    old_cookie = client.cookies[SESSION_COOKIE]
    response = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        page="/account/password",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    page = await account(client)
    assert page.status_code == 200
    assert flash(page) == (
        "Your password has been changed. You have been signed out on other devices"
    )
    await assert_signed_out(other_client)
    replay(other_client, old_cookie)
    await assert_signed_out(other_client)


async def test_after_a_password_change_only_the_new_password_signs_in(
    client, other_client, platform
):
    await provider_user(platform)
    await sign_in(client, HELEN)
    await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        page="/account/password",
    )
    old = await post_form(other_client, "/sign-in", {"email": HELEN, "password": PASSWORD})
    assert old.status_code == 400
    await sign_in(other_client, HELEN, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        pytest.param(
            {"current_password": "", "new_password": NEW_PASSWORD},
            "current_password",
            "Enter your current password",
            id="no-current",
        ),
        pytest.param(
            {"current_password": "not the password", "new_password": NEW_PASSWORD},
            "current_password",
            "Your current password is incorrect",
            id="wrong-current",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": ""},
            "new_password",
            "Enter a new password",
            id="no-new",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": "short"},
            "new_password",
            "Password must be 8 characters or more",
            id="new-too-short",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": "iloveyou"},
            "new_password",
            "This password is too common. Choose a different password",
            id="new-too-common",
        ),
    ],
)
async def test_a_refused_password_change_changes_nothing(
    client, other_client, platform, form, field, message
):
    await provider_user(platform)
    await sign_in(client, HELEN)
    await sign_in(other_client, HELEN)
    before = await count_rows()
    response = await post_form(client, "/account/password", form, page="/account/password")
    assert_form_refused(response, field, message, kept=form)
    assert await count_rows() == before
    await assert_signed_in(other_client)


async def test_a_session_idle_for_30_minutes_is_signed_out(client, platform, clock):
    await provider_user(platform)
    await sign_in(client, HELEN)
    clock.advance(timedelta(minutes=29, seconds=59))
    await assert_signed_in(client)
    clock.advance(timedelta(minutes=30))
    await assert_signed_out(client)


async def test_a_session_in_use_does_not_go_idle(client, platform, clock):
    await provider_user(platform)
    await sign_in(client, HELEN)
    for _ in range(4):
        clock.advance(timedelta(minutes=25))
        await assert_signed_in(client)


async def test_sending_a_form_keeps_a_session_from_going_idle(client, platform, clock):
    officer = await buyer_officer(platform)
    tom = await evaluator(platform, officer)
    await sign_in(client, PRIYA)
    token = await csrf_token(client, f"/organisation/users/{tom.id}")
    clock.advance(timedelta(minutes=29))  # filling in the form
    response = await client.post(
        f"/organisation/users/{tom.id}", data={"_csrf_token": token, "role": "officer"}
    )
    assert response.status_code == 303
    assert flash(await client.get(response.headers["location"])) == (
        "Tom Barker is now procurement officer"
    )
    clock.advance(timedelta(minutes=5))
    await assert_signed_in(client)


async def test_a_session_ends_12_hours_after_sign_in_however_active(client, platform, clock):
    await provider_user(platform)
    await sign_in(client, HELEN)
    for _ in range(28):
        clock.advance(timedelta(minutes=25))
        await assert_signed_in(client)
    clock.advance(timedelta(minutes=19))
    await assert_signed_in(client)
    clock.advance(timedelta(minutes=1))
    await assert_signed_out(client)


@pytest.mark.parametrize("where", ["header", "payload", "signature"])
async def test_a_tampered_session_cookie_signs_nobody_in(client, platform, where):
    await provider_user(platform)
    await sign_in(client, HELEN)
    header, payload, signature = client.cookies[SESSION_COOKIE].split(".")
    parts = {"header": header, "payload": payload, "signature": signature}
    value = parts[where]
    parts[where] = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    replay(client, ".".join(parts.values()))
    await assert_signed_out(client)


async def test_a_made_up_session_cookie_signs_nobody_in(client, platform):
    await provider_user(platform)
    replay(client, "not-a-session")
    await assert_signed_out(client)
    # And a page anyone may see still works for that visitor.
    assert (await client.get("/")).status_code == 200


async def test_sign_out_and_sign_out_everywhere_are_audited(client, platform):
    helen = await provider_user(platform)
    await sign_in(client, HELEN)
    await post_form(client, "/sign-out", {}, page="/account")
    await sign_in(client, HELEN)
    await post_form(client, "/account/sign-out-everywhere", {}, page="/account")
    (sign_out,) = await events(AuditAction.ACCOUNT_SESSION_SIGN_OUT)
    (revoke_all,) = await events(AuditAction.ACCOUNT_SESSION_REVOKE_ALL)
    for event in (sign_out, revoke_all):
        assert event["actor_id"] == event["object_id"] == str(helen.id)


async def test_a_password_change_is_audited_with_the_sessions_it_revoked(client, platform):
    helen = await provider_user(platform)
    await sign_in(client, HELEN)
    await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        page="/account/password",
    )
    (change,) = await events(AuditAction.ACCOUNT_PASSWORD_CHANGE)
    (revoke_all,) = await events(AuditAction.ACCOUNT_SESSION_REVOKE_ALL)
    assert change["actor_id"] == revoke_all["actor_id"] == str(helen.id)
    bodies = await AuditEvent.select(AuditEvent.body)
    assert not [row for row in bodies if NEW_PASSWORD in row["body"] or PASSWORD in row["body"]]


# Cross-site form posts ------------------------------------------------------------------

CSRF_POSTS = [
    pytest.param("/sign-out", {}, id="sign-out"),
    pytest.param("/account/sign-out-everywhere", {}, id="sign-out-everywhere"),
    pytest.param(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        id="change-password",
    ),
    pytest.param(
        "/organisation/users/new",
        {"name": "Eve", "email": "eve@example.com", "role": "officer", "password": NEW_PASSWORD},
        id="add-user",
    ),
    pytest.param("/organisation/users/{tom}", {"role": "officer"}, id="change-role"),
    pytest.param(
        "/register",
        {
            "organisation_name": "Eve Care Ltd",
            "contact_name": "Eve",
            "email": "eve@example.com",
            "password": NEW_PASSWORD,
        },
        id="register",
    ),
]


async def snapshot() -> tuple[dict[str, int], list[dict]]:
    return await count_rows(), await User.select().order_by(User.email)


@pytest.mark.parametrize("token", ["missing", "another browser's"])
@pytest.mark.parametrize(("url", "form"), CSRF_POSTS)
async def test_a_form_post_without_this_browsers_csrf_token_is_refused_and_changes_nothing(
    client, other_client, platform, url, form, token
):
    officer = await buyer_officer(platform)
    tom = await evaluator(platform, officer)
    await sign_in(client, PRIYA)
    await csrf_token(client, "/account")
    data = dict(form)
    if token == "another browser's":
        data["_csrf_token"] = await csrf_token(other_client)
    before = await snapshot()
    response = await client.post(url.format(tom=tom.id), data=data)
    assert response.status_code == 403
    assert "Your form could not be sent" in html(response).xpath("//main")[0].text_content()
    assert await snapshot() == before
    await assert_signed_in(client)
