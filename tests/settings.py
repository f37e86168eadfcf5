"""Settings for the test run: the project's settings, with what only tests need."""

import os

# Playwright's sync API keeps an event loop running in the main thread; Django's ORM
# would otherwise refuse to run next to it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
# The live test server speaks plain HTTP; tests/test_deploy_settings.py checks HTTPS ones.
os.environ.setdefault("HTTPS", "0")

from waltham_aid.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from the app folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests change pods and categories outside any save (bulk inserts, rollbacks between
# tests): kept pages check their version on every visit (tests/test_kept_pages.py tests
# the once-a-second check).
KEPT_PAGES_RECHECK_SECONDS = float(os.environ.get("KEPT_PAGES_RECHECK_SECONDS", 0))
