"""Discover the portal's pages and forms from ``app.url_map``, fill every text field with hostile input.

Used by ``test_injection_xss.py`` (test client), ``test_injection_sql.py`` (GET forms and query args) and
``browser/test_injection_journey.py`` (Chromium). Pages are opened with the ids of the sample records of
``tests/samples_<feature>.py`` (owned by world.rep_a in team A), as each role whose policy admits them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from conftest import sample_factories, sign_in
from injection_corpus import PROBE

from portal.authz import policy_for

# The people of the world who walk the portal, with their role.
WALKERS = (("rep_a", "rep"), ("director_a", "director"), ("gm", "gm"), ("admin", "admin"))

# Forms never sent: they sign out, switch the session's language or user, or need a real password.
SKIP_ACTIONS = re.compile(r"^/(login|logout|language)\b|/account/password|/reset-password|/delete$")
# GET pages that are files, not HTML.
DOWNLOAD = re.compile(r"\.(csv|xlsx|gift|pdf)$|/export\.|/receipt$|/files/\d+$")
FREE_TEXT = {"text", "search", "textarea", "email", "url", "tel", ""}


@dataclass
class Field:
    tag: str
    type: str
    name: str
    value: str = ""
    options: list = field(default_factory=list)  # (value, selected)
    checked: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    method: str
    action: str
    htmx: bool
    fields: list = field(default_factory=list)
    buttons: list = field(default_factory=list)  # (name, value)

    def text_fields(self):
        return [f for f in self.fields if f.tag == "textarea" or (f.tag == "input" and f.type in FREE_TEXT)]


class FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            hx = a.get("hx-post") or a.get("hx-get")
            method = "post" if a.get("hx-post") else ("get" if a.get("hx-get") else a.get("method", "get").lower())
            action = hx or a.get("action") or self.page_url
            self._form = Form(method, urljoin(self.page_url, action), bool(hx))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                self._form.buttons.append((a["name"], a.get("value", "")))
                return
            self._form.fields.append(Field("input", kind, a["name"], a.get("value", ""), checked="checked" in a,
                                           maxlength=int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None))
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self._form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field("textarea", "textarea", a["name"])
            self._form.fields.append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = Field("select", "multiple" if "multiple" in a else "select", a["name"])
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
            self._select.options.append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None

    def close(self):
        super().close()
        for form in self.forms:
            for f in form.fields:
                if f.tag == "select":
                    f.options = [(o[0] if o[0] is not None else o[2].strip(), o[1]) for o in f.options]
        return self.forms


def parse_forms(html: str, page_url: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.close()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Pages ---------------------------------------------------------------------------------------------

def get_pages(app, world) -> list[tuple[str, str, set]]:
    """(endpoint, url, roles admitted) for every GET route, url arguments from the sample factories."""
    from flask import url_for

    factories = sample_factories()
    values: dict = world.__dict__.setdefault("_injection_values", {})  # each sample record made once
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        for arg in sorted(rule.arguments):
            if arg not in values:
                maker = factories.get(arg)
                values[arg] = maker(world) if maker else (world.rep_a.id if arg == "user_id" else
                                                          world.team_a.id if arg == "team_id" else 1)
        with app.test_request_context():
            pol = policy_for(rule.endpoint)
            url = url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})
        if DOWNLOAD.search(url) or "fmt" in rule.arguments:
            continue
        roles = {"rep", "director", "gm", "admin"} if pol.public else set(pol.roles)
        pages.append((rule.endpoint, url, roles))
    return pages


def as_walker(client, world, who: str) -> None:
    client.delete_cookie("portal_session")
    sign_in(client, getattr(world, who))


def html_of(resp) -> str | None:
    if resp.status_code != 200 or not resp.mimetype.startswith("text/html"):
        resp.close()
        return None
    return resp.get_data(as_text=True)


# Filling forms -------------------------------------------------------------------------------------

class Rotation:
    """Hands out the corpus in turn, so every payload is used and every field gets one."""

    def __init__(self, payloads):
        self.payloads = list(payloads)
        self.n = 0

    def next(self) -> str:
        p = self.payloads[self.n % len(self.payloads)]
        self.n += 1
        return p


_tokens = iter(range(1, 10**9))

# Fields that take structured values (dates, amounts, codes…): they get a valid value on the second try.
STRUCTURED = re.compile(r"(_on|_at|date|until|_time|amount|percent|probability|quantity|price|minutes|days|limit|"
                        r"mark|weight|score|count|email|phone|url|username|password|secret|number|tax|code|"
                        r"period|period_key|rows|position|attempts|target|floor|weights)$|^(page|per_page)$|"
                        r"^(self|adjusted|weight|target|floor)_\d+$|-(base|sprint|challenge)$", re.IGNORECASE)


def plain_value(f: Field) -> str:
    """A valid value for a field that does not take free text."""
    name = f.name.lower()
    today = date.today()
    later = any(k in name for k in ("close", "end", "until", "due", "deadline"))
    day = today + timedelta(days=14) if later else today - timedelta(days=1)
    if f.type == "date" or name.endswith(("_on", "date", "until")):
        return f.value or day.isoformat()
    if f.type == "datetime-local" or name.endswith("_at"):
        return f.value or day.isoformat() + "T10:00"
    if f.type == "time" or name.endswith("_time"):
        return f.value or "10:00"
    if f.type == "month":
        return f.value or today.strftime("%Y-%m")
    if "email" in name:
        return "xss.tester@example.com"
    if "phone" in name:
        return "13800138000"
    if f.type == "url" or name.endswith("url"):
        return f.value or "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=injection"
    if name == "username":
        return f"xss_user_{next(_tokens)}"
    if "password" in name:
        return "Injected-Pass-Word-2026!"
    if "secret" in name:
        return ""
    if name == "weights":
        return f.value or ",".join(["1"] * 12)
    if f.type == "number" or STRUCTURED.search(name) and not name.endswith(("username", "number", "code")):
        return f.value if f.value not in ("", "0", "0.00") else "1"
    return f.value or f"t{next(_tokens)}"


def for_field(f: Field, payload: str) -> str:
    """The payload as the field needs it: a GIFT question carries it as its (escaped) text."""
    if f.name == "source":
        escaped = re.sub(r"([~=#{}:\\])", r"\\\1", payload)
        return f"{escaped} {{=right ~wrong}}"
    return payload


def form_data(form: Form, rotation: Rotation | None, choose_text=None) -> tuple[dict, dict]:
    """The values to send: text fields from the rotation (or ``choose_text``), others kept valid.

    Returns (data, {field name: payload}) for the fields given a payload."""
    data: dict[str, object] = {}
    used: dict[str, str] = {}
    for f in form.fields:
        if f.tag == "select":
            chosen = [v for v, sel in f.options if sel]
            if not chosen and f.type != "multiple":
                chosen = [v for v, _ in f.options if v not in ("", "0", None)][:1] or [v for v, _ in f.options][:1]
            if chosen:
                data[f.name] = chosen if f.type == "multiple" else chosen[0]
        elif f.type in ("checkbox", "radio"):
            group = [g for g in form.fields if g.name == f.name]
            if f.type == "checkbox" and len(group) > 1 and f is group[0] and not any(g.checked for g in group):
                data[f.name] = [f.value]  # a list of people to pick from: pick the first
            elif f.checked:
                data.setdefault(f.name, [])
                data[f.name].append(f.value or "y")
            elif f.type == "radio" and f.name not in data and not any(
                    g.name == f.name and g.checked for g in form.fields):
                data[f.name] = [f.value]
        elif f.type == "hidden":
            data[f.name] = f.value
        elif f.type == "file":
            continue
        elif f in form.text_fields() and f.type not in ("email", "url") and rotation is not None:
            payload = choose_text(f) if choose_text else rotation.next()
            if payload is None:
                data[f.name] = plain_value(f) if not f.value else f.value
                continue
            data[f.name] = for_field(f, payload)
            used[f.name] = payload
        else:
            data[f.name] = plain_value(f)
    if form.buttons:
        name, value = form.buttons[0]
        data[name] = value
    return data, used


def accepted(resp, htmx: bool) -> bool:
    if resp.status_code in (302, 303):
        return True
    if resp.status_code != 200:
        return False
    body = resp.get_data(as_text=True)
    return "is-invalid" not in body and "alert-danger" not in body if htmx else False


# Looking for payloads that escaped ---------------------------------------------------------------

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "base", "meta", "style", "svg", "math", "link",
                  "frame", "frameset", "applet", "template", "noscript", "xss", "details", "body"}
# Elements whose text is not plain page text (a probe inside one means markup got through).
TEXT_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "template", "noscript", "xss", "frame",
             "applet"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster"}


class EscapeFinder(HTMLParser):
    """Markers of payloads that became markup: on* attributes, javascript: URLs, scripts, htmx triggers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        json_block = tag == "script" and dict(attrs).get("type") == "application/json"
        if tag in TEXT_TAGS and not json_block:
            self._in.append(tag)
        elif json_block:
            self._in.append("json")

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        if PROBE.search(tag):
            self.found.append(f"element <{tag}>")
        for name, value in attrs:
            value = value or ""
            squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif PROBE.search(name):
                self.found.append(f"<{tag}> attribute named {name!r}")
            elif name in URL_ATTRS and squeezed.startswith(("javascript:", "vbscript:", "data:text")):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif (name.startswith(("hx-", "data-hx-")) or name in ("style", "srcdoc", "formaction")) \
                    and PROBE.search(value):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag in DANGEROUS_TAGS and any(PROBE.search(f"{n}={v}") for n, v in attrs):
            self.found.append(f"<{tag} {attrs!r}>")

    def handle_endtag(self, tag):
        if self._in and (self._in[-1] == tag or (tag == "script" and self._in[-1] == "json")):
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] != "json" and PROBE.search(data):
            self.found.append(f"<{self._in[-1]}> holds {data[:80]!r}")


def escaped_payloads(html: str) -> list[str]:
    finder = EscapeFinder()
    finder.feed(html)
    finder.close()
    return finder.found


class TextCollector(HTMLParser):
    """The page's text as a reader sees it (no scripts, styles or attributes), whitespace folded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    collector = TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())


# The whole fill: every POST form with free text, as each walker -------------------------------------

@dataclass
class FillReport:
    forms: int = 0
    forms_accepted: int = 0
    fields: int = 0
    fields_accepted: int = 0
    accepted: dict = field(default_factory=dict)  # payload -> [(action, field name)]
    refused: list = field(default_factory=list)  # (who, action, status)
    new_pages: set = field(default_factory=set)  # where successful posts redirected to
    server_errors: list = field(default_factory=list)
    field_names: set = field(default_factory=set)
    htmx_accepted: list = field(default_factory=list)  # actions of htmx forms (comments, replies, log) that took text
    # A refused form comes back with the user's input beside the errors: it must come back as text too.
    refusals_read: int = 0
    reflected: list = field(default_factory=list)  # (who, action, payloads that came back as markup)


def fill_every_form(app, client, world, payloads) -> FillReport:
    """Send every POST form the portal shows (with a free-text field) once per walker and action."""
    pages = get_pages(app, world)
    rotation = Rotation(payloads)
    report = FillReport()
    seen: set = set()
    takers: list = []  # (who, form, action) of the forms that were accepted
    for who, role in WALKERS:
        as_walker(client, world, who)
        for _endpoint, url, roles in pages:
            if role not in roles:
                continue
            html = html_of(client.get(url))
            if html is None:
                continue
            for form in parse_forms(html, "http://localhost" + url):
                action = path_of(form.action)
                if form.method != "post" or SKIP_ACTIONS.search(urlsplit(action).path) or not form.text_fields():
                    continue
                if (who, action) in seen:
                    continue
                seen.add((who, action))
                report.forms += 1
                ok, used = _send(client, form, action, rotation, report, who)
                if not ok:  # again, with payloads only in the free-text fields and valid values elsewhere
                    ok, used = _send(client, form, action, rotation, report, who, choose=_long_text_only(rotation))
                report.fields += len(form.text_fields())
                for name in {f.name for f in form.text_fields()}:
                    report.field_names.add((action, name))
                if ok:
                    takers.append((who, form, action))
                    if form.htmx:
                        report.htmx_accepted.append(action)
                    report.forms_accepted += 1
                    report.fields_accepted += len(used)
                    for name, payload in used.items():
                        report.accepted.setdefault(payload, []).append((action, name))

    # Payloads that only met refusing forms go once more through forms that took others.
    missing = Rotation([p for p in payloads if p not in report.accepted])
    for who, form, action in takers:
        if not missing.payloads:
            break
        as_walker(client, world, who)
        ok, used = _send(client, form, action, missing, report, who, choose=_long_text_only(missing))
        for name, payload in used.items() if ok else ():
            report.accepted.setdefault(payload, []).append((action, name))
            if payload in missing.payloads:
                missing.payloads.remove(payload)
    return report


def _long_text_only(rotation):
    return lambda f: None if STRUCTURED.search(f.name) else rotation.next()


def _send(client, form, action, rotation, report, who, choose=None):
    data, used = form_data(form, rotation, choose)
    headers = {"HX-Request": "true"} if form.htmx else {}
    resp = client.post(action, data=data, headers=headers)
    if resp.status_code >= 500:
        report.server_errors.append(f"{who} POST {action}: {resp.status_code} {sorted(used)}")
    ok = accepted(resp, form.htmx)
    if not ok and resp.status_code < 500:
        html = html_of(resp)
        if html is not None:
            report.refusals_read += 1
            found = escaped_payloads(html)
            if found:
                report.reflected.append((who, action, found))
    if not ok and choose is not None:
        body = resp.get_data(as_text=True)
        messages = re.findall(r'(?:invalid-feedback[^>]*|alert-danger[^>]*)>([^<]+)<', body)
        report.refused.append((who, action, resp.status_code, messages))
    if ok and resp.status_code in (302, 303):
        target = path_of(resp.headers["Location"])
        if not DOWNLOAD.search(target) and not target.startswith("/login"):
            report.new_pages.add((who, target))
    resp.close()
    return ok, used
