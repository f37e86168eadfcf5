"""gunicorn's master warms the app before its workers fork from it (gunicorn.conf.py's
when_ready): every language's catalog, the URL patterns and the compiled templates, so a
new worker's first answers are as quick as its later ones. Never the database: a
connection opened before the fork would be shared by every worker."""

import logging
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import QueryDict
from django.template import engines
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from tests.factories import make_category, make_pod
from volunteers.forms import QueueFilterForm
from waltham_aid import kept_pages
from waltham_aid.templatetags.drawn_forms import _drawn, fingerprint
from waltham_aid.warm import template_names, warm_up, warm_worker


def _template_cache():
    (loader,) = engines["django"].engine.template_loaders  # the cached loader
    return loader


def test_warming_up_compiles_every_page_template_and_reads_every_catalog(settings):
    loader = _template_cache()
    loader.reset()
    trans_real._translations.clear()

    warm_up()  # no db fixture: any query here would fail the test

    names = set(template_names())
    assert {"base.html", "volunteers/queue.html", "requests_app/ask.html"} <= names
    assert "bootstrap5/field.html" in names
    assert names <= set(loader.get_template_cache)
    assert {code for code, _name in settings.LANGUAGES} <= set(trans_real._translations)


@contextmanager
def connection_kept_open():
    """A request through the whole app closes the database connection when it ends, as
    it should in production; inside a test's transaction it must stay open (Django's
    test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def ask_url(language):
    with translation.override(language):
        return reverse("requests_app:ask")


@pytest.mark.django_db
@override_settings(KEPT_PAGES_RECHECK_SECONDS=60)
def test_a_warmed_worker_answers_its_first_neighbor_in_any_language_from_memory(
    client, django_assert_num_queries
):
    make_category("groceries", name="Groceries", applies_to="needs")
    make_pod(name_en="Prospect Hill", name_ar="بروسبكت هيل")
    with connection_kept_open():
        warm_worker()

    first = {}
    for language in ["es", "ar", "ht"]:
        with django_assert_num_queries(0):
            first[language] = client.get(ask_url(language))
        assert first[language].status_code == 200
    assert "بروسبكت هيل" in first["ar"].content.decode()
    assert "Prospect Hill" in first["es"].content.decode()


@pytest.mark.django_db
def test_a_warmed_worker_has_drawn_the_queue_filters_in_every_language(settings):
    make_pod(name="Prospect Hill")
    caches["drawn_forms"].clear()
    kept_pages._remembered.clear()

    with connection_kept_open():
        warm_worker()

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            filters = QueueFilterForm(QueryDict())
            assert filters.is_valid()
            kept = _drawn(filters, fingerprint(filters), lambda: pytest.fail("drawn again"))
        assert "Prospect Hill" in kept


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.urls_without_pages")
def test_a_worker_that_cannot_warm_up_a_part_says_so_and_warms_the_rest(caplog):
    caches["drawn_forms"].clear()
    with connection_kept_open(), caplog.at_level(logging.WARNING, logger="waltham_aid.warm"):
        warm_worker()  # does not raise

    assert "Could not warm this worker up" in caplog.text
    with translation.override("es"):
        filters = QueueFilterForm(QueryDict())
        filters.is_valid()
        _drawn(filters, fingerprint(filters), lambda: pytest.fail("the filters were not drawn"))
