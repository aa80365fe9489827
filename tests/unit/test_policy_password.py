"""The stack tier's passwords always meet the user pool's policy, whatever the random tail."""

import re

from tests.support.passwords import policy_password


def test_every_password_has_upper_lower_and_a_digit_and_is_long_enough() -> None:
    for _ in range(2_000):
        password = policy_password("Stack")
        assert len(password) >= 10
        assert re.search(r"[A-Z]", password)
        assert re.search(r"[a-z]", password)
        assert re.search(r"[0-9]", password)


def test_passwords_are_unique() -> None:
    assert len({policy_password("Stack") for _ in range(500)}) == 500
