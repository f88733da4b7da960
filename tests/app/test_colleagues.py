"""An officer manages the users of their own council, and nobody else's: by page and by API,
every field checked, one officer always kept, and each change audited. A provider's user
adds colleagues to their own organisation, all provider users, who then work on its bids."""

import asyncio
import json

import httpx
import pytest

from app import accounts
from app.accounts import CurrentUser
from app.tables import AuditEvent, Organisation, User
from app.tokens import Scope
from app.vocabulary import AuditAction
from tenders.services import bids
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
    title,
)
from tests.tenders.factories import published_tender

PRIYA = "priya.shah@staffordshire.example"
TOM = "tom.barker@staffordshire.example"
HELEN = "helen@moorlands-care.example"
DERBY = "dan.hughes@derbyshire.example"
NEW_USER = {
    "name": "Aisha Khan",
    "email": "aisha.khan@staffordshire.example",
    "role": "evaluator",
    "password": "a first passphrase",
}
LAST_OFFICER = (
    "Your organisation must keep at least one procurement officer. "
    "Make someone else an officer first"
)
FORMAT_EMAIL = "Enter an email address in the correct format, like name@example.com"
TAKEN = "An account already uses this email address"
NOT_PERMITTED = "You do not have permission to do that"
SAM = {
    "name": "Sam Okafor",
    "email": "sam@moorlands-care.example",
    "password": "a first passphrase",
}
PROVIDER_ROLE_ONLY = "A provider organisation's users can only have the provider role"

BAD_COLLEAGUES = [
    pytest.param("name", "", "Enter their full name", id="name-empty"),
    pytest.param(
        "name", "A" * 201, "Their full name must be 200 characters or fewer", id="name-long"
    ),
    pytest.param("email", "", "Enter an email address", id="email-empty"),
    pytest.param("email", "aisha.khan", FORMAT_EMAIL, id="email-bad"),
    pytest.param("email", "a" * 320 + "@example.com", FORMAT_EMAIL, id="email-long"),
    pytest.param("email", TOM, TAKEN, id="email-of-a-colleague"),
    pytest.param("email", HELEN.upper(), TAKEN, id="email-of-another-organisation"),
    pytest.param("role", "", "Select a role", id="role-empty"),
    pytest.param("role", "provider", "Select a role", id="role-provider"),
    pytest.param("role", "admin", "Select a role", id="role-unknown"),
    pytest.param("password", "", "Enter a password", id="password-empty"),
    pytest.param("password", "1234567", "Password must be 8 characters or more", id="pw-short"),
    pytest.param(
        "password", "p" * 1001, "Password must be 1000 characters or fewer", id="password-long"
    ),
    pytest.param(
        "password",
        "password1",
        "This password is too common. Choose a different password",
        id="password-common",
    ),
]


@pytest.fixture
async def helen(platform) -> CurrentUser:
    """Helen, who registered Moorlands, a provider organisation."""
    return await provider_user(platform)


@pytest.fixture
async def staffordshire(platform, helen):
    """Priya, the officer, and Tom, an evaluator, at one council; Helen at a provider."""
    officer = await buyer_officer(platform)
    tom = await evaluator(platform, officer)
    return officer, tom


@pytest.fixture
async def derbyshire(platform):
    """The officer of another council."""
    return await buyer_officer(platform, DERBY, "Derbyshire County Council")


async def role_of(email: str) -> str:
    return (await User.select(User.role).where(User.email == email).first())["role"]


async def audited(action: AuditAction) -> list[dict]:
    rows = await AuditEvent.select(AuditEvent.body).where(AuditEvent.action == action)
    return [json.loads(row["body"]) for row in rows]


def listed_emails(response: httpx.Response) -> list[str]:
    return [cell.text_content().strip() for cell in html(response).xpath("//table//tbody/tr/td[2]")]


async def add_by_form(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    """Add a user through the form, which leads back to the users page: that page."""
    response = await post_form(client, "/organisation/users/new", form, page="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/organisation/users"
    return await client.get("/organisation/users")


# Who may manage users -------------------------------------------------------------------


async def test_an_officer_sees_only_their_own_councils_users(
    client, platform, staffordshire, derbyshire
):
    await sign_in(client, PRIYA)
    page = await client.get("/organisation/users")
    assert page.status_code == 200
    assert sorted(listed_emails(page)) == [PRIYA, TOM]
    api = await client.get("/api/v1/organisation/users", headers=await bearer(client, PRIYA))
    assert sorted(item["email"] for item in api.json()["items"]) == [PRIYA, TOM]


@pytest.mark.parametrize(
    ("who", "page"),
    [
        pytest.param(TOM, "/organisation/users", id="evaluator-list"),
        pytest.param(TOM, "/organisation/users/new", id="evaluator-new"),
        pytest.param(TOM, "/organisation/users/{tom}", id="evaluator-role"),
        pytest.param(HELEN, "/organisation/users/{tom}", id="provider-role"),
    ],
)
async def test_only_officers_may_open_a_users_role_page_and_evaluators_no_user_page(
    client, staffordshire, who, page
):
    _, tom = staffordshire
    await sign_in(client, who)
    response = await client.get(page.format(tom=tom.id))
    assert response.status_code == 403
    assert title(response).startswith("You do not have permission to see this page")


async def test_an_evaluator_may_not_add_users_or_change_roles_by_form(client, staffordshire):
    _, tom = staffordshire
    await sign_in(client, TOM)
    before = await count_rows()
    added = await post_form(client, "/organisation/users/new", NEW_USER, page="/account")
    changed = await post_form(
        client, f"/organisation/users/{tom.id}", {"role": "officer"}, page="/account"
    )
    assert added.status_code == changed.status_code == 403
    assert await count_rows() == before
    assert await role_of(TOM) == "evaluator"


async def test_an_evaluator_may_not_use_the_users_api(client, staffordshire):
    _, tom = staffordshire
    headers = await bearer(client, TOM)
    before = await count_rows()
    responses = [
        await client.get("/api/v1/organisation/users", headers=headers),
        await client.post("/api/v1/organisation/users", json=NEW_USER, headers=headers),
        await client.get(f"/api/v1/organisation/users/{tom.id}", headers=headers),
        await client.patch(
            f"/api/v1/organisation/users/{tom.id}", json={"role": "officer"}, headers=headers
        ),
    ]
    for response in responses:
        assert response.status_code == 403
        assert response.json() == {"status": 403, "message": NOT_PERMITTED}
    assert await count_rows() == before
    assert await role_of(TOM) == "evaluator"


async def test_a_provider_may_not_change_roles_nor_see_a_councils_user(client, staffordshire):
    _, tom = staffordshire
    await sign_in(client, HELEN)
    form = await post_form(
        client, f"/organisation/users/{tom.id}", {"role": "officer"}, page="/account"
    )
    assert form.status_code == 403
    headers = await bearer(client, HELEN)
    api = await client.patch(
        f"/api/v1/organisation/users/{tom.id}", json={"role": "officer"}, headers=headers
    )
    assert api.status_code == 403
    assert api.json() == {"status": 403, "message": NOT_PERMITTED}
    fetched = await client.get(f"/api/v1/organisation/users/{tom.id}", headers=headers)
    assert fetched.status_code == 404
    assert await role_of(TOM) == "evaluator"


@pytest.mark.parametrize(("who", "shown"), [(PRIYA, True), (TOM, False), (HELEN, True)])
async def test_the_users_link_is_shown_to_officers_and_providers(client, staffordshire, who, shown):
    await sign_in(client, who)
    page = await client.get("/account")
    assert bool(html(page).xpath('//a[@href="/organisation/users"]')) is shown


async def test_an_officer_cannot_see_another_councils_user(client, staffordshire, derbyshire):
    _, tom = staffordshire
    await sign_in(client, DERBY)
    page = await client.get(f"/organisation/users/{tom.id}")
    assert page.status_code == 404
    assert title(page).startswith("Page not found")
    assert "Tom Barker" not in page.text
    api = await client.get(
        f"/api/v1/organisation/users/{tom.id}", headers=await bearer(client, DERBY)
    )
    assert api.status_code == 404
    assert api.json() == {"status": 404, "message": "Page not found"}


async def test_an_officer_cannot_change_another_councils_user(client, staffordshire, derbyshire):
    _, tom = staffordshire
    await sign_in(client, DERBY)
    before = await count_rows()
    page = await post_form(
        client, f"/organisation/users/{tom.id}", {"role": "officer"}, page="/account"
    )
    assert page.status_code == 404
    api = await client.patch(
        f"/api/v1/organisation/users/{tom.id}",
        json={"role": "officer"},
        headers=await bearer(client, DERBY),
    )
    assert api.status_code == 404
    assert await role_of(TOM) == "evaluator"
    after = await count_rows()
    # Only the token's own audit event was written.
    assert after["audit_event"] == before["audit_event"] + 1
    assert not await audited(AuditAction.ACCOUNT_USER_ROLE_CHANGE)


@pytest.mark.parametrize("user_id", ["42", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
async def test_a_user_id_that_names_nobody_is_not_found(client, staffordshire, user_id):
    await sign_in(client, PRIYA)
    assert (await client.get(f"/organisation/users/{user_id}")).status_code == 404
    api = await client.get(
        f"/api/v1/organisation/users/{user_id}", headers=await bearer(client, PRIYA)
    )
    assert api.status_code == 404


# Adding a user --------------------------------------------------------------------------


async def test_an_officer_adds_a_user_who_can_then_sign_in(client, other_client, staffordshire):
    await sign_in(client, PRIYA)
    page = await add_by_form(client, NEW_USER)
    assert flash(page) == "Aisha Khan has been added as evaluator"
    assert NEW_USER["email"] in listed_emails(page)
    await sign_in(other_client, NEW_USER["email"], NEW_USER["password"])
    me = await other_client.get("/account")
    assert "Staffordshire County Council" in me.text
    assert await role_of(NEW_USER["email"]) == "evaluator"


async def test_adding_a_user_is_audited_without_the_password(client, staffordshire):
    officer, _ = staffordshire
    await sign_in(client, PRIYA)
    await post_form(client, "/organisation/users/new", NEW_USER, page="/account")
    aisha = await User.objects().get(User.email == NEW_USER["email"])
    events = await audited(AuditAction.ACCOUNT_USER_ADD)
    (event,) = [event for event in events if event["object_id"] == str(aisha.id)]
    assert event["actor_id"] == str(officer.id)
    assert event["organisation_id"] == str(officer.organisation_id)
    assert event["details"] == {"email": NEW_USER["email"], "role": "evaluator"}
    assert NEW_USER["password"] not in json.dumps(events)


@pytest.mark.parametrize(("field", "value", "message"), BAD_COLLEAGUES)
async def test_bad_new_user_form_shows_the_fields_message_and_creates_nothing(
    client, staffordshire, field, value, message
):
    await sign_in(client, PRIYA)
    typed = {**NEW_USER, field: value}
    before = await count_rows()
    response = await post_form(client, "/organisation/users/new", typed, page="/account")
    assert_form_refused(response, field, message, kept=typed)
    assert await count_rows() == before


@pytest.mark.parametrize(("field", "value", "message"), BAD_COLLEAGUES)
async def test_bad_new_user_by_api_gives_the_fields_message_and_creates_nothing(
    client, staffordshire, field, value, message
):
    headers = await bearer(client, PRIYA)
    before = await count_rows()
    response = await client.post(
        "/api/v1/organisation/users", json={**NEW_USER, field: value}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {field: message}
    assert await count_rows() == before


async def test_an_officer_adds_a_user_by_api(client, staffordshire):
    headers = await bearer(client, PRIYA)
    response = await client.post("/api/v1/organisation/users", json=NEW_USER, headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ("name", "email", "role")} == {
        "name": "Aisha Khan",
        "email": NEW_USER["email"],
        "role": "evaluator",
    }
    fetched = await client.get(f"/api/v1/organisation/users/{body['id']}", headers=headers)
    assert fetched.json() == body


# Changing a role ------------------------------------------------------------------------


async def test_an_officer_changes_a_colleagues_role(client, staffordshire):
    officer, tom = staffordshire
    await sign_in(client, PRIYA)
    form = await client.get(f"/organisation/users/{tom.id}")
    checked = html(form).xpath('//input[@name="role"][@checked]/@value')
    assert checked == ["evaluator"]
    response = await post_form(
        client, f"/organisation/users/{tom.id}", {"role": "officer"}, page="/account"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/organisation/users"
    assert flash(await client.get("/organisation/users")) == "Tom Barker is now procurement officer"
    assert await role_of(TOM) == "officer"
    (event,) = await audited(AuditAction.ACCOUNT_USER_ROLE_CHANGE)
    assert event["actor_id"] == str(officer.id)
    assert event["object_id"] == str(tom.id)
    assert event["details"] == {"from": "evaluator", "to": "officer"}


async def test_an_officer_changes_a_role_by_api(client, staffordshire):
    _, tom = staffordshire
    response = await client.patch(
        f"/api/v1/organisation/users/{tom.id}",
        json={"role": "officer"},
        headers=await bearer(client, PRIYA),
    )
    assert response.status_code == 200
    assert response.json()["role"] == "officer"
    assert await role_of(TOM) == "officer"


@pytest.mark.parametrize("role", ["", "provider", "superuser"])
async def test_a_role_that_is_not_offered_is_refused(client, staffordshire, role):
    _, tom = staffordshire
    await sign_in(client, PRIYA)
    before = await count_rows()
    page = await post_form(client, f"/organisation/users/{tom.id}", {"role": role}, page="/account")
    assert_form_refused(page, "role", "Select a role", kept={"role": role})
    api = await client.patch(
        f"/api/v1/organisation/users/{tom.id}",
        json={"role": role},
        headers=await bearer(client, PRIYA),
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"role": "Select a role"}
    assert await role_of(TOM) == "evaluator"
    assert not await audited(AuditAction.ACCOUNT_USER_ROLE_CHANGE)
    assert (await count_rows())["app_user"] == before["app_user"]


async def test_the_last_officer_cannot_demote_themself(client, staffordshire):
    officer, _ = staffordshire
    await sign_in(client, PRIYA)
    response = await post_form(
        client, f"/organisation/users/{officer.id}", {"role": "evaluator"}, page="/account"
    )
    assert_form_refused(response, "role", LAST_OFFICER, kept={"role": "evaluator"})
    assert title(response) == "Error: Change the role of Priya Shah \N{EN DASH} caretender"
    api = await client.patch(
        f"/api/v1/organisation/users/{officer.id}",
        json={"role": "evaluator"},
        headers=await bearer(client, PRIYA),
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"role": LAST_OFFICER}
    assert await role_of(PRIYA) == "officer"
    assert not await audited(AuditAction.ACCOUNT_USER_ROLE_CHANGE)
    assert (await client.get("/organisation/users")).status_code == 200


async def test_two_officers_stepping_down_at_once_leave_one_officer(
    client, other_client, platform, staffordshire
):
    officer, tom = staffordshire
    await accounts.change_role(platform, officer, str(tom.id), {"role": "officer"})
    steps = []
    for browser, email, user in ((client, PRIYA, officer), (other_client, TOM, tom)):
        await sign_in(browser, email)
        token = await csrf_token(browser, f"/organisation/users/{user.id}")
        steps.append(
            browser.post(
                f"/organisation/users/{user.id}", data={"_csrf_token": token, "role": "evaluator"}
            )
        )
    responses = await asyncio.gather(*steps)
    assert sorted(response.status_code for response in responses) == [303, 400]
    assert await User.count().where(User.role == "officer") == 1
    assert len(await audited(AuditAction.ACCOUNT_USER_ROLE_CHANGE)) == 2  # Tom's promotion too


async def test_with_a_second_officer_an_officer_may_step_down_and_loses_access_at_once(
    client, platform, staffordshire
):
    officer, tom = staffordshire
    await accounts.change_role(platform, officer, str(tom.id), {"role": "officer"})
    await sign_in(client, PRIYA)
    response = await post_form(
        client, f"/organisation/users/{officer.id}", {"role": "evaluator"}, page="/account"
    )
    assert response.status_code == 303
    assert await role_of(PRIYA) == "evaluator"
    # The same session, without signing in again: the role is read afresh on every request.
    assert (await client.get("/organisation/users")).status_code == 403


async def test_a_user_promoted_to_officer_gains_access_at_once(
    client, other_client, platform, staffordshire
):
    officer, tom = staffordshire
    await sign_in(other_client, TOM)
    assert (await other_client.get("/organisation/users")).status_code == 403
    await accounts.change_role(platform, officer, str(tom.id), {"role": "officer"})
    assert (await other_client.get("/organisation/users")).status_code == 200


# The list, a page at a time -------------------------------------------------------------


async def thirty_colleagues(platform, officer) -> list[str]:
    emails = []
    for number in range(1, 31):
        added = await accounts.add_colleague(
            platform,
            officer,
            {
                "name": f"Colleague {number:02}",
                "email": f"colleague{number:02}@staffordshire.example",
                "role": "evaluator",
                "password": PASSWORD,
            },
        )
        emails.append(added.email)
    return emails


async def test_the_users_list_shows_25_a_page_and_the_rest_on_page_two(client, platform):
    officer = await buyer_officer(platform)
    everyone = [*await thirty_colleagues(platform, officer), PRIYA]
    await sign_in(client, PRIYA)
    first = await client.get("/organisation/users")
    second = await client.get("/organisation/users?page=2")
    assert len(listed_emails(first)) == 25
    assert listed_emails(second) == everyone[25:]
    assert listed_emails(first) + listed_emails(second) == everyone
    assert "31 users" in html(first).xpath("//table/caption")[0].text_content()
    assert html(first).xpath('//nav[contains(@class, "govuk-pagination")]//a[@href="?page=2"]')
    assert html(second).xpath('//*[contains(@class, "govuk-pagination__prev")]//a[@href="?page=1"]')
    assert not html(second).xpath('//*[contains(@class, "govuk-pagination__next")]')


@pytest.mark.parametrize(("asked", "shown"), [("0", 1), ("-3", 1), ("99", 2)])
async def test_a_page_number_out_of_range_shows_the_nearest_page(client, platform, asked, shown):
    officer = await buyer_officer(platform)
    everyone = [*await thirty_colleagues(platform, officer), PRIYA]
    await sign_in(client, PRIYA)
    response = await client.get(f"/organisation/users?page={asked}")
    assert response.status_code == 200
    assert listed_emails(response)[0] == everyone[(shown - 1) * 25]


async def test_a_page_number_that_is_not_a_number_gets_a_clear_400(client, staffordshire):
    await sign_in(client, PRIYA)
    response = await client.get("/organisation/users?page=two")
    assert response.status_code == 400
    assert title(response).startswith("There is a problem with what was sent")


async def test_the_users_api_pages_the_same_way(client, platform):
    officer = await buyer_officer(platform)
    everyone = [*await thirty_colleagues(platform, officer), PRIYA]
    headers = await bearer(client, PRIYA)
    first = (await client.get("/api/v1/organisation/users", headers=headers)).json()
    second = (await client.get("/api/v1/organisation/users?page=2", headers=headers)).json()
    assert (first["page"], first["pages"], first["total"]) == (1, 2, 31)
    assert (second["page"], second["pages"], second["total"]) == (2, 2, 31)
    assert [item["email"] for item in first["items"] + second["items"]] == everyone


# A provider adds colleagues ------------------------------------------------------------


async def signed_in_as(platform, email: str, password: str = PASSWORD) -> CurrentUser:
    user, _ = await accounts.sign_in(
        platform, {"email": email, "password": password}, "127.0.0.1", Scope.API
    )
    return user


async def test_a_provider_adds_a_colleague_who_signs_in_and_sees_the_organisations_bids(
    client, other_client, platform, staffordshire, helen
):
    officer, _ = staffordshire
    tender = await published_tender(platform, officer, lots=1)
    bid_id = await bids.start_bid(platform, helen, tender.id)
    await sign_in(client, HELEN)
    page = await add_by_form(client, SAM)
    assert flash(page) == "Sam Okafor has been added as provider user"
    assert listed_emails(page) == [HELEN, SAM["email"]]
    await sign_in(other_client, SAM["email"], SAM["password"])
    their_bids = await other_client.get("/bids")
    assert html(their_bids).xpath(f'//a[@href="/bids/{bid_id}"]')
    sam = await signed_in_as(platform, SAM["email"], SAM["password"])
    assert [bid.id for bid in (await bids.my_bids(sam)).items] == [bid_id]


async def test_two_colleagues_at_a_provider_reach_the_same_bid(
    platform, staffordshire, helen
) -> None:
    officer, _ = staffordshire
    tender = await published_tender(platform, officer, lots=1)
    await accounts.add_colleague(platform, helen, SAM)
    sam = await signed_in_as(platform, SAM["email"], SAM["password"])
    bid_id = await bids.start_bid(platform, helen, tender.id)
    assert (await bids.own_bid(sam, bid_id)).id == bid_id
    assert await bids.start_bid(platform, sam, tender.id) == bid_id


@pytest.mark.parametrize("role", ["officer", "evaluator", "admin"])
async def test_a_provider_cannot_add_a_council_role(client, staffordshire, helen, role):
    typed = {**SAM, "role": role}
    headers = await bearer(client, HELEN)
    await sign_in(client, HELEN)
    before = await count_rows()
    page = await post_form(client, "/organisation/users/new", typed, page="/account")
    assert_form_refused(page, "role", PROVIDER_ROLE_ONLY, kept=SAM)
    api = await client.post("/api/v1/organisation/users", json=typed, headers=headers)
    assert api.status_code == 400
    assert api.json()["errors"] == {"role": PROVIDER_ROLE_ONLY}
    assert await count_rows() == before


@pytest.mark.parametrize("role", [{}, {"role": "provider"}], ids=["role-left-out", "provider"])
async def test_a_providers_colleague_belongs_to_that_organisation_only(
    client, staffordshire, helen, role
):
    headers = await bearer(client, HELEN)
    organisations = await Organisation.count()
    response = await client.post(
        "/api/v1/organisation/users", json={**SAM, **role}, headers=headers
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"]) == (SAM["email"], "provider")
    sam = await User.objects().get(User.email == SAM["email"])
    assert sam.organisation == helen.organisation_id
    assert await Organisation.count() == organisations
    fetched = await client.get(f"/api/v1/organisation/users/{body['id']}", headers=headers)
    assert fetched.json() == body
    priyas = await client.get("/api/v1/organisation/users", headers=await bearer(client, PRIYA))
    assert SAM["email"] not in [item["email"] for item in priyas.json()["items"]]
    (event,) = [
        e for e in await audited(AuditAction.ACCOUNT_USER_ADD) if e["object_id"] == body["id"]
    ]
    assert event["actor_id"] == str(helen.id)
    assert event["organisation_id"] == str(helen.organisation_id)
    assert event["details"] == {"email": SAM["email"], "role": "provider"}


@pytest.mark.parametrize("email", [HELEN, HELEN.upper(), TOM], ids=["own", "own-upper", "council"])
async def test_a_provider_cannot_add_an_email_already_in_use(client, staffordshire, helen, email):
    typed = {**SAM, "email": email}
    await sign_in(client, HELEN)
    before = await count_rows()
    response = await post_form(client, "/organisation/users/new", typed, page="/account")
    assert_form_refused(response, "email", TAKEN, kept=typed)
    assert await count_rows() == before


async def test_a_provider_sees_their_organisations_users_and_a_form_without_roles(
    client, staffordshire, helen
):
    await sign_in(client, HELEN)
    listing = await client.get("/organisation/users")
    assert listing.status_code == 200
    assert listed_emails(listing) == [HELEN]
    assert html(listing).xpath('//main//a[@href="/organisation/users/new"]')
    assert not html(listing).xpath("//table//a"), "no role to change at a provider"
    form = await client.get("/organisation/users/new")
    assert form.status_code == 200
    fields = html(form).xpath("//main//form//input/@name")
    assert sorted(fields) == ["_csrf_token", "email", "name", "password"]
    assert "Moorlands Supported Living CIC's bids" in html(form).get_element_by_id("role").text


async def test_a_provider_adding_a_colleague_without_the_csrf_token_is_refused(
    client, staffordshire, helen
):
    await sign_in(client, HELEN)
    await csrf_token(client, "/organisation/users/new")
    before = await count_rows()
    response = await client.post("/organisation/users/new", data=SAM)
    assert response.status_code == 403
    assert "Your form could not be sent" in html(response).xpath("//main")[0].text_content()
    assert await count_rows() == before


async def test_the_api_documents_that_providers_add_provider_users(client):
    schema = (await client.get("/schema/openapi.json")).json()
    adding = schema["paths"]["/api/v1/organisation/users"]["post"]["description"]
    assert "At a provider organisation every user is a provider user" in adding
    changing = schema["paths"]["/api/v1/organisation/users/{user_id}"]["patch"]["description"]
    assert "procurement officers only" in changing
