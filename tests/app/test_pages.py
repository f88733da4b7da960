"""Pages as people meet them: a title on every page, security headers on every response,
GOV.UK error pages, post-redirect-get with a message, and the documented API schema."""

import pytest

from app import accounts
from tests.conftest import (
    PASSWORD,
    buyer_officer,
    evaluator,
    flash,
    html,
    post_form,
    provider_user,
    sign_in,
    title,
)

PRIYA = "priya.shah@staffordshire.example"
HELEN = "helen@moorlands-care.example"
TOM_ID = "{tom}"
SUFFIX = " \N{EN DASH} caretender"
#: One year: the least the HSTS preload list accepts.
HSTS_MIN_SECONDS = 31536000

PAGES = [
    (None, "/", "Tenders for the commissioning of care"),
    (None, "/accessibility", "Accessibility statement"),
    (None, "/register", "Register your organisation"),
    (None, "/sign-in", "Sign in"),
    (HELEN, "/", "Tenders for the commissioning of care"),
    (HELEN, "/account", "Your account"),
    (HELEN, "/account/password", "Change your password"),
    (HELEN, "/organisation/users", "Users in Moorlands Supported Living CIC"),
    (HELEN, "/organisation/users/new", "Add a user"),
    (PRIYA, "/account", "Your account"),
    (PRIYA, "/organisation/users", "Users in Staffordshire County Council"),
    (PRIYA, "/organisation/users?page=2", "Users in Staffordshire County Council"),
    (PRIYA, "/organisation/users/new", "Add a user"),
    (PRIYA, f"/organisation/users/{TOM_ID}", "Change the role of Tom Barker"),
]


@pytest.fixture
async def people(platform):
    officer = await buyer_officer(platform)
    tom = await evaluator(platform, officer)
    await provider_user(platform)
    return {"tom": tom.id}


@pytest.mark.parametrize(("who", "page", "expected"), PAGES)
async def test_every_page_has_a_title_that_names_it(client, people, who, page, expected):
    if who:
        await sign_in(client, who)
    response = await client.get(page.format(**people))
    assert response.status_code == 200
    assert title(response) == f"{expected}{SUFFIX}"
    assert len(html(response).xpath("//main//h1")) == 1


@pytest.mark.parametrize(("who", "page", "expected"), PAGES)
async def test_no_page_relies_on_inline_script_or_style(client, people, who, page, expected):
    """The content security policy blocks both, so a page that needed them would break."""
    if who:
        await sign_in(client, who)
    document = html(await client.get(page.format(**people)))
    assert not document.xpath("//script[not(@src)]")
    assert not document.xpath("//style | //*[@style] | //*[@*[starts-with(name(), 'on')]]")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/sign-in", 200),
        ("GET", "/account", 303),
        ("GET", "/no-such-page", 404),
        ("POST", "/", 405),
        ("POST", "/sign-in", 403),
        ("GET", "/healthz", 200),
        ("GET", "/static/caretender.css", 200),
        ("GET", "/schema/openapi.json", 200),
        ("GET", "/api/v1/me", 401),
        ("GET", "/api/v1/no-such-thing", 404),
        ("POST", "/api/v1/tokens", 400),
    ],
)
async def test_every_response_carries_the_security_headers(client, method, path, status):
    response = await client.request(method, path, json={} if path.startswith("/api") else None)
    assert response.status_code == status
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    max_age = response.headers["strict-transport-security"].split(";")[0]
    assert int(max_age.removeprefix("max-age=")) >= HSTS_MIN_SECONDS
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_pages_that_may_show_personal_data_are_never_cached(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    assert (await client.get("/account")).headers["cache-control"] == "no-store"


async def test_an_unknown_page_gets_the_govuk_page_not_found(client):
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    page = html(response)
    assert title(response) == f"Page not found{SUFFIX}"
    assert page.xpath("//main//h1")[0].text_content().strip() == "Page not found"
    paragraphs = [" ".join(p.text_content().split()) for p in page.xpath("//main//p")]
    assert "If you typed the web address, check it is correct." in paragraphs
    assert "If you pasted the web address, check you copied the entire address." in paragraphs
    assert page.xpath('//main//a[@href="/"]')
    assert "govuk-template" in page.xpath("/html/@class")[0]
    assert response.headers["content-type"].startswith("text/html")


async def test_an_unknown_api_address_gets_json_not_a_page(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Page not found"}


async def test_the_wrong_method_gets_a_page_not_a_traceback(client):
    response = await client.post("/accessibility")
    assert response.status_code == 405
    assert title(response) == f"Page not found{SUFFIX}"


async def test_healthz_answers_ok(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_openapi_schema_documents_the_api_and_not_the_pages(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "post" in paths["/api/v1/tokens"]
    assert "get" in paths["/api/v1/me"]
    assert {"/api/v1/registrations", "/api/v1/organisation/users"} <= set(paths)
    assert "/sign-in" not in paths
    assert "/organisation/users" not in paths
    assert "bearer" in response.json()["components"]["securitySchemes"]


async def test_the_static_assets_are_served(client):
    css = await client.get("/static/caretender.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get("/static/init.js")).status_code == 200
    assert (await client.get("/static/govuk/govuk-frontend.min.js")).status_code == 200


# Post-redirect-get ---------------------------------------------------------------------


async def register(client, platform):
    return await post_form(
        client,
        "/register",
        {
            "organisation_name": "Trent Valley Home Care Ltd",
            "contact_name": "Sam Patel",
            "email": "sam@trentvalley-care.example",
            "password": "a long passphrase of words",
        },
        page="/register",
    )


async def add_user(client, platform):
    await buyer_officer(platform)
    await sign_in(client, PRIYA)
    return await post_form(
        client,
        "/organisation/users/new",
        {
            "name": "Aisha Khan",
            "email": "aisha.khan@staffordshire.example",
            "role": "officer",
            "password": "a first passphrase",
        },
        page="/organisation/users/new",
    )


async def add_colleague_at_a_provider(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    return await post_form(
        client,
        "/organisation/users/new",
        {"name": "Sam Okafor", "email": "sam@moorlands-care.example", "password": PASSWORD},
        page="/organisation/users/new",
    )


async def change_role(client, platform):
    tom = await evaluator(platform, await buyer_officer(platform))
    await sign_in(client, PRIYA)
    page = f"/organisation/users/{tom.id}"
    return await post_form(client, page, {"role": "officer"}, page=page)


async def change_password(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    return await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        page="/account/password",
    )


async def sign_out(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    return await post_form(client, "/sign-out", {}, page="/account")


async def sign_out_everywhere(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    return await post_form(client, "/account/sign-out-everywhere", {}, page="/account")


@pytest.mark.parametrize(
    ("action", "location", "message"),
    [
        (register, "/account", "Trent Valley Home Care Ltd is registered and you are signed in"),
        (add_user, "/organisation/users", "Aisha Khan has been added as procurement officer"),
        (
            add_colleague_at_a_provider,
            "/organisation/users",
            "Sam Okafor has been added as provider user",
        ),
        (change_role, "/organisation/users", "Tom Barker is now procurement officer"),
        (
            change_password,
            "/account",
            "Your password has been changed. You have been signed out on other devices",
        ),
        (sign_out, "/sign-in", "You have signed out"),
        (sign_out_everywhere, "/sign-in", "You have signed out on every device"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
async def test_a_form_that_succeeds_redirects_and_the_next_page_says_what_happened_once(
    client, platform, action, location, message
):
    response = await action(client, platform)
    assert response.status_code == 303
    assert response.headers["location"] == location
    following = await client.get(location)
    assert following.status_code == 200
    assert flash(following) == message
    assert flash(await client.get(location)) is None


async def test_the_signed_in_header_names_the_user_and_their_organisation(client, platform):
    await accounts.create_buyer(
        platform, "Stoke-on-Trent City Council", "Jo <b>Bloggs</b>", "jo@stoke.example", PASSWORD
    )
    await sign_in(client, "jo@stoke.example")
    page = html(await client.get("/account"))
    (header,) = page.xpath('//*[@data-testid="signed-in-as"]')
    assert " ".join(header.text_content().split()) == (
        "Signed in as Jo <b>Bloggs</b>, Stoke-on-Trent City Council"
    )
    assert not page.xpath("//header//b")
