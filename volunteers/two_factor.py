"""The coordinators' second sign-in step: a six-digit code from an app on their phone
(TOTP, through django-otp). Set up once at the first sign-in, asked at every sign-in."""

from base64 import b32encode

import segno
from django import forms
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app.models import AuditAction, AuditEntry
from volunteers.access import needs_second_step


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The six-digit code your app shows now"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes. Wait a minute, then type the code your app shows."),
                code="throttled",
            )
        if not (code.isdigit() and self.device.verify_token(code)):
            raise forms.ValidationError(
                _("That code is not right. It changes every 30 seconds: type the one shown now."),
                code="wrong",
            )
        return code


def _next_url(request):
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("volunteers:queue")


def _device_for(user):
    """The confirmed device, or the one being set up (made on the first visit)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    return device


@never_cache
@login_required
def two_factor(request):
    if not needs_second_step(request.user):
        return redirect(_next_url(request))
    device = _device_for(request.user)
    form = CodeForm(device, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                AuditEntry.objects.record(AuditAction.TWO_FACTOR_SET_UP, by=request.user)
            otp_login(request, device)
            return redirect(_next_url(request))
        AuditEntry.objects.record(AuditAction.TWO_FACTOR_FAILED, by=request.user)
    context = {"form": form, "setting_up": not device.confirmed, "next": _next_url(request)}
    if not device.confirmed:
        key = b32encode(device.bin_key).decode()
        context |= {
            # segno draws our own markup from the device's URL alone: safe as it is.
            "qr_svg": mark_safe(
                segno.make(device.config_url, error="m").svg_inline(
                    scale=4, border=2, omitsize=True
                )
            ),
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        }
    return render(request, "volunteers/two_factor.html", context)
