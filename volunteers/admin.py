from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from modeltranslation.admin import TranslationAdmin

from requests_app.admin import (
    KnownIdsInActions,
    NothingCutOffInTheAdmin,
    PhonesAsPeopleTypeThem,
    SafeAutocomplete,
    SecretsNeverFiltered,
)
from requests_app.admin_paging import DropDownFilter
from volunteers.models import Pod, Volunteer
from volunteers.services import (
    LoginTaken,
    approve_volunteer,
    deactivate_volunteer,
    decline_volunteer,
    sync_point_person_group,
)


@admin.register(Pod)
class PodAdmin(KnownIdsInActions, NothingCutOffInTheAdmin, SafeAutocomplete, TranslationAdmin):
    list_display = ["name", "slug", "area_description", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug", "area_description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["point_people"]
    actions = ["print_flyers"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Whoever leads a pod is in the Point person group, and nobody else.
        sync_point_person_group()

    @admin.action(description=_("Print door flyers"))
    def print_flyers(self, request, queryset):
        query = urlencode([("pod", slug) for slug in queryset.values_list("slug", flat=True)])
        return redirect(f"{reverse('volunteers:flyers')}?{query}")


class PendingFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("pending", _("Waiting for approval")), ("approved", _("Approved"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(approved_at__isnull=True)
        if self.value() == "approved":
            return queryset.filter(approved_at__isnull=False)
        return queryset


@admin.register(Volunteer)
class VolunteerAdmin(
    KnownIdsInActions,
    NothingCutOffInTheAdmin,
    PhonesAsPeopleTypeThem,
    SafeAutocomplete,
    admin.ModelAdmin,
):
    list_display = ["name", "email", "language", "is_approved", "created_at"]
    list_filter = [PendingFilter, ("pods", DropDownFilter), "language"]
    list_select_related = ["user"]
    search_fields = ["name", "email", "phone"]
    phone_fields = phone_search_fields = ["phone"]
    autocomplete_fields = ["user", "pods", "categories"]
    readonly_fields = ["user", "approved_at", "created_at", "agreed_to_privacy_at"]
    # Sign-ups waiting for a coordinator come first.
    ordering = [F("approved_at").asc(nulls_first=True), "-created_at"]
    actions = ["approve", "decline", "deactivate"]

    def has_delete_permission(self, request, obj=None):
        """A sign-up may be declined (deleted); an approved volunteer is deactivated
        instead, so their login ends and their requests go back to the pods."""
        if obj is not None and obj.approved_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Decline" deletes sign-ups, and only those
        return actions

    def delete_model(self, request, obj):
        # The Delete button on a sign-up's page declines it, keeping nothing about them
        # (the line Django just wrote in the history, with their name, goes too).
        decline_volunteer(obj)

    @admin.display(boolean=True, description=_("approved"), ordering="approved_at")
    def is_approved(self, volunteer):
        return volunteer.approved_at is not None

    @admin.action(
        description=_("Approve: create their login and email a link"), permissions=["change"]
    )
    def approve(self, request, queryset):
        approved = 0
        # One transaction: a failure part-way approves nobody, and the welcome emails
        # (sent on commit) go to nobody. A sign-up whose email a login already uses is
        # left waiting, saying which record has it.
        with transaction.atomic():
            for volunteer in queryset.filter(approved_at__isnull=True):
                try:
                    approve_volunteer(volunteer, by=request.user)
                except LoginTaken as taken:
                    self.message_user(request, _login_taken(volunteer, taken), messages.ERROR)
                else:
                    approved += 1
        self.message_user(
            request,
            ngettext("%(count)d volunteer approved.", "%(count)d volunteers approved.", approved)
            % {"count": approved},
        )

    @admin.action(description=_("Decline: delete their sign-up"), permissions=["delete"])
    def decline(self, request, queryset):
        pending = list(queryset.filter(approved_at__isnull=True))
        for volunteer in pending:
            decline_volunteer(volunteer)
        self.message_user(
            request,
            ngettext(
                "%(count)d sign-up declined and deleted.",
                "%(count)d sign-ups declined and deleted.",
                len(pending),
            )
            % {"count": len(pending)},
        )
        if len(pending) < len(queryset):
            self.message_user(
                request,
                _("Approved volunteers are not deleted this way: deactivate their login instead."),
                level=messages.WARNING,
            )

    @admin.action(
        description=_("Deactivate: they have left; their requests go back to the pods"),
        permissions=["change"],
    )
    def deactivate(self, request, queryset):
        leaving = list(queryset.filter(approved_at__isnull=False, user__is_active=True))
        for volunteer in leaving:
            deactivate_volunteer(volunteer, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d volunteer deactivated.",
                "%(count)d volunteers deactivated.",
                len(leaving),
            )
            % {"count": len(leaving)},
        )


def _login_taken(volunteer, taken):
    if taken.volunteer is None:
        return gettext(
            "%(name)s was not approved: the login “%(username)s”, which is no volunteer's, already uses %(email)s. Change that login's user name and email, or this sign-up's email, then approve again."
        ) % {
            "name": volunteer.name,
            "username": taken.login.get_username(),
            "email": volunteer.email,
        }
    if not taken.login.is_active:
        # Someone who volunteered before, left and signed up again: the old record keeps
        # what they did, so it is the one to bring back.
        return gettext(
            "%(name)s was not approved: “%(other)s”, a deactivated volunteer, already has a login with %(email)s. If they are the same person, ask a superuser to switch that login back on (Active), then decline this sign-up."
        ) % {"name": volunteer.name, "other": taken.volunteer.name, "email": volunteer.email}
    return gettext(
        "%(name)s was not approved: the volunteer “%(other)s” already has a login with %(email)s. If they are the same person, decline this sign-up."
    ) % {"name": volunteer.name, "other": taken.volunteer.name, "email": volunteer.email}


class PhoneAdmin(KnownIdsInActions, SecretsNeverFiltered, TOTPDeviceAdmin):
    """Second-step devices: each person sets up their own phone at their first sign-in,
    so here a lost one is only looked at or removed; nobody adds one with a key they
    know for someone else. Keys and QR codes are never shown
    (OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

    secret_fields = ["key"]

    def has_add_permission(self, request):
        return False


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, PhoneAdmin)


# Django's own lists of logins and groups, with the same guard on their actions.
class LoginAdmin(KnownIdsInActions, UserAdmin):
    pass


class RoleAdmin(KnownIdsInActions, GroupAdmin):
    pass


for model, model_admin in [(User, LoginAdmin), (Group, RoleAdmin)]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
