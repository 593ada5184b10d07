"""The GIFT parser against the format documentation's examples, malformed input, and export → import."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.training import gift

DOC_EXAMPLES = """// true/false
::Q1:: 1+1=2 {T}

// multiple choice with specified feedback for right and wrong answers
::Q2:: What's between orange and green in the spectrum?
{ =yellow # right; good! ~red # wrong, it's yellow ~blue # wrong, it's yellow }

// fill-in-the-blank
::Q3:: Two plus {=two =2} equals four.

// matching
::Q4:: Which animal eats which food? { =cat -> cat food =dog -> dog food }

// math range question
::Q5:: What is a number from 1 to 5? {#3:2}

// math range specified with interval end points
::Q6:: What is a number from 1 to 5? {#1..5}
// translated on import to the same as Q5, but unavailable from Moodle question interface

// multiple numeric answers with partial credit and feedback
::Q7:: When was Ulysses S. Grant born? {#
         =1822:0      # Correct! Full credit.
         =%50%1822:2  # He was born in 1822. Half credit for being close.
}

// essay
::Q8:: How are you? {}
"""


def test_documented_quick_examples():
    result = gift.parse(DOC_EXAMPLES)
    assert result.errors == []
    q = {x["title"]: x for x in result.questions}
    assert [x["title"] for x in result.questions] == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"]
    assert q["Q1"]["qtype"] == "truefalse" and q["Q1"]["correct"] is True and q["Q1"]["text"] == "1+1=2"
    assert q["Q2"]["qtype"] == "single"
    assert [(a["text"], a["fraction"], a["feedback"]) for a in q["Q2"]["answers"]] == [
        ("yellow", "100", "right; good!"), ("red", "0", "wrong, it's yellow"), ("blue", "0", "wrong, it's yellow")]
    assert q["Q3"]["qtype"] == "short" and q["Q3"]["text"] == "Two plus _____ equals four."
    assert [a["text"] for a in q["Q3"]["answers"]] == ["two", "2"]
    assert q["Q4"]["qtype"] == "matching"
    assert q["Q4"]["pairs"] == [{"q": "cat", "a": "cat food"}, {"q": "dog", "a": "dog food"}]
    assert q["Q5"]["answers"] == [
        {"kind": "tolerance", "value": "3", "tolerance": "2", "fraction": "100", "feedback": ""}]
    assert q["Q6"]["answers"] == [{"kind": "range", "min": "1", "max": "5", "fraction": "100", "feedback": ""}]
    assert [(a["value"], a["tolerance"], a["fraction"]) for a in q["Q7"]["answers"]] == [("1822", "0", "100"),
                                                                                         ("1822", "2", "50")]
    assert q["Q7"]["answers"][1]["feedback"] == "He was born in 1822. Half credit for being close."
    assert q["Q8"]["qtype"] == "essay"


def test_weights_feedback_general_feedback_and_multiple_answers():
    src = """What two people are entombed in Grant's tomb? {
   ~%-100%No one
   ~%50%Grant
   ~%50%Grant's wife
   ~%-100%Grant's father
}

Grant is buried in Grant's tomb. {FALSE#Wrong, the body is in a sarcophagus.#Yes.}

How are you? {
####We hope you're feeling well.
}"""
    a, b, c = gift.parse(src).questions
    assert a["qtype"] == "multi"
    assert [x["fraction"] for x in a["answers"]] == ["-100", "50", "50", "-100"]
    assert b["qtype"] == "truefalse" and b["correct"] is False
    assert b["feedback_wrong"] == "Wrong, the body is in a sarcophagus." and b["feedback_right"] == "Yes."
    assert c["qtype"] == "essay" and c["general_feedback"] == "We hope you're feeling well."


def test_escapes_comments_titles_formats_and_categories():
    src = """// a comment that is not a question
$CATEGORY: $course$/top/Maths

::Esc\\:aped::[markdown]Which is right\\? 1 + 2 \\= {=3 \\{three\\} #yes \\# indeed ~4 \\~ four}

$CATEGORY: Chinese 中文

::中文::顾问式销售的第一步是什么？ {=了解需求 ~报价}
"""
    first, second = gift.parse(src).questions
    assert first["title"] == "Esc:aped"
    assert first["text"] == "Which is right? 1 + 2 ="
    assert first["answers"][0] == {"text": "3 {three}", "fraction": "100", "feedback": "yes # indeed"}
    assert first["answers"][1]["text"] == "4 ~ four"
    assert first["category"] == "Maths"
    assert second["category"] == "Chinese 中文" and second["answers"][0]["text"] == "了解需求"


def test_malformed_questions_are_reported_by_line_and_the_rest_kept():
    src = "\n".join([
        "::Good:: 1+1=2 {T}",                  # 1
        "",                                      # 2
        "::Bad:: no closing brace {=a ~b",       # 3
        "",                                      # 4
        "// comment",                            # 5
        "Just a description with no answers.",   # 6
        "",                                      # 7
        "::Bad weight:: {~%150%a ~b}",           # 8
        "",                                      # 9
        "::Bad number:: {#abc}",                 # 10
        "",                                      # 11
        "::Also good:: Say x {=x =y}",           # 12
        "",
        "::Lonely match:: {=a -> 1}",            # 14
        "",
        "{=no text}",                            # 16
    ])
    result = gift.parse(src)
    assert [q["title"] for q in result.questions] == ["Good", "Also good"]
    assert [e.line for e in result.errors] == [3, 6, 8, 10, 14, 16]
    assert all(e.message for e in result.errors)


def test_only_weighted_wrong_answers_without_credit_is_an_error():
    result = gift.parse("Q {~%-50%a ~b}")
    assert result.questions == [] and result.errors[0].line == 1


def test_the_shipped_demo_bank_reads_completely():
    source = (Path(gift.__file__).parent / "demo" / "sales_basics.gift").read_text(encoding="utf-8")
    result = gift.parse(source)
    assert result.errors == []
    assert len(result.questions) == 30
    assert {q["qtype"] for q in result.questions} == set(gift.QTYPES)


# Round trip -------------------------------------------------------------------------------------

_alphabet = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"),
                          exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_text = st.text(alphabet=st.one_of(_alphabet, st.sampled_from("~=#{}:\\%-> 销售中文")), min_size=1, max_size=30) \
    .map(lambda s: " ".join(s.split())).filter(bool)
_feedback = st.one_of(st.just(""), _text)
_fraction = st.sampled_from(["100", "50", "33.33333", "25", "0", "-50", "-100", "10.5"])
_number = st.decimals(min_value=-10000, max_value=10000, places=3, allow_nan=False, allow_infinity=False) \
    .map(gift.canonical)


def _answers(fracs):
    return st.lists(st.fixed_dictionaries({"text": _text, "fraction": fracs, "feedback": _feedback}),
                    min_size=2, max_size=5)


def _base(qtype):
    return {"qtype": st.just(qtype), "title": _text, "text": _text, "category": st.one_of(st.none(), _text),
            "general_feedback": _feedback}


_single = st.fixed_dictionaries({**_base("single"), "answers": _answers(_fraction)}).filter(
    lambda q: any(a["fraction"] == "100" for a in q["answers"]))
_multi = st.fixed_dictionaries({**_base("multi"), "answers": _answers(_fraction)}).filter(
    lambda q: any(float(a["fraction"]) > 0 for a in q["answers"]))
_short = st.fixed_dictionaries({**_base("short"), "answers": _answers(st.sampled_from(["100", "50", "20"]))})
_tf = st.fixed_dictionaries({**_base("truefalse"), "correct": st.booleans(), "feedback_wrong": _feedback,
                             "feedback_right": _feedback})
_numeric_answer = st.one_of(
    st.fixed_dictionaries({"kind": st.just("tolerance"), "value": _number, "tolerance": _number.map(
        lambda n: n.lstrip("-")), "fraction": st.sampled_from(["100", "50"]), "feedback": _feedback}),
    st.tuples(_number, _number).map(lambda t: sorted(t, key=float)).flatmap(
        lambda t: st.fixed_dictionaries({"kind": st.just("range"), "min": st.just(t[0]), "max": st.just(t[1]),
                                         "fraction": st.sampled_from(["100", "50"]), "feedback": _feedback})))
_numerical = st.fixed_dictionaries({**_base("numerical"), "answers": st.lists(_numeric_answer, min_size=1, max_size=3)})
_matching = st.fixed_dictionaries({**_base("matching"), "pairs": st.lists(
    st.fixed_dictionaries({"q": _text, "a": _text}), min_size=2, max_size=4)})
_essay = st.fixed_dictionaries(_base("essay"))
QUESTION = st.one_of(_single, _multi, _short, _tf, _numerical, _matching, _essay)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(QUESTION, min_size=1, max_size=6))
def test_export_then_import_gives_the_same_questions(questions):
    text = gift.export(questions)
    result = gift.parse(text)
    assert result.errors == [], (text, [(e.line, e.message) for e in result.errors])
    assert [gift.comparable(q) for q in result.questions] == questions, text


@pytest.mark.parametrize("value", ["3", "3.10", "-0", "1E+2", "0.000"])
def test_canonical_numbers(value):
    assert gift.canonical(value) == {"3": "3", "3.10": "3.1", "-0": "0", "1E+2": "100", "0.000": "0"}[value]


def test_texts_that_look_like_syntax_survive_a_round_trip():
    q = {"qtype": "single", "title": "T", "text": "[html] $CATEGORY: // not a comment", "category": None,
         "general_feedback": "", "answers": [{"text": "%50% of it", "fraction": "100", "feedback": ""},
                                            {"text": "a -> b", "fraction": "0", "feedback": "x\ny"}]}
    short = {**q, "qtype": "short", "answers": [{"text": "x -> y", "fraction": "100", "feedback": ""}]}
    (back_short,) = gift.parse(gift.export([short])).questions
    assert gift.comparable(back_short) == short
    (back,) = gift.parse(gift.export([q])).questions
    assert gift.comparable(back) == q
