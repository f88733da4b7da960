"""The JSON API: bearer tokens of their own scope, refused when forged, expired or revoked;
JSON errors for everything; cookies neither set nor honoured."""

import json
import warnings
from datetime import timedelta

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from app.accounts import TOKEN_PURPOSE
from app.error_handlers import UNREADABLE_BODY
from app.sessions import SESSION_COOKIE
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from tests.conftest import (
    PASSWORD,
    START,
    bearer,
    buyer_officer,
    count_rows,
    post_form,
    provider_user,
    sign_in,
)

HELEN = "helen@moorlands-care.example"
SIGN_IN_TO_CONTINUE = {"status": 401, "message": "Sign in to continue"}


def token_of(headers: dict) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


async def test_a_token_is_issued_for_an_email_and_password(client, platform):
    await provider_user(platform)
    response = await client.post("/api/v1/tokens", json={"email": HELEN, "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_at"].replace("Z", "+00:00") == (START + timedelta(hours=1)).isoformat()
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == HELEN
    assert me.json()["organisation_name"] == "Moorlands Supported Living CIC"
    assert me.json()["organisation_kind"] == "provider"


async def test_issuing_a_token_is_audited(client, platform):
    helen = await provider_user(platform)
    await bearer(client, HELEN)
    rows = await AuditEvent.select(AuditEvent.body).where(
        AuditEvent.action == AuditAction.ACCOUNT_TOKEN_ISSUE
    )
    assert [json.loads(row["body"])["actor_id"] for row in rows] == [str(helen.id)]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic aGVsZW46cGFzc3dvcmQ=", "Token abc.def.ghi"],
)
async def test_the_api_without_a_bearer_token_answers_401(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for path in ("/api/v1/me", "/api/v1/organisation/users"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json() == SIGN_IN_TO_CONTINUE
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_api_ignores_a_signed_in_browsers_cookie(client, platform):
    """The API has no CSRF check, so a cookie must never be enough to act there."""
    await provider_user(platform)
    await sign_in(client, HELEN)
    assert SESSION_COOKIE in client.cookies
    response = await client.get("/api/v1/me")
    assert response.status_code == 401


async def test_a_session_cookie_is_not_a_bearer_token(client, platform):
    await provider_user(platform)
    await sign_in(client, HELEN)
    cookie = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {cookie}"})
    assert response.status_code == 401


async def test_a_bearer_token_is_not_a_session_cookie(client, other_client, platform):
    await provider_user(platform)
    token = token_of(await bearer(client, HELEN))
    other_client.cookies.set(SESSION_COOKIE, token)
    response = await other_client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account"


def forged(token: str, how: str, platform) -> str:
    claims = claims_of(token)
    key = platform.derived_key(TOKEN_PURPOSE)
    header, payload, signature = token.split(".")
    if how == "tampered payload":
        other = jwt.encode({**claims, "epoch": claims["epoch"] + 1}, key, algorithm="HS256")
        return ".".join([header, other.split(".")[1], signature])
    if how == "tampered signature":
        return ".".join([header, payload, signature[::-1]])
    if how == "another key":
        return jwt.encode(claims, b"x" * 32, algorithm="HS256")
    if how == "another algorithm":
        with warnings.catch_warnings():
            # The right key under SHA-512: PyJWT rightly says it is short for that.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            return jwt.encode(claims, key, algorithm="HS512")
    if how == "no signature":
        return jwt.encode(claims, None, algorithm="none")
    if how == "no id":
        return jwt.encode({k: v for k, v in claims.items() if k != "jti"}, key, algorithm="HS256")
    if how == "no expiry":
        return jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256")
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "tampered payload",
        "tampered signature",
        "another key",
        "another algorithm",
        "no signature",
        "no id",
        "no expiry",
    ],
)
async def test_a_forged_token_is_refused(client, platform, how):
    await provider_user(platform)
    token = token_of(await bearer(client, HELEN))
    response = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {forged(token, how, platform)}"}
    )
    assert response.status_code == 401
    assert response.json() == SIGN_IN_TO_CONTINUE


async def test_a_token_lasts_one_hour(client, platform, clock):
    await provider_user(platform)
    headers = await bearer(client, HELEN)
    clock.advance(timedelta(minutes=59, seconds=59))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_a_password_change_revokes_api_tokens(client, platform):
    await provider_user(platform)
    headers = await bearer(client, HELEN)
    await sign_in(client, HELEN)
    await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        page="/account/password",
    )
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_the_api_needs_no_csrf_token_and_sets_no_cookies(client, platform):
    await provider_user(platform)
    responses = [
        await client.post("/api/v1/tokens", json={"email": HELEN, "password": PASSWORD}),
        await client.post("/api/v1/tokens", json={"email": HELEN, "password": "wrong one!"}),
        await client.get("/api/v1/me"),
        await client.get("/api/v1/no-such-thing"),
    ]
    assert [response.status_code for response in responses] == [201, 400, 401, 404]
    for response in responses:
        assert "set-cookie" not in response.headers
        assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[]", "application/json"),
        (b'{"email": 5, "password": "x"}', "application/json"),
        (b"email=helen", "application/x-www-form-urlencoded"),
    ],
    ids=["malformed", "not-an-object", "wrong-type", "form-encoded"],
)
async def test_a_malformed_request_gets_a_json_400_and_changes_nothing(
    client, platform, body, content_type
):
    await provider_user(platform)
    before = await count_rows()
    response = await client.post(
        "/api/v1/tokens", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert await count_rows() == before


async def test_a_wrong_field_type_names_the_field(client):
    response = await client.post("/api/v1/registrations", json={"organisation_name": ["a", "list"]})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"organisation_name"}


async def test_the_openapi_document_describes_the_error_responses(client):
    schema = (await client.get("/schema/openapi.json")).json()
    responses = schema["paths"]["/api/v1/organisation/users/{user_id}"]["patch"]["responses"]
    assert {"400", "401", "403", "404"} <= set(responses)
    assert "429" in schema["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert "Error" in schema["components"]["schemas"]


async def test_a_body_that_is_not_json_is_refused_naming_the_body(client):
    """Found by the API fuzzer: a body that did not parse had no message per field."""
    response = await client.post(
        "/api/v1/tokens", content=b"\x00", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"body": UNREADABLE_BODY}


async def test_an_id_that_is_not_a_uuid_is_not_found_not_a_server_error(client, platform):
    """Found by the API fuzzer: the award's notices answered 500 to such an id."""
    await buyer_officer(platform)
    headers = await bearer(client, "priya.shah@staffordshire.example")
    for path in ("/api/v1/tenders/0/award/notices", "/api/v1/tenders/0/award/notices/0"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
