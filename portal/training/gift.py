"""GIFT, Moodle's plain-text quiz format: a parser that reports bad questions by line, and an exporter.

A question is a dict (the same shape ``Question.data`` keeps), so an import stores what it parsed and
an export writes what is stored:

    {"qtype": "single" | "multi" | "truefalse" | "short" | "numerical" | "matching" | "essay",
     "title": str, "text": str, "category": str | None, "general_feedback": str,
     "answers": [{"text", "fraction", "feedback"}]             # single, multi, short
              | [{"kind": "tolerance", "value", "tolerance", "fraction", "feedback"}
                 | {"kind": "range", "min", "max", "fraction", "feedback"}]   # numerical
     "pairs": [{"q", "a"}],                                    # matching
     "correct": bool, "feedback_right": str, "feedback_wrong": str}   # truefalse

Fractions and numbers are kept as canonical decimal strings ("50", "-33.33333", "3.14"), never floats.
The format: blank lines separate questions; ``//`` starts a comment line; ``$CATEGORY:`` sets the
category of the questions that follow; ``::title::``; an optional ``[markdown]``-style format; the
answers in ``{…}``; ``\\`` escapes ``~ = # { } :`` and ``\\n`` is a line break.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

QTYPES = ("single", "multi", "truefalse", "short", "numerical", "matching", "essay")
SPECIAL = "~=#{}:"
FORMATS = ("[html]", "[moodle]", "[plain]", "[markdown]")
BLANK = "_____"


class GiftError(ValueError):
    """One question that cannot be read; ``line`` is where it starts in the file (1-based)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class ParseResult:
    questions: list[dict] = field(default_factory=list)
    errors: list[GiftError] = field(default_factory=list)


# Numbers -----------------------------------------------------------------------------------------

def canonical(value) -> str:
    """A decimal as plain text without exponent or trailing zeros: 10, 0.5, -33.33333."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise GiftError(f"not a number: {value!r}") from exc
    if not number.is_finite():
        raise GiftError(f"not a number: {value!r}")
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


# Escapes -----------------------------------------------------------------------------------------

def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def escape(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch in SPECIAL:
            out.append("\\" + ch)
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    # "->" separates matching pairs: written as "-\>" inside any text.
    return "".join(out).replace("->", "-\\>")


def _find(text: str, target: str, start: int = 0) -> int:
    """Index of the first unescaped ``target`` at or after ``start``, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(target, i):
            return i
        i += 1
    return -1


def _split_markers(text: str, markers: str) -> list[tuple[str, str]]:
    """Split at unescaped marker characters: [(marker, chunk)], the first marker being ''."""
    parts, current, marker, i = [], [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch in markers:
            parts.append((marker, "".join(current)))
            current, marker = [], ch
        else:
            current.append(ch)
        i += 1
    parts.append((marker, "".join(current)))
    return parts


# Parsing -----------------------------------------------------------------------------------------

def _blocks(source: str):
    """Yield (first line number, text) of each question block: blank lines end a block."""
    lines, start = [], 0
    for number, raw in enumerate(source.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if lines:
                yield start, "\n".join(lines)
            lines = []
            continue
        if not lines:
            start = number
        lines.append(raw.rstrip())
    if lines:
        yield start, "\n".join(lines)


_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")


def _weight(chunk: str, default: str) -> tuple[str, str]:
    m = _WEIGHT.match(chunk)
    if not m:
        return default, chunk
    fraction = canonical(m.group(1))
    if not Decimal(-100) <= Decimal(fraction) <= Decimal(100):
        raise GiftError(f"weight {fraction}% is outside -100%..100%")
    return fraction, chunk[m.end():]


def _answer_feedback(chunk: str) -> tuple[str, str]:
    at = _find(chunk, "#")
    if at < 0:
        return unescape(chunk).strip(), ""
    return unescape(chunk[:at]).strip(), unescape(chunk[at + 1:]).strip()


def _numeric_answer(chunk: str, fraction: str) -> dict:
    value, feedback = _answer_feedback(chunk)
    value = value.replace(" ", "")
    if not value:
        raise GiftError("a numerical answer has no number")
    if ".." in value:
        low, _, high = value.partition("..")
        low, high = canonical(low), canonical(high)
        if Decimal(low) > Decimal(high):
            raise GiftError(f"range {low}..{high} runs backwards")
        return {"kind": "range", "min": low, "max": high, "fraction": fraction, "feedback": feedback}
    number, _, tolerance = value.partition(":")
    tolerance = canonical(tolerance or "0")
    if Decimal(tolerance) < 0:
        raise GiftError("a tolerance cannot be negative")
    return {"kind": "tolerance", "value": canonical(number), "tolerance": tolerance, "fraction": fraction,
            "feedback": feedback}


def _parse_numerical(body: str) -> list[dict]:
    items = _split_markers(body, "=~")
    if items[0][1].strip() and len(items) > 1:
        raise GiftError("text before the first numerical answer")
    if len(items) == 1:
        return [_numeric_answer(items[0][1], "100")]
    answers = []
    for marker, chunk in items[1:]:
        fraction, chunk = _weight(chunk, "100" if marker == "=" else "0")
        answers.append(_numeric_answer(chunk, fraction))
    return answers


_TF = re.compile(r"^(T|F|TRUE|FALSE)$", re.IGNORECASE)


def _parse_answers(body: str, q: dict) -> None:
    """Fill in the type and answers of ``q`` from the text inside the braces."""
    gf_at = _find(body, "####")
    if gf_at >= 0:
        q["general_feedback"] = unescape(body[gf_at + 4:]).strip()
        body = body[:gf_at]
    stripped = body.strip()
    if not stripped:
        q["qtype"] = "essay"
        return
    if stripped.startswith("#"):
        q["qtype"] = "numerical"
        q["answers"] = _parse_numerical(stripped[1:])
        return
    parts = _split_markers(stripped, "#")
    head = parts[0][1].strip()
    if _TF.match(head):
        q["qtype"] = "truefalse"
        q["correct"] = head.upper().startswith("T")
        # {T#shown when wrong#shown when right}
        q["feedback_wrong"] = unescape(parts[1][1]).strip() if len(parts) > 1 else ""
        q["feedback_right"] = unescape(parts[2][1]).strip() if len(parts) > 2 else ""
        if len(parts) > 3:
            raise GiftError("a true/false question takes at most two feedbacks")
        return
    items = _split_markers(stripped, "=~")
    if items[0][1].strip():
        raise GiftError("answers must start with = or ~")
    items = items[1:]
    if not items:
        raise GiftError("no answers inside { }")
    if all(m == "=" for m, _ in items) and any(_find(c, "->") >= 0 for _, c in items):
        pairs = []
        for _, chunk in items:
            at = _find(chunk, "->")
            if at < 0:
                raise GiftError("every matching answer needs ->")
            pairs.append({"q": unescape(chunk[:at]).strip(), "a": unescape(chunk[at + 2:]).strip()})
        if sum(1 for p in pairs if p["q"]) < 2:
            raise GiftError("a matching question needs at least two pairs")
        if any(not p["a"] for p in pairs):
            raise GiftError("a matching pair has no answer")
        q["qtype"], q["pairs"] = "matching", pairs
        return
    answers = []
    for marker, chunk in items:
        fraction, chunk = _weight(chunk, "100" if marker == "=" else "0")
        text, feedback = _answer_feedback(chunk)
        if not text:
            raise GiftError("an answer is empty")
        answers.append({"text": text, "fraction": fraction, "feedback": feedback, "_marker": marker})
    has_wrong = any(a["_marker"] == "~" for a in answers)
    has_right = any(a["_marker"] == "=" for a in answers)
    for a in answers:
        del a["_marker"]
    if not has_wrong:
        q["qtype"] = "short"
    elif has_right:
        q["qtype"] = "single"
        if len(answers) < 2:
            raise GiftError("a choice question needs at least two answers")
    else:
        q["qtype"] = "multi"  # only ~ answers: several may be right, by weight
        if not any(Decimal(a["fraction"]) > 0 for a in answers):
            raise GiftError("no answer carries a positive weight")
    if q["qtype"] == "short" and not any(Decimal(a["fraction"]) > 0 for a in answers):
        raise GiftError("no accepted answer carries a positive weight")
    q["answers"] = answers


def parse_question(text: str, category: str | None = None) -> dict:
    """One question's GIFT text to its dict; raises GiftError."""
    q = {"qtype": "", "title": "", "text": "", "category": category, "general_feedback": ""}
    rest = text.strip()
    if rest.startswith("::"):
        end = _find(rest, "::", 2)
        if end < 0:
            raise GiftError("the title has no closing ::")
        q["title"] = unescape(rest[2:end]).strip()
        rest = rest[end + 2:].lstrip()
    for fmt in FORMATS:
        if rest.lower().startswith(fmt):
            rest = rest[len(fmt):].lstrip()
            break
    opening = _find(rest, "{")
    if opening < 0:
        raise GiftError("no answers: a question needs { … }")
    closing = _find(rest, "}", opening + 1)
    if closing < 0:
        raise GiftError("the answers have no closing }")
    if _find(rest, "{", closing + 1) >= 0 or _find(rest, "}", closing + 1) >= 0:
        raise GiftError("more than one { … } in a question")
    before, after = rest[:opening], rest[closing + 1:]
    if _find(before, "}") >= 0:
        raise GiftError("a } without its {")
    _parse_answers(rest[opening + 1:closing], q)
    before_text, after_text = unescape(before).strip(), unescape(after).strip()
    if after_text:  # a missing-word question: the answers stand in a gap in the sentence
        if q["qtype"] not in ("single", "short", "truefalse"):
            raise GiftError("only choice, short-answer and true/false answers can fill a gap")
        q["text"] = f"{before_text} {BLANK} {after_text}".strip()
    else:
        q["text"] = before_text
    if not q["text"]:
        raise GiftError("the question has no text")
    if not q["title"]:
        q["title"] = ""
    return q


def _category_name(line: str) -> str:
    name = line.split(":", 1)[1].strip()
    for prefix in ("$course$/", "$system$/", "$module$/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.startswith("top/"):
        name = name[4:]
    return "" if name == "top" else name


def parse(source: str) -> ParseResult:
    """Every question of a GIFT file; the bad ones are reported with their line and the rest kept."""
    result = ParseResult()
    category = None
    if source.startswith("\ufeff"):
        source = source[1:]
    for line, block in _blocks(source):
        if block.lstrip().startswith("$CATEGORY:"):
            first, _, block = block.lstrip().partition("\n")
            category = _category_name(first) or None
            if not block.strip():
                continue
            line += 1
        try:
            q = parse_question(block, category)
        except GiftError as err:
            err.line = line
            result.errors.append(err)
            continue
        q["line"] = line
        result.questions.append(q)
    return result


# Export ------------------------------------------------------------------------------------------

def _fb(feedback: str) -> str:
    return f" #{escape(feedback)}" if feedback else ""


def _weight_text(fraction: str, marker: str) -> str:
    default = "100" if marker == "=" else "0"
    return "" if canonical(fraction) == default else f"%{canonical(fraction)}%"


def _choice_line(a: dict, marker: str) -> str:
    text = escape(a["text"])
    if text.startswith("%"):
        text = "\\" + text  # not a weight
    return f"  {marker}{_weight_text(a['fraction'], marker)}{text}{_fb(a.get('feedback', ''))}"


def export_question(q: dict) -> str:
    head = f"::{escape(q['title'])}::" if q.get("title") else ""
    text = escape(q["text"])
    if text.startswith(("[", "$", "/")) or (not head and text.startswith(":")):
        text = "\\" + text  # keep a leading [ $ / : from reading as a format, category or comment
    kind = q["qtype"]
    if kind == "essay":
        body = ""
    elif kind == "truefalse":
        body = "TRUE" if q["correct"] else "FALSE"
        if q.get("feedback_wrong") or q.get("feedback_right"):
            body += f"#{escape(q.get('feedback_wrong', ''))}"
            if q.get("feedback_right"):
                body += f"#{escape(q['feedback_right'])}"
    elif kind == "matching":
        body = "\n" + "\n".join(f"  ={escape(p['q'])} -> {escape(p['a'])}" for p in q["pairs"]) + "\n"
    elif kind == "numerical":
        parts = []
        for a in q["answers"]:
            number = f"{a['min']}..{a['max']}" if a["kind"] == "range" else f"{a['value']}:{a['tolerance']}"
            parts.append(f"  ={_weight_text(a['fraction'], '=')}{number}{_fb(a.get('feedback', ''))}")
        body = "#\n" + "\n".join(parts) + "\n"
    else:
        lines = []
        for a in q["answers"]:
            if kind == "short":
                marker = "="
            elif kind == "single":
                marker = "=" if canonical(a["fraction"]) == "100" else "~"
            else:
                marker = "~"
            lines.append(_choice_line(a, marker))
        if kind == "single" and not any(canonical(a["fraction"]) == "100" for a in q["answers"]):
            # Without a 100% answer the block would read as multiple answers: mark the best one.
            best = max(range(len(q["answers"])), key=lambda i: Decimal(q["answers"][i]["fraction"]))
            lines[best] = _choice_line(q["answers"][best], "=")
        if kind == "single" and all(canonical(a["fraction"]) == "100" for a in q["answers"]):
            # Every answer right: without one ~ the block would read as a short answer.
            lines[-1] = _choice_line(q["answers"][-1], "~")
        body = "\n" + "\n".join(lines) + "\n"
    if q.get("general_feedback"):
        body += f"####{escape(q['general_feedback'])}\n" if body.endswith("\n") else \
            f" ####{escape(q['general_feedback'])}"
    return f"{head}{text} {{{body}}}"


def export(questions: list[dict]) -> str:
    """A GIFT file of the questions, with a $CATEGORY: line whenever the category changes."""
    out, category = [], object()
    for q in questions:
        cat = q.get("category") or None
        if cat != category:
            out.append(f"$CATEGORY: $course$/top/{cat}" if cat else "$CATEGORY: $course$/top")
            out.append("")
            category = cat
        out.append(export_question(q))
        out.append("")
    return "\n".join(out)


def comparable(q: dict) -> dict:
    """A question without its position in a file, for comparing an import with what was exported."""
    return {k: v for k, v in q.items() if k != "line"}
