"""Ready before the first visitor: what an app process otherwise works out on its first
requests.

gunicorn loads the app once (preload_app) and forks its workers from that process, also
each time it replaces one (max_requests). Whatever is made before the fork, every worker
has from its first request. A fresh worker took 190 ms for its first queue page (26 ms
after that) and 60 ms for its first ask form in each language: reading the six
languages' catalogs, compiling templates, working out the URL patterns. At the start of
a crisis load that was the slowest tenth of all answers.

Nothing here touches the database: a connection opened before the fork would be shared
by every worker.
"""

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.urls import reverse
from django.utils import translation


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
