"""Guesses sent in parallel cannot slip past the sign-in limits."""

from __future__ import annotations

import asyncio

from app import accounts
from app.errors import Invalid, TooManyAttempts
from app.tables import SignInAttempt
from app.tokens import Scope
from tests.conftest import PASSWORD, provider_user


async def _attempt(platform, email: str, password: str, address: str) -> str:
    try:
        await accounts.sign_in(platform, {"email": email, "password": password}, address, Scope.API)
    except Invalid:
        return "refused"
    except TooManyAttempts:
        return "locked"
    return "signed in"


async def test_parallel_wrong_passwords_for_one_account_stop_at_the_account_limit(platform):
    user = await provider_user(platform)
    outcomes = await asyncio.gather(
        *(_attempt(platform, user.email, f"wrong guess {n}", f"10.0.0.{n}") for n in range(12))
    )
    limit = platform.settings.signin_limits.per_account
    assert outcomes.count("refused") <= limit
    assert outcomes.count("locked") >= 12 - limit
    # However the burst interleaved, exactly `limit` guesses are ever checked...
    checked = outcomes.count("refused")
    for _ in range(limit + 1):
        if await _attempt(platform, user.email, "another guess", "10.0.1.1") != "refused":
            break
        checked += 1
    assert checked == limit
    # ...and then the account is locked, even for the right password.
    assert await _attempt(platform, user.email, PASSWORD, "10.0.1.2") == "locked"


async def test_parallel_guesses_from_one_address_stop_at_the_address_limit(platform):
    outcomes = await asyncio.gather(
        *(_attempt(platform, f"nobody{n}@example.com", "a guess", "10.9.9.9") for n in range(30))
    )
    limit = platform.settings.signin_limits.per_address
    assert outcomes.count("refused") <= limit
    assert outcomes.count("locked") >= 30 - limit


async def test_refused_attempts_are_not_kept_so_hammering_does_not_extend_the_lock(platform):
    user = await provider_user(platform)
    for n in range(20):
        await _attempt(platform, user.email, f"wrong guess {n}", "10.0.0.1")
    assert await SignInAttempt.count().where(SignInAttempt.email == user.email) == 5


async def test_a_successful_sign_in_leaves_no_attempt_behind(platform):
    user = await provider_user(platform)
    assert await _attempt(platform, user.email, PASSWORD, "10.0.0.1") == "signed in"
    assert await SignInAttempt.count() == 0
