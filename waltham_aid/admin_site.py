"""The admin, where coordinators run the network: staff only, and only after the second
sign-in step (a code from their phone), since they can export contact details."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from volunteers.access import needs_second_step, second_step_url
from volunteers.forms import AdminSignInForm


def plausible_query(query):
    """False for a query string the changelist would answer with a server error (Django
    5.2): a NUL byte, which PostgreSQL refuses in text (`?status__exact=%00`), or a date
    hierarchy part that datetime cannot hold (`?created_at__year=99999999999` or `=9999`,
    Django ticket #37357)."""
    for key, values in query.lists():
        if any("\x00" in text for text in [key, *values]):
            return False
        if key.endswith(("__year", "__month", "__day")) and not all(
            len(value) <= 4 and value.isascii() and value.isdigit() and int(value) < 9999
            for value in values
        ):
            return False
    return True


class AdminSite(admin.AdminSite):
    login_form = AdminSignInForm

    def has_permission(self, request):
        return super().has_permission(request) and not needs_second_step(request.user)

    def admin_view(self, view, cacheable=False):
        """What a coordinator may not see answers 404, as if it did not exist: a 403
        would tell them it does."""
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def without_hints(request, *args, **kwargs):
            if not plausible_query(request.GET):
                raise BadRequest
            try:
                return inner(request, *args, **kwargs)
            except PermissionDenied:
                raise Http404 from None

        return without_hints

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and needs_second_step(request.user):
            return redirect(
                second_step_url(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))
            )
        return super().login(request, extra_context)
