"""The admin, where coordinators run the network: staff only, and only after the second
sign-in step (a code from their phone), since they can export contact details."""

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from volunteers.access import needs_second_step
from volunteers.forms import AdminSignInForm


class AdminSite(admin.AdminSite):
    login_form = AdminSignInForm

    def has_permission(self, request):
        return super().has_permission(request) and not needs_second_step(request.user)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and needs_second_step(request.user):
            next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return redirect(
                f"{reverse('volunteers:two_factor')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
            )
        return super().login(request, extra_context)
