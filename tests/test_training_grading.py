"""Grading each question type, worked by hand, and the quiz grade by each method."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from portal.training import gift, grading


def q(source):
    parsed = gift.parse_question(source)
    return parsed["qtype"], parsed


SINGLE = q("Pick {=right #yes ~%50%half #close ~wrong #no ~%-100%bad}")
MULTI = q("Pick all {~%50%A ~%50%B ~%-100%C ~D}")
THIRDS = q("Three {~%33.33333%A ~%33.33333%B ~%33.33334%C ~%-100%D}")
TF = q("Sky is blue {T#Look up.#Yes.}")
SHORT = q("Say it {=Price =%50%cost* #partly}")
NUM_TOL = q("Pi {#3.14:0.01}")
NUM_MULTI = q("Born {# =1822:0 #exact =%50%1822:2 #close}")
NUM_RANGE = q("One to five {#1..5}")
MATCH = q("Match {=cat -> cat food =dog -> dog food =bird -> seeds}")
ESSAY = q("Tell {}")


@pytest.mark.parametrize("question,response,expected", [
    (SINGLE, {"choice": 0}, "1"),
    (SINGLE, {"choice": 1}, "0.5"),
    (SINGLE, {"choice": 2}, "0"),
    (SINGLE, {"choice": 3}, "0"),            # -100% is floored at 0 for the question
    (SINGLE, {"choice": 9}, "0"),            # an index that is not there
    (SINGLE, {}, "0"),
    (MULTI, {"choices": [0, 1]}, "1"),
    (MULTI, {"choices": [0]}, "0.5"),
    (MULTI, {"choices": [0, 1, 3]}, "1"),    # D weighs 0
    (MULTI, {"choices": [0, 2]}, "0"),       # 50 − 100 = −50 → 0
    (MULTI, {"choices": [0, 1, 2]}, "0"),    # 100 − 100 = 0
    (MULTI, {"choices": [0, 0, 0]}, "0.5"),  # a choice counts once
    (THIRDS, {"choices": [0, 1, 2]}, "1"),   # 33.33333 + 33.33333 + 33.33334 = 100 exactly
    (THIRDS, {"choices": [0, 1]}, "0.6666666"),
    (TF, {"value": "true"}, "1"),
    (TF, {"value": "false"}, "0"),
    (TF, {"value": "maybe"}, "0"),
    (SHORT, {"text": "price"}, "1"),         # case-insensitive by default
    (SHORT, {"text": "  Price "}, "1"),
    (SHORT, {"text": "costs a lot"}, "0.5"),  # wildcard
    (SHORT, {"text": "the cost"}, "0"),      # * only where written
    (SHORT, {"text": "Ｐｒｉｃｅ"}, "1"),     # full-width letters
    (NUM_TOL, {"text": "3.15"}, "1"),
    (NUM_TOL, {"text": "3.151"}, "0"),
    (NUM_TOL, {"text": "３.１４"}, "1"),
    (NUM_TOL, {"text": "pi"}, "0"),
    (NUM_MULTI, {"text": "1822"}, "1"),
    (NUM_MULTI, {"text": "1824"}, "0.5"),
    (NUM_MULTI, {"text": "1825"}, "0"),
    (NUM_RANGE, {"text": "5"}, "1"),
    (NUM_RANGE, {"text": "0.999"}, "0"),
    (MATCH, {"pairs": {"0": "cat food", "1": "dog food", "2": "seeds"}}, "1"),
    (MATCH, {"pairs": {"0": "cat food", "1": "seeds", "2": "dog food"}}, "0.3333333333333333333333333333"),
    (MATCH, {"pairs": {}}, "0"),
])
def test_grades(question, response, expected):
    qtype, data = question
    assert grading.grade(qtype, data, response) == D(expected)


def test_case_sensitive_short_answer():
    qtype, data = SHORT
    assert grading.grade(qtype, data, {"text": "price"}, case_sensitive=True) == 0
    assert grading.grade(qtype, data, {"text": "Price"}, case_sensitive=True) == 1


def test_essay_waits_for_the_director():
    assert grading.grade(*ESSAY, {"text": "My answer"}) is None


@pytest.mark.parametrize("fraction,max_mark,expected", [
    ("0.6666666", "1.00", "0.67"), ("0.3333333333333333333333333333", "3.00", "1.00"),
    ("0.5", "2.50", "1.25"), ("0.125", "1.00", "0.13"),  # half-up
])
def test_marks_are_rounded_half_up_to_cents(fraction, max_mark, expected):
    assert grading.mark_for(D(fraction), D(max_mark)) == D(expected)


def test_feedback_for_the_rep_answers():
    assert grading.answer_feedback(*SINGLE, {"choice": 1}) == ["close"]
    assert grading.answer_feedback(*TF, {"value": "false"}) == ["Look up."]
    assert grading.answer_feedback(*TF, {"value": "true"}) == ["Yes."]
    assert grading.answer_feedback(*NUM_MULTI, {"text": "1823"}) == ["close"]


@pytest.mark.parametrize("method,expected", [("highest", "80.00"), ("last", "55.50"), ("first", "40.00"),
                                             ("average", "58.50")])
def test_quiz_grade_methods(method, expected):
    # (40 + 80 + 55.5) / 3 = 58.5
    assert grading.quiz_grade([D("40.00"), D("80.00"), D("55.50")], method) == D(expected)


def test_average_is_exact_to_two_places():
    # (33.33 + 33.33 + 33.34) / 3 = 33.3333… → 33.33; (0.01 + 0.02) / 2 = 0.015 → 0.02 (half-up)
    assert grading.quiz_grade([D("33.33"), D("33.33"), D("33.34")], "average") == D("33.33")
    assert grading.quiz_grade([D("0.01"), D("0.02")], "average") == D("0.02")
    assert grading.quiz_grade([], "highest") is None
