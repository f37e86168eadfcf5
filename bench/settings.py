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
# Production's logging, quieter: warnings only, except "Worker warmed up in N ms", which
# the bench waits for from every worker (bench/server.py).
LOGGING = {
    **LOGGING,  # noqa: F405
    "root": {**LOGGING["root"], "level": "WARNING"},  # noqa: F405
    "loggers": {**LOGGING["loggers"], "waltham_aid.warm": {"level": "INFO"}},  # noqa: F405
}
