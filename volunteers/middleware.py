"""Sessions that end: 30 minutes without activity, 12 hours in all (both settings).

A session carries when it signed in and when it was last seen; the last-seen time is
written at most once a minute, so a busy volunteer does not cost a write per page.
Neighbors have no session at all, so public pages never touch this.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
SEEN_RESOLUTION_SECONDS = 60


def start_session_clock(request, now=None):
    now = now if now is not None else time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def session_expired(session, now):
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if signed_in_at is None or seen_at is None:
        return True
    return (
        now - seen_at > settings.SESSION_IDLE_SECONDS
        or now - signed_in_at > settings.SESSION_COOKIE_AGE
    )


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.is_empty():
            return self.get_response(request)
        if request.user.is_authenticated:
            now = time.time()
            if session_expired(request.session, now):
                logout(request)
                messages.info(
                    request,
                    _("You were signed out because the page was left alone for a while."),
                )
            elif now - request.session[SEEN_AT] >= SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = now
        return self.get_response(request)
