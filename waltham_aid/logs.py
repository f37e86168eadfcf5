"""Server logs name people by record number, never by user name: volunteers sign in with
their email address, and logs are copied and kept by machines nobody here looks after.
The admin's audit trail tells a coordinator who each number is. Nor do they hold private
links (HideSecretLinks)."""

import logging
import re

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation


def person(who, *, nobody="nobody"):
    """`user 152`: a user, or a volunteer by their login, so that one person has one
    number in every line; `volunteer 160` only for a volunteer without a login yet."""
    if who is None:
        return nobody
    user_id = getattr(who, "user_id", None)
    if user_id is not None:
        return f"user {user_id}"
    return f"{who._meta.model_name} {who.pk}"


# A path in a log line: what Django writes after "Not Found: ", or inside a request line.
PATH = re.compile(r"/[^\s\"'?#]*")
# URL arguments that open what they lead to for whoever holds them.
SECRET_ARGUMENTS = {"token", "uidb64"}
HIDDEN = "(hidden)"


def hide_secret_links(text):
    """`text` with every private link's secret replaced: a neighbor's status page, an
    offer's page, a password reset. The rest of the path stays, to tell what was asked."""

    def hidden(found):
        path = found.group(0)
        prefix = path.split("/")[1]
        languages = dict(settings.LANGUAGES)
        try:
            # A path is resolved in the language its prefix names, whatever is active.
            with translation.override(prefix if prefix in languages else None):
                match = resolve(path)
        except (Resolver404, ValueError):
            return path
        for name in SECRET_ARGUMENTS & set(match.kwargs):
            path = path.replace(f"/{match.kwargs[name]}/", f"/{HIDDEN}/")
        return path

    return PATH.sub(hidden, text)


class HideSecretLinks(logging.Filter):
    """On the handler that writes the server's log, so on every line of every logger that
    writes requested paths (django.request's "Not Found: /...", django.security.csrf's
    "Forbidden (CSRF cookie not set.): /..."): a 404, a 429 or a refused form on someone's
    private link must not put the link in the server's logs, where anyone reading them
    could open it."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = hide_secret_links(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_secret_links(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
