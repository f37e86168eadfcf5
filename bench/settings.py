"""The project's production settings, plus a baseline view (bench.urls) to compare pages
with. Used only by make bench; never by the app itself."""

import os

os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from waltham_aid.settings import *  # noqa: F403
from waltham_aid.settings import BASE_DIR

ROOT_URLCONF = "bench.urls"
# Collected apart from make serve's, so the two never mix.
STATIC_ROOT = BASE_DIR / "bench" / "staticfiles"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # "Worker warmed up in N ms": the bench waits for every worker (bench/server.py).
    "filters": {"hide_secret_links": {"()": "waltham_aid.logs.HideSecretLinks"}},
    "loggers": {
        "waltham_aid.warm": {"level": "INFO"},
        "django.request": {"filters": ["hide_secret_links"]},
        "django.server": {"filters": ["hide_secret_links"]},
    },
}
