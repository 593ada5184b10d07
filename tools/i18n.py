"""Message catalogs: one for the core and one per feature package that has ``translations/``.

    python tools/i18n.py update    extract the strings, merge them into every catalog (en filled in)
    python tools/i18n.py compile   write the .mo files the app reads
    python tools/i18n.py check     list zh_CN messages that are missing, untranslated or fuzzy
    python tools/i18n.py fill DIR FILE.json   write zh_CN translations {msgid: text} into DIR's catalog

A feature package opts in by holding ``portal/<feature>/translations/``; its catalog covers its
Python code and ``portal/templates/<feature>/``. Everything else belongs to the core catalog in
``portal/translations/``. Separate catalogs let features be built side by side without conflicts.
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
LOCALES = ("zh_CN", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "_n": (1, 2), "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
PY = "python"
JINJA = "jinja2.ext:babel_extract"
JINJA_OPTS = {"extensions": "jinja2.ext.do"}


def feature_packages() -> list[str]:
    return sorted(p.parent.name for p in PORTAL.glob("*/translations") if p.is_dir()
                  and (p.parent / "__init__.py").exists())


def sources_by_catalog() -> dict[Path, list[tuple[Path, str]]]:
    features = feature_packages()
    out: dict[Path, list[tuple[Path, str]]] = {PORTAL / "translations": []}
    for name in features:
        out[PORTAL / name / "translations"] = []
    for path in sorted(PORTAL.rglob("*.py")):
        rel = path.relative_to(PORTAL)
        if rel.parts[0] == "migrations":
            continue
        owner = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in features else None
        out[PORTAL / owner / "translations" if owner else PORTAL / "translations"].append((path, PY))
    for path in sorted((PORTAL / "templates").rglob("*.html")):
        rel = path.relative_to(PORTAL / "templates")
        owner = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in features else None
        out[PORTAL / owner / "translations" if owner else PORTAL / "translations"].append((path, JINJA))
    return out


def extract(sources: list[tuple[Path, str]]) -> Catalog:
    template = Catalog(project="sales-portal", charset="utf-8", creation_date=datetime(2026, 1, 1))
    for path, method in sources:
        opts = JINJA_OPTS if method == JINJA else {}
        for lineno, message, comments, context in extract_from_file(
                method, str(path), keywords=KEYWORDS, options=opts, strip_comment_tags=True):
            template.add(message, None, [(str(path.relative_to(ROOT)), lineno)],
                         auto_comments=comments, context=context)
    return template


def _po_path(directory: Path, locale: str) -> Path:
    return directory / locale / "LC_MESSAGES" / "messages.po"


def _load(path: Path, locale: str) -> Catalog:
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=locale)
    return Catalog(locale=locale, project="sales-portal", charset="utf-8")


def update() -> None:
    for directory, sources in sources_by_catalog().items():
        template = extract(sources)
        for locale in LOCALES:
            path = _po_path(directory, locale)
            catalog = _load(path, locale)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            if locale == "en":  # English source strings are their own translation
                for msg in catalog:
                    if msg.id and not msg.string or (isinstance(msg.string, tuple) and not any(msg.string)):
                        msg.string = msg.id if isinstance(msg.id, str) else tuple(msg.id)
                    msg.flags.discard("fuzzy")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(fh, catalog, width=0, omit_header=False, sort_output=True)
        print(f"updated {directory.relative_to(ROOT)} ({len(template)} messages)")


def compile_all() -> None:
    for directory in sources_by_catalog():
        for locale in LOCALES:
            path = _po_path(directory, locale)
            if not path.exists():
                continue
            catalog = _load(path, locale)
            with path.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)


def conflicts() -> list[str]:
    """msgids translated differently in two catalogs: they merge into one domain at run time."""
    seen: dict[str, tuple[str, Path]] = {}
    out = []
    for directory in sources_by_catalog():
        catalog = _load(_po_path(directory, "zh_CN"), "zh_CN")
        for msg in catalog:
            if not msg.id or not isinstance(msg.id, str) or not msg.string or msg.context:
                continue
            if msg.id in seen and seen[msg.id][0] != msg.string:
                other = seen[msg.id][1].relative_to(ROOT)
                out.append(f"conflict: {msg.id!r} is {seen[msg.id][0]!r} in {other} but {msg.string!r} in "
                           f"{directory.relative_to(ROOT)}")
            seen.setdefault(msg.id, (msg.string, directory))
    return out


def problems() -> list[str]:
    """zh_CN messages used in the code that have no finished translation."""
    out = []
    for directory, sources in sources_by_catalog().items():
        template = extract(sources)
        catalog = _load(_po_path(directory, "zh_CN"), "zh_CN")
        for msg in template:
            if not msg.id:
                continue
            have = catalog.get(msg.id, context=msg.context)
            where = ", ".join(f"{f}:{n}" for f, n in msg.locations[:1])
            if have is None:
                out.append(f"missing: {msg.id!r} ({where})")
            elif have.fuzzy:
                out.append(f"fuzzy: {msg.id!r} ({where})")
            elif not have.string or (isinstance(have.string, tuple) and not all(have.string)):
                out.append(f"untranslated: {msg.id!r} ({where})")
    return out


def fill(directory: Path, translations: dict[str, str]) -> int:
    """Write zh_CN translations (msgid -> text) into a catalog; returns how many were set."""
    path = _po_path(directory, "zh_CN")
    catalog = _load(path, "zh_CN")
    n = 0
    for msg in catalog:
        if msg.id and isinstance(msg.id, str) and msg.id in translations:
            msg.string = translations[msg.id]
            msg.flags.discard("fuzzy")
            n += 1
        elif msg.id and isinstance(msg.id, tuple) and msg.id[0] in translations:
            text = translations[msg.id[0]]
            msg.string = (text,) * max(1, len(msg.string) if isinstance(msg.string, tuple) else 1)
            msg.flags.discard("fuzzy")
            n += 1
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True)
    return n


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems() + conflicts()
        print("\n".join(found) or "zh_CN complete")
        sys.exit(1 if found else 0)
    elif command == "fill":  # python tools/i18n.py fill portal/<feature>/translations file.json
        import json

        count = fill(ROOT / sys.argv[2], json.loads(Path(sys.argv[3]).read_text(encoding="utf-8")))
        print(f"{count} translations written")
    else:
        sys.exit(__doc__)
