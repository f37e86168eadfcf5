"""Abuse without surveillance: no CAPTCHA, no third party, no raw IP address stored.

- A honeypot field people never see, that form-filling robots fill in.
- A signed time the form was shown: a post faster than a person types, or a day old, is
  sent back (with everything typed still in it).
- A per-address token bucket in the database, updated in one atomic statement so it holds
  across processes, keyed by an HMAC of the address. Generous: libraries and shelters
  share one address. Messages from a status page are counted per private link instead.
- A bucket untouched for longer than the longest window is full again, the same as no
  bucket at all: the follow-up timer deletes it (forget_full_buckets), so nothing about a
  connection is kept for more than a day and one run of the timer.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import connection
from django.shortcuts import render
from django.utils.translation import gettext as _

from requests_app.models import RateLimitBucket

SIGNING_SALT = "waltham_aid.form-started"


def form_started_token(now=None):
    return signing.dumps(now if now is not None else time.time(), salt=SIGNING_SALT)


def seconds_since_form_started(token):
    """How long ago the form was shown, or None when the token is missing or forged."""
    try:
        started = float(signing.loads(token or "", salt=SIGNING_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return time.time() - started


def client_key(request, scope):
    """An HMAC of the address: enough to count, useless to identify anyone."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        address = forwarded.split(",")[-1].strip() or address
    return keyed(address, scope)


# One statement: insert a full bucket less one token, or refill the existing bucket for the
# time that passed and take a token only if one is there. No row back means "wait".
TAKE_TOKEN_SQL = """
INSERT INTO requests_app_ratelimitbucket (key, tokens, updated_at)
VALUES (%(key)s, %(capacity)s - 1, %(now)s)
ON CONFLICT (key) DO UPDATE SET
    tokens = (CASE
        WHEN requests_app_ratelimitbucket.tokens
             + (%(now)s - requests_app_ratelimitbucket.updated_at) * %(rate)s > %(capacity)s
        THEN %(capacity)s
        ELSE requests_app_ratelimitbucket.tokens
             + (%(now)s - requests_app_ratelimitbucket.updated_at) * %(rate)s
    END) - 1,
    updated_at = %(now)s
WHERE requests_app_ratelimitbucket.tokens
      + (%(now)s - requests_app_ratelimitbucket.updated_at) * %(rate)s >= 1
RETURNING tokens
"""


def take_token(key, *, capacity, per_seconds, now=None):
    params = {
        "key": key,
        "capacity": float(capacity),
        "rate": capacity / per_seconds,
        "now": now if now is not None else time.time(),
    }
    with connection.cursor() as cursor:
        cursor.execute(TAKE_TOKEN_SQL, params)
        return cursor.fetchone() is not None


PEEK_TOKEN_SQL = """
SELECT tokens + (%(now)s - updated_at) * %(rate)s >= 1
FROM requests_app_ratelimitbucket WHERE key = %(key)s
"""


def has_token(key, *, capacity, per_seconds, now=None):
    """Whether take_token would succeed now, without taking one."""
    params = {
        "key": key,
        "rate": capacity / per_seconds,
        "now": now if now is not None else time.time(),
    }
    with connection.cursor() as cursor:
        cursor.execute(PEEK_TOKEN_SQL, params)
        row = cursor.fetchone()
        return row is None or bool(row[0])


def keyed(value, scope):
    """An HMAC of any identifier (a user name, say), as client_key does for addresses."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{scope}:{digest[:40]}"


def _allowed(key, limits, now):
    return all(
        take_token(f"{key}:{per_seconds}", capacity=capacity, per_seconds=per_seconds, now=now)
        for capacity, per_seconds in limits
    )


def allow_public_post(request, scope, *, now=None):
    """True when this address may send one more public form now."""
    return _allowed(client_key(request, scope), settings.PUBLIC_FORM_RATE_LIMITS, now)


def allow_neighbor_message(status_token, *, now=None):
    """True when one more message may be sent from this status page now. Counted per
    private link, not per address: neighbors sharing a library computer are not slowed
    down by each other, and a robot that found one link cannot flood the volunteers."""
    return _allowed(keyed(status_token, "message"), settings.NEIGHBOR_MESSAGE_RATE_LIMITS, now)


def longest_window():
    """Seconds after which any bucket has refilled completely, whatever its limit."""
    return max(
        per_seconds
        for _, per_seconds in (
            *settings.PUBLIC_FORM_RATE_LIMITS,
            *settings.NEIGHBOR_MESSAGE_RATE_LIMITS,
            settings.SIGN_IN_FAILURES_PER_ADDRESS,
            settings.SIGN_IN_FAILURES_PER_ACCOUNT,
        )
    )


def forget_full_buckets(*, now=None):
    """Delete the buckets nobody has drawn on for longer than the longest window: they
    are full, and a missing bucket counts as a full one. Returns how many went."""
    now = now if now is not None else time.time()
    deleted, _ = RateLimitBucket.objects.filter(updated_at__lt=now - longest_window()).delete()
    return deleted


def rate_limited(request, template, form, **context):
    """The form comes back with everything typed, a 429 and a message saying what to do.
    `context`: whatever else the template needs."""
    messages.error(
        request,
        _(
            "Many forms were sent from this connection in a short time. Please wait a few minutes and send it again, or call us."
        ),
    )
    return render(request, template, {"form": form, **context}, status=429)
