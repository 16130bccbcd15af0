"""The one rule for text the product accepts (lending.circulation.text), without a database."""

from __future__ import annotations

import pytest

from lending.circulation.text import text_problem


@pytest.mark.parametrize(
    "value", ["", "Main branch", "Sucursal Peñón", "名前", "emoji 📶", "a\ufffdb", "x" * 200]
)
def test_ordinary_text_is_accepted_on_one_line_and_on_many(value):
    assert text_problem(value, max_chars=200, multi_line=False) is None
    assert text_problem(value, max_chars=200) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a\x00b", "must not contain NUL characters"),
        ("a\x1bb", "must not contain control characters"),
        ("a\x07", "must not contain control characters"),
        ("a\x7f", "must not contain control characters"),
        ("a\x85b", "must not contain control characters"),
        ("a\ud800b", "must not contain unpaired surrogate characters"),
        ("a\udfff", "must not contain unpaired surrogate characters"),
    ],
)
def test_nul_controls_and_lone_surrogates_are_refused_everywhere(value, problem):
    assert text_problem(value).startswith(problem)
    assert text_problem(value, multi_line=False).startswith(problem)


def test_line_breaks_and_tabs_are_text_in_multi_line_fields_and_at_the_ends_of_one_line():
    assert text_problem("one\r\n\ttwo") is None
    assert text_problem("one\ntwo", multi_line=False) == (
        "must not contain control characters (such as tabs or line breaks)"
    )
    assert text_problem("DEV001\r\n", multi_line=False) is None  # a scanner's line end
    assert text_problem("\tDEV001\t", multi_line=False) is None


def test_a_value_past_its_limit_says_the_limit():
    assert text_problem("x" * 65, max_chars=64) == "Use at most 64 characters."
    assert text_problem("x" * 64, max_chars=64) is None
