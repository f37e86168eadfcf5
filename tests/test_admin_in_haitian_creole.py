"""Coordinators can run the admin in Haitian Creole. Django ships no `ht` catalog, so the
admin's strings (django.po) and those of its JavaScript (djangojs.po: calendar, clock,
selection boxes, actions) live in waltham_aid/django_locale/ht, which LOCALE_PATHS lists
and `make messages` compiles."""

import json
import re
from pathlib import Path

import django
import polib
import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import make_user, sign_in

ROOT = Path(__file__).resolve().parent.parent
ADMIN_ENGLISH = Path(django.__file__).parent / "contrib" / "admin" / "locale" / "en" / "LC_MESSAGES"
CREOLE = ROOT / "waltham_aid" / "django_locale" / "ht" / "LC_MESSAGES"


def msgids(path):
    return {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(path))}


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_admin_string_has_a_creole_translation(domain):
    creole = msgids(CREOLE / f"{domain}.po")
    untranslated = []
    for key, english in msgids(ADMIN_ENGLISH / f"{domain}.po").items():
        ours = creole.get(key)
        if (
            ours is None
            or ours.obsolete
            or ours.fuzzy
            or not ours.translated()
            or ours.msgid_plural != english.msgid_plural
            or (english.msgid_plural and len(ours.msgstr_plural) != 2)
        ):
            untranslated.append(key)
    assert untranslated == []


def test_admin_strings_read_in_creole():
    with translation.override("ht"):
        assert translation.gettext("Select %s to change") == "Chwazi %s ou vle chanje a"
        assert translation.gettext("Recent actions") == "Dènye aksyon yo"
        assert translation.gettext("Save and add another") != "Save and add another"
        assert (
            translation.ngettext(
                "Please correct the error below.", "Please correct the errors below.", 2
            )
            == "Tanpri korije erè yo anba a."
        )


@pytest.fixture
def superuser_client(client, db):
    return sign_in(client, make_user("root", is_staff=True, is_superuser=True))


def test_a_superuser_sees_the_admin_index_in_creole(superuser_client):
    with translation.override("ht"):
        url = reverse("admin:index")
    assert url.startswith("/ht/")
    response = superuser_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ht"' in html
    assert "Dènye aksyon yo" in html  # Recent actions
    assert "Recent actions" not in html
    assert "Dekonekte" in html  # Log out


def the_javascript_catalog(source):
    """The `newcatalog` object that Django's JavaScriptCatalog writes into its script."""
    found = re.search(r"const newcatalog = (\{.*?\n  \});", source, re.DOTALL)
    assert found, "no catalog in the script"
    return json.loads(found.group(1))


def test_the_admin_javascript_speaks_creole(superuser_client):
    """The admin's pages load admin:jsi18n under the page's language prefix, and
    JavaScriptCatalog reads LOCALE_PATHS for the djangojs domain too."""
    with translation.override("ht"):
        add_page = reverse("admin:requests_app_request_add")
        jsi18n = reverse("admin:jsi18n")
    assert jsi18n.startswith("/ht/")
    page = superuser_client.get(add_page)
    assert page.status_code == 200
    assert f'src="{jsi18n}"' in page.content.decode()

    response = superuser_client.get(jsi18n)
    assert response.status_code == 200
    catalog = the_javascript_catalog(response.content.decode())
    assert catalog["Yesterday"] == "Yè"
    assert catalog["abbrev. day Monday\x04Mon"] == "Len"
    for entry in polib.pofile(str(CREOLE / "djangojs.po")):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        expected = (
            [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)]
            if entry.msgid_plural
            else entry.msgstr
        )
        assert catalog.get(key) == expected, entry.msgid


def test_in_english_the_admin_javascript_stays_english(superuser_client):
    response = superuser_client.get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    assert "Y\\u00e8" not in response.content.decode()
