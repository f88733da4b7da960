"""Session and API tokens: what was issued decodes to itself; nothing else decodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from hypothesis import given
from hypothesis import strategies as st

from app.tokens import Scope, decode, encode, new_claims

KEY = b"k" * 32
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

claims_strategy = st.builds(
    new_claims,
    user_id=st.uuids(),
    epoch=st.integers(min_value=0, max_value=10_000),
    scope=st.sampled_from(Scope),
    now=st.just(NOW),
    lifetime=st.integers(min_value=60, max_value=86_400).map(lambda s: timedelta(seconds=s)),
)


@given(claims_strategy)
def test_an_issued_token_decodes_to_the_same_claims_in_its_own_scope(claims):
    decoded = decode(encode(claims, KEY), KEY, claims.scope, NOW)
    assert decoded == claims


@given(claims_strategy)
def test_a_token_is_refused_in_the_other_scope(claims):
    other = Scope.API if claims.scope is Scope.WEB else Scope.WEB
    assert decode(encode(claims, KEY), KEY, other, NOW) is None


@given(claims_strategy)
def test_a_token_is_refused_from_the_instant_it_expires(claims):
    token = encode(claims, KEY)
    assert decode(token, KEY, claims.scope, claims.expires_at) is None
    assert decode(token, KEY, claims.scope, claims.expires_at - timedelta(seconds=1)) is not None


@given(claims_strategy, st.binary(min_size=32, max_size=32).filter(lambda key: key != KEY))
def test_a_token_signed_with_another_key_is_refused(claims, other_key):
    assert decode(encode(claims, other_key), KEY, claims.scope, NOW) is None


@given(claims_strategy, st.integers(min_value=0), st.characters(codec="ascii"))
def test_any_altered_character_makes_the_token_worthless(claims, position, replacement):
    token = encode(claims, KEY)
    index = position % len(token)
    altered = token[:index] + replacement + token[index + 1 :]
    if altered != token:
        decoded = decode(altered, KEY, claims.scope, NOW)
        # base64url padding bits can absorb a change to the last character only.
        assert decoded is None or decoded == claims


def test_unsigned_and_other_algorithm_tokens_are_refused():
    payload = {
        "sub": str(UUID(int=1)),
        "epoch": 0,
        "scope": "web",
        "jti": "x",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    assert decode(jwt.encode(payload, None, algorithm="none"), KEY, Scope.WEB, NOW) is None
    assert decode(jwt.encode(payload, KEY * 2, algorithm="HS512"), KEY, Scope.WEB, NOW) is None


def test_a_token_missing_a_required_claim_is_refused():
    payload = {"sub": str(UUID(int=1)), "scope": "web", "jti": "x", "iat": 0, "exp": 2**40}
    assert decode(jwt.encode(payload, KEY, algorithm="HS256"), KEY, Scope.WEB, NOW) is None
