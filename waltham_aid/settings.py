"""Waltham Aid settings: one file, configured by environment variables.

Local defaults are safe for a laptop (SQLite, console email). In production set DEBUG=0,
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; the app refuses to start with DEBUG off and
the development secret key.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

DEVELOPMENT_SECRET_KEY = "development-only-not-secret-waltham-aid"
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "Refusing to start with DEBUG off and the development SECRET_KEY. "
        "Set SECRET_KEY to a long random value (or DEBUG=1 on your own machine)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes before django.contrib.admin.
    "modeltranslation",
    "waltham_aid.admin_config.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "waltham_aid",
    "requests_app",
    "volunteers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "waltham_aid.middleware.no_store_after_post",
    # Static files served by the app itself, compressed and cached for a year (no CDN).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "waltham_aid.errors.explain_wrong_method",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "volunteers.middleware.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "waltham_aid.urls"
WSGI_APPLICATION = "waltham_aid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "waltham_aid.context_processors.network",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # A worker keeps its connection for 10 minutes: opening one, and PostgreSQL
        # reading each table's description again on it, cost a worker's next pages
        # 30-50 ms. Checked before reuse, so a restarted database costs one retry.
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so two writers queue instead of
    # failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Nothing here is shared between app processes: sessions and rate limits live in the
# database. "drawn_forms" keeps the HTML of form fields drawn by crispy-forms, under a
# fingerprint of what they are drawn from (waltham_aid/templatetags/drawn_forms.py);
# "kept_pages" keeps the home page and the public forms as neighbors see them, under a
# version of the rows they show (waltham_aid/kept_pages.py). Neither holds anything
# personal, and neither can be stale.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "drawn_forms": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "drawn-forms",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
    "kept_pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kept-pages",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages -----------------------------------------------------------------------
# Each language is named in itself, so a neighbor finds their own in the switcher.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ht", "Kreyòl ayisyen"),
    ("zh-hans", "简体中文"),
    ("ar", "العربية"),
]
LANGUAGES_BIDI = ["ar"]
# Django knows nothing of Haitian Creole; teach it, so get_language_info("ht") works.
LANG_INFO["ht"] = {
    "bidi": False,
    "code": "ht",
    "name": "Haitian Creole",
    "name_local": "Kreyòl ayisyen",
}
LOCALE_PATHS = [
    BASE_DIR / "locale",
    # Django's own strings in Haitian Creole (Django has no ht catalog). Kept apart from
    # locale/ so makemessages does not mark them obsolete.
    BASE_DIR / "waltham_aid" / "django_locale",
]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")

MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Hashed names and gzip/brotli copies, made by collectstatic (make serve).
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email -------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Waltham Aid <aid@localhost>")

# --- The network -------------------------------------------------------------------------
NETWORK_NAME = os.environ.get("NETWORK_NAME", "Waltham Aid")
# The phone number neighbors can call instead of using the web (shown on every public page).
NETWORK_PHONE = os.environ.get("NETWORK_PHONE", "(781) 555-0100")
# How long a first answer usually takes, in hours; told honestly after someone asks.
USUAL_RESPONSE_HOURS = int(os.environ.get("USUAL_RESPONSE_HOURS", "48"))

LOGIN_URL = "volunteers:login"
LOGIN_REDIRECT_URL = "volunteers:queue"
LOGOUT_REDIRECT_URL = "requests_app:home"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Requested paths are logged on 4xx and 5xx answers, and by more loggers than one
    # (django.request, django.server, django.security.csrf...): never with a private
    # link's secret. A logger's filter sees only its own lines, so it is on the handler
    # that writes them all.
    "filters": {"hide_secret_links": {"()": "waltham_aid.logs.HideSecretLinks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["hide_secret_links"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Only the console: Django's own handlers would also email a failed request, with
        # its form fields and the traceback's local variables (a neighbor's phone,
        # address, message), to ADMINS, if anyone ever set them.
        "django": {"handlers": []},
    },
}

# --- Public forms ----------------------------------------------------------------------
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
CSRF_FAILURE_VIEW = "requests_app.views.csrf_failure"
# A person takes longer than this to fill in a form; a robot does not.
FORM_MIN_SECONDS = float(os.environ.get("FORM_MIN_SECONDS", "3"))
FORM_MAX_SECONDS = float(os.environ.get("FORM_MAX_SECONDS", str(24 * 3600)))
# (how many, per how many seconds) from one address; all must allow a post.
PUBLIC_FORM_RATE_LIMITS = [(5, 600), (30, 24 * 3600)]
# Messages from one status page (one private link), whatever the address: a conversation
# is never cut short, a robot that found a link cannot flood the volunteers.
NEIGHBOR_MESSAGE_RATE_LIMITS = [(10, 600), (60, 24 * 3600)]
# Behind a reverse proxy that sets X-Forwarded-For, count the address it saw.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
# Where the site is served, for links in emails (no trailing slash).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# "Unreachable" is an honest outcome only after this many logged tries.
UNREACHABLE_AFTER_ATTEMPTS = int(os.environ.get("UNREACHABLE_AFTER_ATTEMPTS", "2"))
# When a request needs a point person's attention.
NEW_STALE_HOURS = int(os.environ.get("NEW_STALE_HOURS", "48"))
CLAIM_STALE_DAYS = int(os.environ.get("CLAIM_STALE_DAYS", "6"))

# --- Follow-ups (manage.py run_followups, every 15 minutes) ---------------------------
FOLLOWUP_NEW_TO_POINT_PEOPLE_HOURS = int(os.environ.get("FOLLOWUP_NEW_TO_POINT_PEOPLE_HOURS", "24"))
FOLLOWUP_NEW_TO_COORDINATORS_HOURS = int(os.environ.get("FOLLOWUP_NEW_TO_COORDINATORS_HOURS", "48"))
FOLLOWUP_OPEN_TO_NETWORK_HOURS = int(os.environ.get("FOLLOWUP_OPEN_TO_NETWORK_HOURS", "48"))
FOLLOWUP_CLAIM_REMINDER_DAYS = int(os.environ.get("FOLLOWUP_CLAIM_REMINDER_DAYS", "6"))
FOLLOWUP_CLAIM_RELEASE_DAYS = int(os.environ.get("FOLLOWUP_CLAIM_RELEASE_DAYS", "9"))
FOLLOWUP_MESSAGE_HOURS = int(os.environ.get("FOLLOWUP_MESSAGE_HOURS", "24"))
# A repeating request's next date is kept this long for whoever did the last one.
REPEAT_OFFER_HOURS = int(os.environ.get("REPEAT_OFFER_HOURS", "24"))
# Date and number formats for Haitian Creole, which Django does not ship.
FORMAT_MODULE_PATH = ["waltham_aid.formats"]
# After a request closes, its helpers still see the contact details this long (to tell
# the neighbor how it ended); coordinators always can.
CONTACT_AFTER_CLOSE_DAYS = int(os.environ.get("CONTACT_AFTER_CLOSE_DAYS", "7"))

# --- Keeping it safe ---------------------------------------------------------------------
# Served over HTTPS (directly, or behind a proxy that says so in X-Forwarded-Proto).
# On by default whenever DEBUG is off; `manage.py check --deploy` then reports nothing.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_HTTPS_PROXY", False):
    # Only when the proxy in front always sets this header (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Nothing is loaded from anywhere but this site: no CDN, no fonts, no analytics, no inline
# script or style (tests/test_browser_security.py records every violation).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Pages kept in memory (waltham_aid/kept_pages.py) check the pods and categories they
# show at most this often per process: a renamed pod shows everywhere within a second.
KEPT_PAGES_RECHECK_SECONDS = float(os.environ.get("KEPT_PAGES_RECHECK_SECONDS", 1))

# Volunteers' sessions: 30 minutes without activity, 12 hours in all
# (volunteers.middleware.SessionLimitsMiddleware).
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", 30 * 60))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_MAX_SECONDS", 12 * 3600))

# Sign-in attempts that fail: (how many, per how many seconds), per address and per account.
SIGN_IN_FAILURES_PER_ADDRESS = (20, 15 * 60)
SIGN_IN_FAILURES_PER_ACCOUNT = (5, 15 * 60)

# Coordinators can export contact details: they sign in with a second step (TOTP).
OTP_TOTP_ISSUER = NETWORK_NAME
# Nobody reads another person's secret key or QR code in the admin, not even a superuser:
# each person sets up their own phone at their first sign-in (volunteers/two_factor.py).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Contact details are erased this many days after a neighbor's last request or offer
# closed; coordinators get a digest this many days before (manage.py run_followups).
RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "30"))
RETENTION_NOTICE_DAYS = int(os.environ.get("RETENTION_NOTICE_DAYS", "7"))
