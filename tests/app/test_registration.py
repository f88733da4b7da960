"""Registering a provider organisation: by form and by API, every field checked, nothing
half-made, and the registration written to the audit log."""

import asyncio
import json

import pytest

from app.tables import AuditEvent, Organisation, OutboxMessage, User
from app.vocabulary import AuditAction
from tests.conftest import (
    assert_form_refused,
    count_rows,
    csrf_token,
    flash,
    html,
    post_form,
    provider_user,
)

GOOD = {
    "organisation_name": "Trent Valley Home Care Ltd",
    "cqc_provider_id": "1-101234567",
    "contact_name": "Sam Patel",
    "email": "sam@trentvalley-care.example",
    "password": "a long passphrase of words",
}
FORMAT_EMAIL = "Enter an email address in the correct format, like name@example.com"
TAKEN = "An account already uses this email address. Sign in instead"

BAD_REGISTRATIONS = [
    pytest.param("organisation_name", "", "Enter your organisation's name", id="org-empty"),
    pytest.param("organisation_name", "   ", "Enter your organisation's name", id="org-blank"),
    pytest.param(
        "organisation_name",
        "C" * 201,
        "Your organisation's name must be 200 characters or fewer",
        id="org-too-long",
    ),
    pytest.param(
        "cqc_provider_id",
        "CQC-12345",
        "Enter a CQC provider ID in the correct format, like 1-101234567",
        id="cqc-wrong-format",
    ),
    pytest.param(
        "cqc_provider_id",
        "1-1" + "0" * 20,
        "Enter a CQC provider ID in the correct format, like 1-101234567",
        id="cqc-too-long",
    ),
    pytest.param("contact_name", "", "Enter your full name", id="name-empty"),
    pytest.param(
        "contact_name", "S" * 201, "Your full name must be 200 characters or fewer", id="name-long"
    ),
    pytest.param("email", "", "Enter an email address", id="email-empty"),
    pytest.param("email", "sam.trentvalley-care.example", FORMAT_EMAIL, id="email-no-at"),
    pytest.param("email", "sam@trentvalley", FORMAT_EMAIL, id="email-no-domain"),
    pytest.param("email", "s" * 310 + "@example.com", FORMAT_EMAIL, id="email-too-long"),
    pytest.param("password", "", "Enter a password", id="password-empty"),
    pytest.param(
        "password", "seven77", "Password must be 8 characters or more", id="password-short"
    ),
    pytest.param(
        "password", "w" * 1001, "Password must be 1000 characters or fewer", id="password-long"
    ),
    pytest.param(
        "password",
        "password1",
        "This password is too common. Choose a different password",
        id="password-common",
    ),
]


async def test_registration_signs_the_provider_in_and_says_so(client):
    response = await post_form(client, "/register", GOOD, page="/register")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    account = await client.get("/account")
    assert account.status_code == 200
    assert flash(account) == "Trent Valley Home Care Ltd is registered and you are signed in"
    organisation = await Organisation.objects().get(Organisation.name == GOOD["organisation_name"])
    assert organisation.kind == "provider"
    assert organisation.cqc_provider_id == "1-101234567"


async def test_registration_stores_the_email_in_lower_case_so_sign_in_ignores_case(client):
    response = await post_form(
        client, "/register", {**GOOD, "email": "  Sam@TrentValley-Care.example "}, page="/register"
    )
    assert response.status_code == 303
    user = await User.objects().get(User.name == "Sam Patel")
    assert user.email == "sam@trentvalley-care.example"


async def test_the_cqc_provider_id_is_optional(client):
    response = await post_form(
        client, "/register", {**GOOD, "cqc_provider_id": ""}, page="/register"
    )
    assert response.status_code == 303
    organisation = await Organisation.objects().get(Organisation.name == GOOD["organisation_name"])
    assert organisation.cqc_provider_id is None


async def test_the_password_is_stored_only_as_an_argon2id_hash(client):
    await post_form(client, "/register", GOOD, page="/register")
    user = await User.objects().get(User.email == GOOD["email"])
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD["password"] not in user.password_hash


@pytest.mark.parametrize(("field", "value", "message"), BAD_REGISTRATIONS)
async def test_bad_registration_form_shows_the_fields_message_and_creates_nothing(
    client, field, value, message
):
    typed = {**GOOD, field: value}
    before = await count_rows()
    response = await post_form(client, "/register", typed, page="/register")
    assert_form_refused(response, field, message, kept=typed)
    assert await count_rows() == before


@pytest.mark.parametrize(("field", "value", "message"), BAD_REGISTRATIONS)
async def test_bad_registration_by_api_gives_the_fields_message_and_creates_nothing(
    client, field, value, message
):
    before = await count_rows()
    response = await client.post("/api/v1/registrations", json={**GOOD, field: value})
    assert response.status_code == 400
    assert response.json()["errors"] == {field: message}
    assert await count_rows() == before


@pytest.mark.parametrize("email", ["helen@moorlands-care.example", "Helen@Moorlands-Care.EXAMPLE"])
async def test_an_email_already_registered_is_refused_whatever_its_case(client, platform, email):
    await provider_user(platform)
    typed = {**GOOD, "email": email}
    before = await count_rows()
    response = await post_form(client, "/register", typed, page="/register")
    assert_form_refused(response, "email", TAKEN, kept=typed)
    api = await client.post("/api/v1/registrations", json=typed)
    assert api.status_code == 400
    assert api.json()["errors"] == {"email": TAKEN}
    assert await count_rows() == before


async def test_a_double_clicked_register_button_makes_one_account_and_no_error_page(client):
    token = await csrf_token(client, "/register")
    first, second = await asyncio.gather(
        *[client.post("/register", data={"_csrf_token": token, **GOOD}) for _ in range(2)]
    )
    assert sorted([first.status_code, second.status_code]) == [303, 400]
    refused = first if first.status_code == 400 else second
    assert_form_refused(refused, "email", TAKEN, kept=GOOD)
    assert (await count_rows())["app_user"] == 1


async def test_an_empty_registration_lists_every_missing_field_in_form_order(client):
    empty = dict.fromkeys(GOOD, "")
    response = await post_form(client, "/register", empty, page="/register")
    assert response.status_code == 400
    links = html(response).xpath('//*[contains(@class, "govuk-error-summary")]//li/a/@href')
    assert links == ["#organisation_name", "#contact_name", "#email", "#password"]


async def test_registration_by_api_returns_the_new_account_and_sets_no_cookie(client):
    response = await client.post("/api/v1/registrations", json=GOOD)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == GOOD["email"]
    assert body["role"] == "provider"
    assert body["organisation_name"] == GOOD["organisation_name"]
    assert body["organisation_kind"] == "provider"
    assert "set-cookie" not in response.headers
    token = await client.post(
        "/api/v1/tokens", json={"email": GOOD["email"], "password": GOOD["password"]}
    )
    assert token.status_code == 201


async def test_registration_is_audited_without_the_password(client):
    await post_form(client, "/register", GOOD, page="/register")
    events = await AuditEvent.select().where(
        AuditEvent.action == AuditAction.ACCOUNT_PROVIDER_REGISTER
    )
    assert len(events) == 1
    body = json.loads(events[0]["body"])
    user = await User.objects().get(User.email == GOOD["email"])
    assert body["actor_id"] == str(user.id)
    assert body["object_id"] == str(user.organisation)
    assert body["details"] == {"name": GOOD["organisation_name"], "cqc_provider_id": "1-101234567"}
    assert GOOD["password"] not in events[0]["body"]


async def test_a_new_provider_is_sent_a_plain_welcome_email_with_the_sign_in_link(platform):
    await provider_user(platform)
    [message] = await OutboxMessage.select()
    assert message["recipient"] == "helen@moorlands-care.example"
    assert message["subject"] == "Moorlands Supported Living CIC is registered on caretender"
    assert "Dear Helen Mills," in message["body"]
    assert f"{platform.settings.base_url}/sign-in" in message["body"]
