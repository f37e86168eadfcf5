"""Language justice: every catalog complete, no fuzzy guesses, placeholders intact."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["es", "pt_BR", "ht", "zh_Hans", "ar"]
# Django's own strings in Haitian Creole (Django ships none): core, auth and the admin
# (django.po), and the admin's JavaScript (djangojs.po, served by its jsi18n view).
CATALOGS = [ROOT / "locale" / code / "LC_MESSAGES" / "django.po" for code in LOCALES] + [
    ROOT / "waltham_aid" / "django_locale" / "ht" / "LC_MESSAGES" / domain
    for domain in ("django.po", "djangojs.po")
]
PLURAL_FORMS = {"es": 3, "pt_BR": 2, "ht": 2, "zh_Hans": 1, "ar": 6}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}")


def catalog_id(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalog = polib.pofile(str(path))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalog.translated_entries()) > 0


def placeholders(text):
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("path", CATALOGS, ids=catalog_id)
def test_translations_keep_every_placeholder(path):
    mismatches = []
    for entry in polib.pofile(str(path)).translated_entries():
        if not entry.msgid_plural:
            if placeholders(entry.msgid) != placeholders(entry.msgstr):
                mismatches.append((entry.msgid, entry.msgstr))
            continue
        allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
        positional = {p for p in allowed if not p.startswith(("%(", "{"))}
        for text in entry.msgstr_plural.values():
            found = placeholders(text)
            missing = allowed - found
            # A plural form may leave out its named count ("one day", "يومان"); positional
            # placeholders never, or Python's % raises.
            if not found <= allowed or positional & missing or len(missing) > 1:
                mismatches.append((entry.msgid, text))
    assert mismatches == []


@pytest.mark.parametrize("code", LOCALES)
def test_plural_forms_header_is_real_for_each_language(code):
    catalog = polib.pofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "django.po"))
    header = catalog.metadata["Plural-Forms"]
    assert f"nplurals={PLURAL_FORMS[code]};" in header
    assert "INTEGER" not in header
    assert "EXPRESSION" not in header
    for entry in catalog.translated_entries():
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == PLURAL_FORMS[code], entry.msgid


def test_all_catalogs_hold_the_same_strings():
    ids = {
        code: {
            (e.msgctxt, e.msgid)
            for e in polib.pofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "django.po"))
            if not e.obsolete
        }
        for code in LOCALES
    }
    for code in LOCALES:
        assert ids[code] == ids["es"], code


def test_catalogs_hold_every_string_in_the_code(tmp_path):
    """Run makemessages on a copy of the project: it must find nothing new, so no string
    a person sees was added without being extracted (and so translated)."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "node_modules", "staticfiles", "__pycache__", "*.mo", "db.sqlite3"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "es",
            "--no-obsolete",
            "--ignore=tests",
            "--ignore=staticfiles",
            "--add-location=file",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "waltham_aid.settings",
        },
    )
    before = {
        (e.msgctxt, e.msgid)
        for e in polib.pofile(str(ROOT / "locale/es/LC_MESSAGES/django.po"))
        if not e.obsolete
    }
    after = {
        (e.msgctxt, e.msgid)
        for e in polib.pofile(str(copy / "locale/es/LC_MESSAGES/django.po"))
        if not e.obsolete
    }
    assert sorted(after - before, key=str) == [], (
        "run `make makemessages` and translate the new strings"
    )
    assert sorted(before - after, key=str) == [], (
        "run `make makemessages` to drop strings no longer used"
    )
