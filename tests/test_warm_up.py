"""gunicorn's master warms the app before its workers fork from it (gunicorn.conf.py's
when_ready): every language's catalog, the URL patterns and the compiled templates, so a
new worker's first answers are as quick as its later ones. Never the database: a
connection opened before the fork would be shared by every worker."""

from django.template import engines
from django.utils.translation import trans_real

from waltham_aid.warm import template_names, warm_up


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
