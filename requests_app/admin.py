from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from requests_app.models import Category, Claim, Event, Neighbor, Offer, Request, Resource


@admin.register(Category)
class CategoryAdmin(TranslationAdmin):
    list_display = ["name", "slug", "applies_to", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["applies_to", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Neighbor)
class NeighborAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "language", "pod", "created_at"]
    list_filter = ["language", "pod"]
    list_select_related = ["pod"]
    search_fields = ["name", "phone", "email"]
    autocomplete_fields = ["pod"]
    readonly_fields = ["created_at", "contact_erased_at"]


class EventInline(admin.TabularInline):
    """The timeline, read-only: events are append-only."""

    model = Event
    fields = ["created_at", "kind", "actor", "by_neighbor", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ["volunteer", "claimed_at", "released_at", "release_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volunteer")


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["reference", "category", "pod", "urgency", "language", "status", "created_at"]
    list_filter = ["status", "urgency", "category", "language", "channel", "pod"]
    list_select_related = ["category", "pod"]
    search_fields = ["reference", "details", "neighbor__name", "neighbor__phone"]
    autocomplete_fields = ["neighbor", "category", "pod", "referral", "duplicate_of"]
    date_hierarchy = "created_at"
    # Status only changes through the model's transition methods, never by editing.
    readonly_fields = [
        "reference",
        "status",
        "status_changed_at",
        "closed_at",
        "outcome_note",
        "referral",
        "duplicate_of",
        "entered_by",
        "created_at",
    ]
    inlines = [ClaimInline, EventInline]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["request", "volunteer", "claimed_at", "released_at"]
    list_filter = ["released_at"]
    list_select_related = ["request", "volunteer"]
    search_fields = ["request__reference", "volunteer__name"]
    readonly_fields = ["request", "volunteer", "claimed_at", "released_at", "release_reason"]

    def has_add_permission(self, request):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit trail: readable, never editable or deletable."""

    list_display = ["created_at", "request", "kind", "actor", "by_neighbor"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["request", "actor"]
    search_fields = ["request__reference"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["reference", "category", "pod", "status", "serves_many", "until", "created_at"]
    list_filter = ["status", "category", "serves_many", "pod"]
    list_select_related = ["category", "pod"]
    search_fields = ["reference", "details", "neighbor__name", "volunteer__name"]
    autocomplete_fields = ["neighbor", "volunteer", "category", "pod"]
    readonly_fields = ["reference", "status", "created_at"]


@admin.register(Resource)
class ResourceAdmin(TranslationAdmin):
    list_display = ["name", "phone", "active"]
    list_filter = ["active", "categories"]
    search_fields = ["name", "description"]
    filter_horizontal = ["categories"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


admin.site.site_header = _("Waltham Aid coordinators")
admin.site.site_title = _("Waltham Aid")
