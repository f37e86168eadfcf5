"""Six languages from the first page: the right lang and dir, and words in each."""

from datetime import UTC, datetime

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format


def home_url(code):
    with translation.override(code):
        return reverse("requests_app:home")


@pytest.mark.parametrize(("code", "name"), settings.LANGUAGES)
def test_home_page_speaks_each_language_with_the_right_direction(client, db, code, name):
    response = client.get(home_url(code))

    assert response.status_code == 200
    html = response.content.decode()
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in html
    with translation.override(code):
        headline = translation.gettext("Neighbors helping neighbors")
    assert headline in html
    if code != "en":
        assert headline != "Neighbors helping neighbors", f"{code} headline is not translated"


def test_every_language_is_under_its_own_prefix(client, db):
    assert [home_url(code) for code, _name in settings.LANGUAGES] == [
        "/en/",
        "/es/",
        "/pt-br/",
        "/ht/",
        "/zh-hans/",
        "/ar/",
    ]


def test_the_language_switcher_names_each_language_in_itself(client, db):
    html = client.get(home_url("ar")).content.decode()
    for name in [
        "English",
        "Español",
        "Português (Brasil)",
        "Kreyòl ayisyen",
        "简体中文",
        "العربية",
    ]:
        assert name in html
    assert 'href="/ht/" translate="no" lang="ht" hreflang="ht"' in html


def test_the_language_switcher_keeps_the_page_and_what_was_chosen(client, db):
    html = client.get("/pt-br/ask/?pod=prospect-hill").content.decode()
    for code in ["en", "es", "pt-br", "ht", "zh-hans", "ar"]:
        assert f'href="/{code}/ask/?pod=prospect-hill"' in html


def test_the_root_sends_a_visitor_to_their_browser_language(client, db):
    response = client.get("/", headers={"accept-language": "pt-BR,pt;q=0.9"})
    assert response.status_code == 302
    assert response["Location"] == "/pt-br/"


def test_haitian_creole_is_known_to_django():
    assert translation.get_language_info("ht")["name_local"] == "Kreyòl ayisyen"


def test_django_own_form_errors_are_in_creole():
    with translation.override("ht"):
        with pytest.raises(forms.ValidationError) as error:
            forms.CharField().clean("")
        assert error.value.messages == ["Chan sa a obligatwa."]


def test_a_missing_page_is_a_translated_404(client, db):
    response = client.get("/ar/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'dir="rtl"' in html
    with translation.override("ar"):
        assert translation.gettext("We could not find that page") in html


def test_arabic_dates_with_a_time_put_the_day_first():
    moment = datetime(2026, 11, 5, 19, 18, tzinfo=UTC)
    with translation.override("ar"):
        short = date_format(moment, "SHORT_DATETIME_FORMAT")
        long = date_format(moment, "DATETIME_FORMAT")
    assert short.startswith("05\u200f/11\u200f/2026")
    assert long.startswith("5 نوفمبر")
