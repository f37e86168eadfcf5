from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from volunteers.models import Pod, Volunteer


@admin.register(Pod)
class PodAdmin(TranslationAdmin):
    list_display = ["name", "slug", "area_description", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug", "area_description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["point_people"]


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "approved_at", "created_at"]
    list_filter = ["approved_at", "pods"]
    search_fields = ["name", "email", "phone"]
    autocomplete_fields = ["user", "pods", "categories"]
    readonly_fields = ["created_at", "agreed_to_privacy_at"]
