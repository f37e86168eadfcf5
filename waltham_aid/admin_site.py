"""The admin, where coordinators run the network: staff only, and only after the second
sign-in step (a code from their phone), since they can export contact details."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from volunteers.access import needs_second_step
from volunteers.forms import AdminSignInForm


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
            try:
                return inner(request, *args, **kwargs)
            except PermissionDenied:
                raise Http404 from None

        return without_hints

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and needs_second_step(request.user):
            next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return redirect(
                f"{reverse('volunteers:two_factor')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
            )
        return super().login(request, extra_context)
