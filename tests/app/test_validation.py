"""Field rules shared by forms, the API and the command line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.passwords import password_problem
from app.validation import cqc_provider_id_problem, email_problem


@pytest.mark.parametrize("value", ["1-101234567", "1-1012345678", "1-10123456789"])
def test_cqc_provider_ids_in_cqc_format_are_accepted(value):
    assert cqc_provider_id_problem(value) is None


@pytest.mark.parametrize(
    "value", ["101234567", "1-1234", "2-101234567", "1-10123456A", "1 101234567"]
)
def test_cqc_provider_ids_in_another_format_are_refused(value):
    assert "correct format" in cqc_provider_id_problem(value)


@given(st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True))
def test_ordinary_email_addresses_are_accepted(email):
    assert email_problem(email) is None


@pytest.mark.parametrize("value", ["name", "name@", "@example.com", "a b@example.com", "a@b"])
def test_malformed_email_addresses_are_refused(value):
    assert "correct format" in email_problem(value)


@given(st.text(min_size=8, max_size=200))
def test_any_long_enough_uncommon_password_is_accepted(password):
    problem = password_problem(password)
    assert problem is None or problem.startswith("This password is too common")


@pytest.mark.parametrize("password", ["password", "Password1", "qwertyuiop", "iloveyou1"])
def test_common_passwords_are_refused(password):
    assert password_problem(password) == "This password is too common. Choose a different password"


def test_long_passphrases_are_welcome_and_short_passwords_are_not():
    assert password_problem("correct horse battery staple " * 10) is None
    assert password_problem("seven77") == "Password must be 8 characters or more"
    assert password_problem("") == "Enter a password"
