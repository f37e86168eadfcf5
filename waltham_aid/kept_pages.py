"""Public pages kept in memory: the home page and the public forms, drawn once per
language and served again as they are, for people on old phones and during a rush.

A page is the same for every neighbor who reads it in the same language, except for two
values that must be new on every visit: the CSRF token and the form's signed start time.
Templates mark those with {% per_visit "csrf_token" %} and {% per_visit "started" %};
while a page is being kept they leave a hole, which is filled for each visitor.

A kept page is not stale for more than a second. Its key holds the page's address
(language prefix and query included) and a *version* of the tables it is drawn from (the
forms: pods and categories), read in one small query: each table's row count, highest id
and last change (`changed_at`, saved with auto_now). Each process reads that version at
most once every KEPT_PAGES_RECHECK_SECONDS (1 s), so in a rush most visits send no
query at all; a save or delete in the same process makes it read again at once. Rename a
pod in the admin: that process shows the new name on its next visit, every other process
within a second. Templates, translations and settings only change when a process starts
(a test that overrides a setting empties the memory).

Only plain visits are kept: a GET or HEAD without a session or a message waiting, so a
signed-in volunteer, a form sent back with errors and anything a person typed are always
drawn fresh, and nothing personal is ever kept.
"""

import hashlib
import re
import secrets
import time
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from requests_app.antispam import form_started_token

# Per process, so that no page text can ever spell a hole by chance or on purpose.
_MARK = secrets.token_hex(8)
HOLE = re.compile(rf"per-visit-{_MARK}-([a-z_]+)")

# What fills each hole, for this visitor.
FILLERS = {
    "csrf_token": get_token,
    "started": lambda request: form_started_token(),
}


def keeping(request):
    """True while a page is being drawn to be kept."""
    return getattr(request, "_keeping_page", False)


def hole(name):
    if name not in FILLERS:
        raise ValueError(f"No per-visit value called {name!r}.")
    return f"per-visit-{_MARK}-{name}"


def fill(request, name):
    return FILLERS[name](request)


def plain_visit(request):
    cookies = request.COOKIES
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in cookies
        and "messages" not in cookies
    )


# version read per set of tables: (when, version)
_versions = {}


def tables_version(*models):
    """One query: for each model's table, its row count, highest id and last change
    (a `changed_at` field saved with auto_now). Any insert, delete or save moves it."""
    quote = connection.ops.quote_name
    columns = []
    for model in models:
        table = quote(model._meta.db_table)
        columns += [
            f"(SELECT COUNT(*) FROM {table})",
            f"(SELECT MAX({quote('id')}) FROM {table})",
            f"(SELECT MAX({quote('changed_at')}) FROM {table})",
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}")
        return tuple(str(value) for value in cursor.fetchone())


def current_version(models):
    """The tables' version, read again when it is older than the recheck interval."""
    now = time.monotonic()
    read = _versions.get(models)
    if read is None or now - read[0] >= settings.KEPT_PAGES_RECHECK_SECONDS:
        read = _versions[models] = (now, tables_version(*models))
    return read[1]


def forget_versions(**kwargs):
    _versions.clear()


# What remembered() built: (name, language, version) -> value.
_remembered = {}
REMEMBERED_AT_MOST = 64


def remembered(name, version, build):
    """What `build()` returns, kept in this process for the reader's language while the
    `version` (of current_version) stays the same: a list of 500 pods read once, not on
    every page that offers it."""
    key = (name, get_language(), version)
    try:
        return _remembered[key]
    except KeyError:
        if len(_remembered) >= REMEMBERED_AT_MOST:
            _remembered.clear()
        value = _remembered[key] = build()
        return value


def kept_in_memory(drawn_from=()):
    """Keep a view's page for plain visits, under its address and the version of the
    models it is `drawn_from` (none for a page drawn from settings and translations)."""
    models = tuple(drawn_from)
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(forget_versions, sender=model, dispatch_uid=f"kept_pages:{model}")

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not plain_visit(request):
                return view(request, *args, **kwargs)
            memory = caches["kept_pages"]
            address = (
                view.__module__,
                view.__qualname__,
                request.get_full_path(),
                get_language(),
                current_version(models) if models else None,
            )
            key = hashlib.sha256(repr(address).encode()).hexdigest()
            kept = memory.get(key)
            if kept is None:
                request._keeping_page = True
                try:
                    response = view(request, *args, **kwargs)
                finally:
                    request._keeping_page = False
                if response.status_code != 200 or response.streaming or response.cookies:
                    return _filled_response(request, response)
                kept = (HOLE.split(response.content.decode()), response["Content-Type"])
                memory.set(key, kept)
            parts, content_type = kept
            return HttpResponse(_filled(request, parts), content_type=content_type)

        return wrapped

    return decorator


def _filled(request, parts):
    # re.split with one group: text, hole name, text, hole name, ..., text.
    return "".join(
        part if index % 2 == 0 else fill(request, part) for index, part in enumerate(parts)
    )


def _filled_response(request, response):
    if not response.streaming and HOLE.search(response.content.decode(errors="replace")):
        response.content = _filled(request, HOLE.split(response.content.decode()))
    return response


@receiver(setting_changed)
def forget_kept_pages(**kwargs):
    _versions.clear()
    _remembered.clear()
    caches["kept_pages"].clear()
