"""zh-hans is the default interface language, and no user reads English in it.

- Every string marked for translation has a Chinese one: makemessages runs over a copy of the package,
  exactly as the refresh command in docs/OPERATIONS.md does, and the test lists every msgid that is new
  (not yet in the committed .po), untranslated or fuzzy.
- The compiled catalog matches the .po, and its placeholders agree (msgfmt --check-format).
- Pages are Chinese by default and English on request or after the language switch.
- Text never marked for translation: every page of the access matrix is rendered in Chinese and any
  English word a user would read is listed.
Needs GNU gettext (Debian package `gettext`), which scripts/test installs.
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import importlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

import jiceng

PACKAGE_DIR = Path(jiceng.__file__).resolve().parent
MESSAGES_DIR = PACKAGE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = MESSAGES_DIR / "django.po"
MO_FILE = MESSAGES_DIR / "django.mo"

# The options of the documented refresh command (docs/OPERATIONS.md), run from inside the package.
# Tests are left out: strings that only tests use are not part of the interface.
MAKEMESSAGES_OPTIONS = {
    "locale": ["zh_Hans"],
    "ignore_patterns": ["tests"],
    "no_obsolete": True,
    "add_location": "file",
    "verbosity": 0,
}


@dataclass
class PoEntry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def translated(self) -> bool:
        return bool(self.msgstrs) and all(self.msgstrs) and "fuzzy" not in self.flags

    def label(self) -> str:
        return f"{self.msgctxt}|{self.msgid}" if self.msgctxt else self.msgid


def parse_po(text: str) -> list[PoEntry]:
    """The live (not obsolete) entries of a .po file, header excluded."""
    entries: list[PoEntry] = []
    for block in text.split("\n\n"):
        flags: set[str] = set()
        fields: dict[str, str] = {}
        current = None
        obsolete = False
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#~"):
                obsolete = True
            elif line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#") or not line:
                continue
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
            else:
                keyword, _, value = line.partition(" ")
                current = keyword
                fields[current] = ast.literal_eval(value.strip())
        if obsolete or "msgid" not in fields or fields["msgid"] == "":
            continue
        msgstrs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        entries.append(
            PoEntry(
                msgid=fields["msgid"],
                msgctxt=fields.get("msgctxt"),
                msgid_plural=fields.get("msgid_plural"),
                msgstrs=msgstrs,
                flags=flags,
            )
        )
    return entries


def require_gettext() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq", "msgfmt") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"GNU gettext is needed to check translations ({', '.join(missing)} missing): apt install gettext")


def test_parse_po_reads_flags_plurals_and_continuations():
    entries = parse_po(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#, fuzzy\nmsgid "a"\nmsgstr "甲"\n\n'
        'msgid ""\n"long "\n"one"\nmsgstr ""\n"长"\n"的"\n\n'
        'msgid "%(n)s item"\nmsgid_plural "%(n)s items"\nmsgstr[0] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "已删"\n'
    )
    assert [(e.msgid, e.msgstrs, e.translated) for e in entries] == [
        ("a", ["甲"], False),
        ("long one", ["长的"], True),
        ("%(n)s item", [""], False),
    ]


def test_every_string_has_a_chinese_translation(tmp_path, settings, monkeypatch):
    require_gettext()
    copy = tmp_path / "jiceng"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", **MAKEMESSAGES_OPTIONS)

    fresh = parse_po((copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    assert fresh, "makemessages found no strings at all; is the package copy empty?"
    committed = {e.label() for e in parse_po(PO_FILE.read_text(encoding="utf-8"))}
    new = sorted(e.label() for e in fresh if e.label() not in committed)
    untranslated = sorted(e.label() for e in fresh if e.label() in committed and not e.translated)
    problems = [f"new, not in django.po yet: {m!r}" for m in new] + [
        f"untranslated or fuzzy: {m!r}" for m in untranslated
    ]
    assert not problems, (
        f"{len(problems)} string(s) lack a zh-hans translation; refresh jiceng/locale as docs/OPERATIONS.md says:\n"
        + "\n".join(problems)
    )


def test_committed_catalog_is_compiled_and_consistent(tmp_path):
    """msgfmt --check-format catches a translation that drops or changes a %(placeholder)s; the .mo that
    Django loads must be the compilation of the .po (run `jiceng compilemessages` after editing)."""
    require_gettext()
    fresh_mo = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh_mo), str(PO_FILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert MO_FILE.exists(), "jiceng/locale/zh_Hans/LC_MESSAGES/django.mo is missing: run `jiceng compilemessages`"
    with fresh_mo.open("rb") as f1, MO_FILE.open("rb") as f2:
        expected = gettext_module.GNUTranslations(f1)._catalog  # type: ignore[attr-defined]
        actual = gettext_module.GNUTranslations(f2)._catalog  # type: ignore[attr-defined]
    stale = sorted(str(k) for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert not stale, f"django.mo is stale (run `jiceng compilemessages`); differing msgids: {stale[:20]}"


def test_catalog_is_loaded_for_chinese_and_english():
    with translation.override("zh-hans"):
        assert translation.gettext("Party building leads grassroots governance") == "党建引领基层治理"
        assert translation.gettext("Sign out") == "退出登录"
    with translation.override("en"):
        assert translation.gettext("Sign out") == "Sign out"


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request():
    default = Client().get("/accounts/login/")
    assert default.status_code == 200
    page = default.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page
    assert "党建引领基层治理" in page

    english = Client(headers={"accept-language": "en"}).get("/accounts/login/").content.decode()
    assert '<html lang="en">' in english
    assert "Party building leads grassroots governance" in english
    assert "党建引领基层治理" not in english


@pytest.mark.django_db
def test_language_switch_sticks():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Party building leads grassroots governance" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "党建引领基层治理" in client.get("/accounts/login/").content.decode()


# --- text that never went through gettext --------------------------------------------------------
# makemessages only sees marked strings. A template that says <th>Contacts</th> instead of
# {% translate "Contacts" %} would pass the test above and still show English. So render every page
# of the access matrix in Chinese and look for English words in what a user reads.

# Words that are the same in a Chinese interface: product and format names, protocol terms.
ALLOWED_WORDS = {
    "API", "Authorization", "Bearer", "English", "Excel", "GCJ", "GPS", "GeoJSON", "IP", "JSON", "Leaflet",
    "MultiPolygon", "PDF", "Polygon", "TOKEN", "TOTP", "UTC", "WGS", "WeChat", "xlsx", "xls",
}
ENGLISH_WORD = re.compile(r"^[A-Za-z][a-z]+[.,:;!?)…]*$|^[A-Z]{2,}[.,:;!?)…]*$")
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}


# Not interface text: scripts and styles; what the user typed (textarea); technical values shown as
# such (code, pre, kbd, samp), e.g. GeoJSON or an audit action name.
SKIPPED_ELEMENTS = {"script", "style", "textarea", "code", "pre", "kbd", "samp"}


class _ReadableText(HTMLParser):
    """The interface text a user reads: element text outside SKIPPED_ELEMENTS, plus placeholders,
    titles and aria-labels."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skip += 1
        self.chunks.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def english_words(html: str) -> list[str]:
    parser = _ReadableText()
    parser.feed(html)
    found = []
    for chunk in parser.chunks:
        for token in chunk.split():
            word = token.strip("()[]\"'“”‘’«»·•:,;")
            if ENGLISH_WORD.match(word) and word.rstrip(".,:;!?)…") not in ALLOWED_WORDS:
                found.append(word)
    return found


def test_english_words_finds_unwrapped_text_only():
    html = (
        '<title>辖区树 · 基层</title><script>var Loading = "x";</script>'
        '<p>Contacts</p><input placeholder="Search here"><td>p_community_a</td><td>access.out_of_scope</td>'
        "<td>350102001</td><a>导出 Excel</a><option>English</option><code>access.denied Other</code>"
        '<textarea>{"type": "Polygon"}</textarea>'
    )
    assert english_words(html) == ["Contacts", "Search", "here"]


def _access_cases():
    cases = []
    for path in sorted(PACKAGE_DIR.glob("*/tests/access_cases.py")):
        module = importlib.import_module(f"jiceng.{path.parent.parent.name}.tests.access_cases")
        cases.extend(module.CASES)
    return cases


@pytest.mark.django_db
def test_pages_show_no_untranslated_text(district, personas):
    pages = {}
    for case in _access_cases():
        if case.method.lower() == "get" and not case.route.startswith("api:") and case.allowed:
            pages.setdefault(case.url(district), case.allowed[0])
    assert pages, "no page found in the access matrix"
    problems = []
    for url, persona in sorted(pages.items()):
        client = Client()
        client.force_login(getattr(personas, persona))
        response = client.get(url, follow=True)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        words = english_words(response.content.decode())
        if words:
            problems.append(f"{url} (as {persona}): {' '.join(dict.fromkeys(words))}")
    assert not problems, "English text on Chinese pages (wrap it for translation, then translate it):\n" + "\n".join(
        problems
    )
