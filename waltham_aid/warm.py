"""Ready before the first visitor: what an app process otherwise works out on its first
requests.

gunicorn loads the app once (preload_app) and forks its workers from that process, also
each time it replaces one (max_requests). Whatever is made before the fork, every worker
has from its first request. A fresh worker took 190 ms for its first queue page (26 ms
after that) and 60 ms for its first ask form in each language: reading the six
languages' catalogs, compiling templates, working out the URL patterns. At the start of
a crisis load that was the slowest tenth of all answers.

Nothing in warm_up() touches the database: a connection opened before the fork would be
shared by every worker. What needs the database is made by each worker itself, after the
fork and before it takes its first request (warm_worker, gunicorn's post_worker_init),
in about 0.6 s at network scale: while one worker warms, the others answer. A worker's
first queue page in a language went from 100-170 ms to about 40 ms, and its first ask
form in each language from 80 ms to 3 ms.
"""

import logging
import time
from io import BytesIO, StringIO
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.http import QueryDict
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)

# The pages neighbors open, kept in memory once drawn (waltham_aid/kept_pages.py). Not
# the volunteer sign-up form: drawing its 500 pods takes 170 ms a language, for a page a
# crisis does not crowd; it is kept on its first visit instead.
PUBLIC_PAGES = [
    "requests_app:home",
    "requests_app:ask",
    "requests_app:offer",
    "requests_app:privacy",
]


def template_names():
    """The project's templates, and those of the crispy-forms pack the forms are drawn
    with. Django's own admin templates are left to warm themselves: only coordinators
    wait for them."""
    engine = engines["django"].engine
    pack = settings.CRISPY_TEMPLATE_PACK
    roots = [(Path(root), "") for root in engine.dirs]
    roots += [(Path(root), pack) for root in get_app_template_dirs("templates")]
    for root, under in roots:
        for path in sorted((root / under).rglob("*")):
            if path.is_file() and path.suffix in {".html", ".txt"}:
                yield path.relative_to(root).as_posix()


def warm_up():
    """Read every language's catalog and URL patterns, and compile the templates."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reverse("requests_app:ask")
    engine = engines["django"]
    for name in template_names():
        engine.get_template(name)


def warm_worker():
    """In a worker, before its first request: the database connection opened, and each
    table's description read once by PostgreSQL; then, in every language, the public
    pages drawn and kept, and the queue's filters drawn. A part that fails is only
    logged: the worker then warms that part on its first requests, as it would anyway."""
    started = time.monotonic()
    for part in (_read_each_table, _visit_public_pages, _draw_queue_filters):
        try:
            part()
        except Exception:
            logger.warning(
                "Could not warm this worker up (%s); its first answers will be slower.",
                part.__name__,
                exc_info=True,
            )
    translation.deactivate()
    logger.info("Worker warmed up in %d ms", (time.monotonic() - started) * 1000)


def _read_each_table():
    """A new PostgreSQL connection reads a table's columns and indexes the first time a
    query plans over it: 60 ms spread over a worker's first pages, done here instead.
    A table locked by a migration is not waited for more than a second."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
        for model in apps.get_models():
            list(model._base_manager.order_by()[:1].values_list("pk"))


def _visit_public_pages():
    _visit(PUBLIC_PAGES)


def _visit(url_names):
    """Each page in each language, through the whole app (every middleware), as a
    visitor with no cookies would open it; what comes back is thrown away."""
    from waltham_aid.wsgi import application

    host = _a_host()
    if host is None:
        return
    for code, _name in settings.LANGUAGES:
        for url_name in url_names:
            with translation.override(code):
                path = reverse(url_name)
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "SERVER_NAME": host,
                "SERVER_PORT": "443" if settings.SECURE_SSL_REDIRECT else "80",
                "HTTP_HOST": host,
                "wsgi.url_scheme": "https" if settings.SECURE_SSL_REDIRECT else "http",
                "wsgi.input": BytesIO(),
                "wsgi.errors": StringIO(),
            }
            if settings.SECURE_PROXY_SSL_HEADER:
                header, value = settings.SECURE_PROXY_SSL_HEADER
                environ[header] = value
            status = _status_of(application, environ)
            if not status.startswith("200"):
                logger.info("Warming up: %s answered %s", path, status)


def _status_of(application, environ):
    answered = []
    response = application(environ, lambda status, headers: answered.append(status))
    try:
        b"".join(response)
    finally:
        response.close()
    return answered[0]


def _a_host():
    """A name this site answers to, from ALLOWED_HOSTS (".example.org" is example.org),
    or None when only patterns ("*") are given."""
    for host in settings.ALLOWED_HOSTS:
        name = host.lstrip(".")
        if name and "*" not in name:
            return name
    return None


def _draw_queue_filters():
    """The queue's filters, as an unfiltered queue page draws them, in every language:
    the network's pods and needs read once and the drawing kept (drawn_forms)."""
    from volunteers.forms import QueueFilterForm
    from waltham_aid.templatetags.drawn_forms import draw_form

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            filters = QueueFilterForm(QueryDict())
            filters.is_valid()
            draw_form(filters)
