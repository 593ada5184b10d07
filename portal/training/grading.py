"""Grading one answer: a fraction in [0, 1] of the question's mark, exact in Decimal.

``response`` is what the attempt page saved for the question:
single {"choice": i}; multi {"choices": [i, …]}; truefalse {"value": "true"|"false"};
short {"text": …}; numerical {"text": …}; matching {"pairs": {"0": "answer text", …}}; essay {"text": …}.
Indexes are positions in the question's own answer list (the page shows them shuffled).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
CENT = Decimal("0.01")


def clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value))


def mark_for(fraction: Decimal | None, max_mark: Decimal) -> Decimal | None:
    if fraction is None:
        return None
    return (fraction * max_mark).quantize(CENT, rounding=ROUND_HALF_UP)


def _fraction(answer: dict) -> Decimal:
    return Decimal(str(answer["fraction"])) / HUNDRED


def _index(value, size: int) -> int | None:
    try:
        i = int(value)
    except (TypeError, ValueError):
        return None
    return i if 0 <= i < size else None


def wildcard_match(pattern: str, text: str, case_sensitive: bool) -> bool:
    """Moodle's short-answer rule: ``*`` stands for any run of characters; the rest is literal."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.fullmatch(regex, text, flags) is not None


def normalise_text(text: str) -> str:
    # Full-width letters and digits (typed on a Chinese keyboard) count as their ASCII twins.
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def parse_number(text: str) -> Decimal | None:
    text = normalise_text(text).replace(" ", "").replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def matched_answer(qtype: str, data: dict, response: dict | None, case_sensitive: bool = False) -> int | None:
    """The index of the answer a short or numerical response matched (best credit first), or None."""
    response = response or {}
    answers = data.get("answers", [])
    if qtype == "short":
        given = normalise_text(response.get("text", ""))
        if not given:
            return None
        for i, a in enumerate(answers):  # the first accepted answer that matches, as Moodle does
            if wildcard_match(normalise_text(a["text"]), given, case_sensitive):
                return i
        return None
    if qtype == "numerical":
        number = parse_number(response.get("text", ""))
        if number is None:
            return None
        best = None
        for i, a in enumerate(answers):
            if a["kind"] == "range":
                inside = Decimal(a["min"]) <= number <= Decimal(a["max"])
            else:
                inside = abs(number - Decimal(a["value"])) <= Decimal(a["tolerance"])
            if inside and (best is None or _fraction(a) > _fraction(answers[best])):
                best = i
        return best
    return None


def grade(qtype: str, data: dict, response: dict | None, case_sensitive: bool = False) -> Decimal | None:
    """The credit for a response, 0..1; None for an essay (the director grades it)."""
    response = response or {}
    answers = data.get("answers", [])
    if qtype == "essay":
        return None
    if qtype == "single":
        i = _index(response.get("choice"), len(answers))
        return ZERO if i is None else clamp(_fraction(answers[i]))
    if qtype == "multi":
        chosen = {_index(c, len(answers)) for c in response.get("choices", [])} - {None}
        return clamp(sum((_fraction(answers[i]) for i in chosen), ZERO))
    if qtype == "truefalse":
        value = response.get("value")
        if value not in ("true", "false"):
            return ZERO
        return ONE if (value == "true") == bool(data.get("correct")) else ZERO
    if qtype in ("short", "numerical"):
        i = matched_answer(qtype, data, response, case_sensitive)
        return ZERO if i is None else clamp(_fraction(answers[i]))
    if qtype == "matching":
        pairs = [p for p in data.get("pairs", []) if p["q"]]
        if not pairs:
            return ZERO
        given = response.get("pairs", {}) or {}
        right = sum(1 for i, p in enumerate(data.get("pairs", [])) if p["q"] and given.get(str(i)) == p["a"])
        return (Decimal(right) / Decimal(len(pairs)))
    return ZERO


def is_answered(qtype: str, response: dict | None) -> bool:
    if not response:
        return False
    if qtype == "single":
        return response.get("choice") not in (None, "")
    if qtype == "multi":
        return bool(response.get("choices"))
    if qtype == "truefalse":
        return response.get("value") in ("true", "false")
    if qtype == "matching":
        return any(response.get("pairs", {}).values())
    return bool((response.get("text") or "").strip())


def answer_feedback(qtype: str, data: dict, response: dict | None, case_sensitive: bool = False) -> list[str]:
    """The feedback the rep's own choices earned (shown at review when the quiz allows)."""
    response = response or {}
    answers = data.get("answers", [])
    out = []
    if qtype == "single":
        i = _index(response.get("choice"), len(answers))
        if i is not None and answers[i].get("feedback"):
            out.append(answers[i]["feedback"])
    elif qtype == "multi":
        for c in response.get("choices", []):
            i = _index(c, len(answers))
            if i is not None and answers[i].get("feedback"):
                out.append(answers[i]["feedback"])
    elif qtype == "truefalse":
        if response.get("value") in ("true", "false"):
            right = (response["value"] == "true") == bool(data.get("correct"))
            text = data.get("feedback_right" if right else "feedback_wrong")
            if text:
                out.append(text)
    elif qtype in ("short", "numerical"):
        i = matched_answer(qtype, data, response, case_sensitive)
        if i is not None and answers[i].get("feedback"):
            out.append(answers[i]["feedback"])
    return out


def response_key(qtype: str, data: dict, response: dict | None, case_sensitive: bool = False) -> str | None:
    """A label of what was answered, for "the most chosen wrong answer" in question statistics."""
    response = response or {}
    answers = data.get("answers", [])
    if qtype == "single":
        i = _index(response.get("choice"), len(answers))
        return None if i is None else answers[i]["text"]
    if qtype == "multi":
        chosen = sorted({_index(c, len(answers)) for c in response.get("choices", [])} - {None})
        return " + ".join(answers[i]["text"] for i in chosen) or None
    if qtype == "truefalse":
        return response.get("value")
    if qtype in ("short", "numerical"):
        return normalise_text(response.get("text", "")) or None
    if qtype == "matching":
        given = response.get("pairs", {}) or {}
        wrong = [f"{p['q']} → {given.get(str(i))}" for i, p in enumerate(data.get("pairs", []))
                 if p["q"] and given.get(str(i)) and given.get(str(i)) != p["a"]]
        return "; ".join(wrong) or None
    return None


def correct_summary(qtype: str, data: dict) -> list[str]:
    """The right answers in words, for the review page (only when the quiz allows it)."""
    answers = data.get("answers", [])
    if qtype in ("single", "multi", "short"):
        return [f"{a['text']} ({a['fraction']}%)" if a["fraction"] not in ("100",) else a["text"]
                for a in answers if Decimal(a["fraction"]) > 0]
    if qtype == "truefalse":
        return ["true" if data.get("correct") else "false"]
    if qtype == "numerical":
        return [(f"{a['min']}..{a['max']}" if a["kind"] == "range" else f"{a['value']} ± {a['tolerance']}")
                for a in answers if Decimal(a["fraction"]) > 0]
    if qtype == "matching":
        return [f"{p['q']} → {p['a']}" for p in data.get("pairs", []) if p["q"]]
    return []


def quiz_grade(scores: list[Decimal], method: str) -> Decimal | None:
    """The quiz grade from the finished attempts' scores, in attempt order."""
    scores = [s for s in scores if s is not None]
    if not scores:
        return None
    if method == "last":
        return scores[-1]
    if method == "first":
        return scores[0]
    if method == "average":
        return (sum(scores, ZERO) / len(scores)).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(scores)
