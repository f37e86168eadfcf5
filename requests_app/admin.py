from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import OperationalError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.constants import LOOKUP_SEP
from django.template.defaultfilters import yesno
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from modeltranslation.admin import TranslationAdmin

from requests_app.admin_paging import DropDownFilter, SeekPaging
from requests_app.exports import export_requests
from requests_app.forms import ContactForm, NothingCutOff, PhoneField, as_phone_number
from requests_app.models import (
    DUPLICATE_OF_CLOSED,
    AuditAction,
    AuditEntry,
    Category,
    Claim,
    Event,
    InvalidTransition,
    Neighbor,
    Offer,
    Request,
    RequestStatus,
    Resource,
    normalize_reference,
)
from requests_app.services import (
    MERGE_AT_MOST,
    CannotMerge,
    check_can_merge,
    close_request,
    merge_neighbors,
    record_contact_look,
)


class KnownIdsOnly:
    """Django's autocomplete widgets look a posted id up to draw the form again, and an id
    the column cannot hold (a tampered post: `neighbor=abc`) makes that lookup a server
    error (Django 5.2). Only ids that parse are looked up; the form already says the
    choice is not valid."""

    def optgroups(self, name, value, attr=None):
        opts = self.field.remote_field.model._meta
        target = opts.get_field(
            getattr(self.field.remote_field, "field_name", None) or opts.pk.name
        )
        return super().optgroups(name, [v for v in value if _parses(target, v)], attr)


def _parses(field, value):
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class AutocompleteSelect(KnownIdsOnly, admin_widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(KnownIdsOnly, admin_widgets.AutocompleteSelectMultiple):
    pass


class KnownIdsInActions:
    """An admin action posted with a row id that cannot be one (a tampered post:
    `_selected_action=abc`) is a server error in Django 5.2; such ids are dropped, and
    an action with nothing left to act on says so, as for an empty selection."""

    def response_action(self, request, queryset):
        name = helpers.ACTION_CHECKBOX_NAME
        posted = request.POST.getlist(name)
        known = [value for value in posted if _parses(self.model._meta.pk, value)]
        if len(known) != len(posted):
            request.POST = request.POST.copy()
            request.POST.setlist(name, known)
        return super().response_action(request, queryset)


class NothingCutOffInTheAdmin:
    """No maxlength in the admin's forms either (requests_app.forms.NothingCutOff): a
    description pasted into a resource comes back whole, with the limit, instead of cut
    by the browser without a word."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            formfield.widget.attrs.pop("maxlength", None)
        return formfield


class PhonesAsPeopleTypeThem:
    """Phone numbers typed any way in the admin are stored as everywhere else (E.164), so
    their tel: and WhatsApp links work and a returning neighbor's details still match;
    and a number searched as it was heard on a call ("617 555 0142") finds them."""

    phone_fields = ()  # model fields edited as phone numbers
    phone_search_fields = ()  # lookups that a searched phone number is matched against

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.phone_fields:
            kwargs["form_class"] = PhoneField
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = as_phone_number(search_term)
        searched = set(self.get_search_fields(request))
        lookups = [lookup for lookup in self.phone_search_fields if lookup in searched]
        if number and lookups:
            same_number = Q()
            for lookup in lookups:
                same_number |= Q(**{lookup: number})
            results |= queryset.filter(same_number)
        return results, may_have_duplicates


class SafeAutocomplete:
    """A ModelAdmin whose autocomplete fields survive a tampered id (KnownIdsOnly)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Category)
class CategoryAdmin(KnownIdsInActions, NothingCutOffInTheAdmin, TranslationAdmin):
    list_display = ["name", "slug", "applies_to", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["applies_to", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class SharesContactFilter(admin.SimpleListFilter):
    """Records of one person, made when they typed their details a little differently:
    the same phone or email on another record whose details are still held."""

    title = _("other records")
    parameter_name = "shares"

    SHARED = "contact"

    def lookups(self, request, model_admin):
        return [(self.SHARED, _("Same phone or email as another record"))]

    def queryset(self, request, queryset):
        if self.value() != self.SHARED:
            return queryset
        others = Neighbor.objects.filter(contact_erased_at__isnull=True).exclude(pk=OuterRef("pk"))
        # The row's own phone or email is tested first, so an empty one never looks
        # through every other empty one (8 s at 20,000 records; 0.08 s so).
        return queryset.filter(contact_erased_at__isnull=True).filter(
            (~Q(phone="") & Exists(others.filter(phone=OuterRef("phone"))))
            | (~Q(email="") & Exists(others.filter(email=OuterRef("email"))))
        )


class NeighborForm(forms.ModelForm):
    class Meta:
        model = Neighbor
        # What the neighbor gives on the public form, then what only coordinators set.
        fields = [
            *ContactForm.Meta.fields,
            "address",
            "pod",
            "share_with_point_people",
            "keep_until",
            "keep_reason",
        ]

    def clean_email(self):
        # Stored as the public form stores it, so a returning neighbor's details match.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        keep_until = cleaned.get("keep_until")
        if keep_until and not (cleaned.get("keep_reason") or "").strip():
            self.add_error(
                "keep_reason",
                _("Say why these details are kept longer: the reason goes on the audit trail."),
            )
        if keep_until and keep_until <= timezone.localdate():
            self.add_error("keep_until", _("Choose a date in the future."))
        return cleaned


def _rows_of(neighbor, rows, changelist, label):
    """A neighbor's requests or offers (`rows`), counted by `label(count)`, as a link to
    the admin `changelist` of just theirs; nothing for a record not saved yet."""
    if rows is None:
        return "-"
    count = rows.count()
    if not count:
        return label(count)
    query = urlencode({"neighbor": neighbor.pk})
    return format_html('<a href="{}?{}">{}</a>', reverse(changelist), query, label(count))


@admin.register(Neighbor)
class NeighborAdmin(
    KnownIdsInActions,
    NothingCutOffInTheAdmin,
    PhonesAsPeopleTypeThem,
    SafeAutocomplete,
    admin.ModelAdmin,
):
    """Contact details in the admin: only for those allowed to see them, and every look is
    recorded on the neighbor's requests, as in the workspace."""

    # No names: contact details are seen on a record's page, where the look is recorded.
    list_display = ["id", "language", "pod", "created_at", "keep_until"]
    ordering = ["-pk"]  # the list's own order, and the autocomplete's pages need one
    list_filter = [SharesContactFilter, "language", ("pod", DropDownFilter)]
    list_select_related = ["pod"]
    search_fields = ["name", "phone", "email"]
    phone_fields = phone_search_fields = ["phone"]
    autocomplete_fields = ["pod"]
    readonly_fields = ["created_at", "contact_erased_at", "their_requests", "their_offers"]
    form = NeighborForm

    @admin.display(description=pgettext_lazy("noun: a neighbor's need", "requests"))
    def their_requests(self, neighbor):
        """How many requests are on this record, linking to them in the request list."""
        return _rows_of(
            neighbor,
            neighbor.requests if neighbor.pk else None,
            "admin:requests_app_request_changelist",
            lambda count: (
                ngettext("%(count)d request", "%(count)d requests", count) % {"count": count}
            ),
        )

    @admin.display(description=pgettext_lazy("noun: something a neighbor can give", "offers"))
    def their_offers(self, neighbor):
        return _rows_of(
            neighbor,
            neighbor.offers if neighbor.pk else None,
            "admin:requests_app_offer_changelist",
            lambda count: ngettext("%(count)d offer", "%(count)d offers", count) % {"count": count},
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.contact_erased_at is not None:
            # Details typed into an erased record would never be erased: the retention
            # job erases only records that still hold details.
            return [*fields, *Neighbor.ERASED_FIELDS]
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"keep_until", "keep_reason"} & set(form.changed_data) and obj.keep_until:
            # The reason stays on the record, and goes when its details are erased; the
            # trail, which is never erased, says only that one was given.
            AuditEntry.objects.record(
                AuditAction.KEPT_LONGER,
                by=request.user,
                subject=f"neighbor {obj.pk}",
                detail=f"until {obj.keep_until:%Y-%m-%d}, with a reason",
            )

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and request.user.has_perm(
            "requests_app.view_contact_details"
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and request.user.has_perm(
            "requests_app.view_contact_details"
        )

    actions = ["merge_records"]

    def get_ordering(self, request):
        if request.GET.get(SharesContactFilter.parameter_name) == SharesContactFilter.SHARED:
            # Records that share a phone or an email, side by side.
            return ["phone", "email", "pk"]
        return super().get_ordering(request)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and changelist.query:
            # Found by a name, phone or email: that these records hold it is a look at
            # their details.
            record_contact_look(
                [neighbor.pk for neighbor in changelist.result_list], by=request.user
            )
            add_never_cache_headers(response)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The record's own number, however the address spelled it ("0012").
        shown = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and shown is not None:
            # The details are drawn: on opening the record, and again after a save with
            # errors.
            record_contact_look([shown.pk], by=request.user)
            add_never_cache_headers(response)
        return response

    def has_merge_permission(self, request):
        """Joining deletes records: a permission of its own (Coordinators have it), on top
        of seeing and changing contact details."""
        return self.has_change_permission(request) and request.user.has_perm(
            "requests_app.merge_neighbors"
        )

    @admin.action(description=_("Join records of the same neighbor"), permissions=["merge"])
    def merge_records(self, request, queryset):
        # One more than may be joined, to say so without reading a whole list.
        records = list(
            queryset.annotate(
                request_count=models.Count("requests", distinct=True),
                offer_count=models.Count("offers", distinct=True),
            )
            .select_related("pod")
            .order_by("pk")[: MERGE_AT_MOST + 1]
        )
        form = MergeNeighborsForm(records, request.POST if "apply" in request.POST else None)
        try:
            check_can_merge(records)
            if not form.is_valid():
                return self._merge_page(request, form, records)
            keep = merge_neighbors(form.cleaned_data["keep"], records, by=request.user)
        except CannotMerge as refusal:
            self.message_user(request, str(refusal), level=messages.ERROR)
            return None
        except OperationalError:  # a deadlock or lock timeout with someone else's change
            self.message_user(
                request,
                _(
                    "Someone changed these records at the same moment. Nothing was joined: try again."
                ),
                level=messages.ERROR,
            )
            return None
        # The kept record's history says it, naming nobody (the audit action's msgid:
        # the admin translates a changed field's name when it shows the history).
        self.log_change(request, keep, [{"changed": {"fields": ["Neighbor records joined"]}}])
        joined = len(records) - 1
        self.message_user(
            request,
            ngettext(
                "%(count)d record joined into %(neighbor)s.",
                "%(count)d records joined into %(neighbor)s.",
                joined,
            )
            % {"count": joined, "neighbor": keep},
        )
        return None

    def _merge_page(self, request, form, records):
        """The records side by side, to choose the one to keep: a recorded look."""
        record_contact_look([record.pk for record in records], by=request.user)
        response = TemplateResponse(
            request,
            "admin/requests_app/neighbor/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Join records of the same neighbor"),
                "form": form,
                "records": records,
                "rows": _side_by_side(records),
                "opts": self.model._meta,
            },
        )
        add_never_cache_headers(response)
        return response


def _side_by_side(records):
    """What each record says, a line per field and a column per record, so a coordinator
    can compare them: (label, text direction, values)."""
    fields = [
        (_("Name"), "auto", lambda record: record.name),
        (_("Phone"), "ltr", lambda record: record.phone),
        (_("Email"), "ltr", lambda record: record.email),
        (_("Address"), "auto", lambda record: record.address),
        (_("Best time"), "auto", lambda record: record.best_time),
        (_("WhatsApp"), "auto", lambda record: yesno(record.whatsapp_ok)),
        (
            _("Best way"),
            "auto",
            lambda record: (
                record.get_preferred_contact_display() if record.preferred_contact else ""
            ),
        ),
        (_("Language"), "auto", lambda record: record.get_language_display()),
        (_("Pod"), "auto", lambda record: record.pod or ""),
        (_("Point people may see"), "auto", lambda record: yesno(record.share_with_point_people)),
        (_("Requests"), "auto", lambda record: record.request_count),
        (_("Offers"), "auto", lambda record: record.offer_count),
        (_("Created"), "auto", lambda record: date_format(record.created_at, "SHORT_DATE_FORMAT")),
        (
            capfirst(Neighbor._meta.get_field("keep_until").verbose_name),
            "auto",
            lambda record: (
                date_format(record.keep_until, "SHORT_DATE_FORMAT") if record.keep_until else ""
            ),
        ),
        (
            capfirst(Neighbor._meta.get_field("keep_reason").verbose_name),
            "auto",
            lambda record: record.keep_reason,
        ),
    ]
    return [(label, direction, [value(r) for r in records]) for label, direction, value in fields]


class MergeNeighborsForm(forms.Form):
    def __init__(self, records, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"] = forms.ModelChoiceField(
            label=_("Record to keep"),
            queryset=Neighbor.objects.filter(pk__in=[record.pk for record in records]),
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose the record to keep.")},
        )


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


def filtered_field(model, lookup):
    """The model field a list filter's `lookup` starts from, by name: `neighbor_id`,
    `neighbor__pk` and `neighbor__id__in` all filter by `neighbor`."""
    try:
        return model._meta.get_field(lookup.split(LOOKUP_SEP)[0]).name
    except FieldDoesNotExist:
        return None


class SecretsNeverFiltered:
    """Django lets a list be filtered by any of its own fields from the address bar
    (`?status_token__startswith=a`), and a list that answers "some" or "none" gives a
    secret away one character at a time. The fields in `secret_fields` (private links,
    second-step keys) are never filtered by, whoever asks, as Django's own user list
    does for passwords."""

    secret_fields = ()

    def lookup_allowed(self, lookup, value, request=None):
        if filtered_field(self.model, lookup) in self.secret_fields:
            return False
        return super().lookup_allowed(lookup, value, request)


class HidesTheNeighbor:
    """For records that point to a neighbor (requests, offers): without the contact
    permission the neighbor field is neither shown nor offered, and nothing is searched
    by the neighbor's name or phone, which would be a way of seeing who they are."""

    def _sees_contact(self, request):
        return request.user.has_perm("requests_app.view_contact_details")

    def get_search_fields(self, request):
        if self._sees_contact(request):
            return self.search_fields
        return [field for field in self.search_fields if not field.startswith("neighbor__")]

    def get_exclude(self, request, obj=None):
        return None if self._sees_contact(request) else ["neighbor"]

    def get_readonly_fields(self, request, obj=None):
        """A row on a record whose details were erased stays there, anonymous: the field
        offers only records whose details are held (the model's limit_choices_to)."""
        fields = super().get_readonly_fields(request, obj)
        if (
            self._sees_contact(request)
            and obj is not None
            and obj.neighbor_id is not None
            and obj.neighbor.contact_erased_at is not None
        ):
            return [*fields, "neighbor"]
        return fields

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        return fields if self._sees_contact(request) else [f for f in fields if f != "neighbor"]

    def lookup_allowed(self, lookup, value, request=None):
        """A list filtered by neighbor (a neighbor's page links to theirs) says which rows
        are the same person's: only with the contact permission."""
        if filtered_field(self.model, lookup) == "neighbor" and not (
            request is not None and self._sees_contact(request)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)


# The most requests one bulk action changes (Move to another pod, Close as duplicates).
BULK_AT_MOST = 500


@admin.register(Request)
class RequestAdmin(
    KnownIdsInActions,
    SecretsNeverFiltered,
    NothingCutOffInTheAdmin,
    PhonesAsPeopleTypeThem,
    SeekPaging,
    HidesTheNeighbor,
    SafeAutocomplete,
    admin.ModelAdmin,
):
    list_display = ["reference", "category", "pod", "urgency", "language", "status", "created_at"]
    secret_fields = ["status_token"]
    # Dates by "today, past 7 days, this month, this year" rather than a date hierarchy,
    # whose month links cost a full scan of the table on every visit (130 ms for 100,000
    # requests), and two more queries.
    list_filter = [
        "status",
        "urgency",
        "category",
        "language",
        "channel",
        ("pod", DropDownFilter),  # 500 pods in a network
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["category", "pod"]
    search_fields = ["reference", "details", "neighbor__name", "neighbor__phone"]
    phone_search_fields = ["neighbor__phone"]
    autocomplete_fields = ["neighbor", "category", "pod", "referral", "duplicate_of"]
    # Newest first on the (created_at, id) index, paged by a cursor (admin_paging), and
    # no second COUNT(*) of the whole table next to the filtered one.
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    # Status only changes through the model's transition methods, never by editing; so do
    # the pod (the "Move to another pod" action), repeating help and its dates (the
    # volunteers' workspace), the offer it was connected with, and the follow-ups' marks.
    # Edited here, they skipped each method's checks and timeline (a repeat without a
    # date broke the rota page), and a drop-down drew every request, offer or volunteer.
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
        "pod",
        "repeat",
        "repeat_until",
        "repeat_stopped_at",
        "series",
        "due_date",
        "matched_offer",
        "offered_to",
        "offered_until",
        "escalated_at",
    ]
    inlines = [ClaimInline, EventInline]

    actions = ["export_csv", "export_csv_with_contact", "assign_pod", "close_as_duplicate"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is None:  # a request made here is put in its pod as it is made
            return [field for field in fields if field != "pod"]
        return fields

    def has_add_permission(self, request):
        """A request is a neighbor's, and the neighbor field is only for those who may see
        contact details: without it, the form could only fail (a 500, whose log line
        held the new request's private link)."""
        return super().has_add_permission(request) and self._sees_contact(request)

    def has_export_permission(self, request):
        return request.user.has_perm("requests_app.export_requests")

    def has_export_contact_permission(self, request):
        return request.user.has_perm("requests_app.export_contact_details")

    def has_triage_permission(self, request):
        return request.user.has_perm("requests_app.triage_request")

    @admin.action(description=_("Export as CSV, without contact details"), permissions=["export"])
    def export_csv(self, request, queryset):
        return export_requests(queryset, user=request.user, with_contact=False)

    @admin.action(
        description=_("Export as CSV WITH contact details (recorded)"),
        permissions=["export_contact"],
    )
    def export_csv_with_contact(self, request, queryset):
        return export_requests(queryset, user=request.user, with_contact=True)

    def _intermediate(self, request, queryset, form, action, title):
        return TemplateResponse(
            request,
            "admin/requests_app/request/bulk_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "action": action,
                "queryset": queryset,
                "opts": self.model._meta,
            },
        )

    def _too_many(self, request, queryset):
        """More than BULK_AT_MOST requests (the whole list chosen with "Select all"): said,
        and nothing done. The page that asks which pod or which original carries each
        one's id, and a post of more than Django's 1,000 fields is refused; one
        transaction for thousands would hold their rows for minutes."""
        if len(queryset.values("pk")[: BULK_AT_MOST + 1]) <= BULK_AT_MOST:
            return False
        self.message_user(
            request,
            ngettext(
                "Choose at most %(count)d request at a time: narrow the list with a filter.",
                "Choose at most %(count)d requests at a time: narrow the list with a filter.",
                BULK_AT_MOST,
            )
            % {"count": BULK_AT_MOST},
            level=messages.ERROR,
        )
        return True

    def _all_or_nothing(self, request, queryset, change):
        """`change` each chosen request, all in one transaction or none, and return what
        each call returned. The rows are locked first, in id order like every change that
        locks several requests, so two coordinators (or a volunteer) acting on the same
        rows queue up instead of waiting on each other for ever. A lock that does not
        come in time is said, with nothing changed: None then."""
        try:
            with transaction.atomic():
                rows = Request.objects.filter(pk__in=queryset.values("pk")).order_by("pk")
                return [change(aid_request) for aid_request in rows.select_for_update()]
        except OperationalError:  # a deadlock or lock timeout with someone else's change
            self.message_user(
                request,
                _(
                    "Someone changed these requests at the same moment. Nothing was changed: try again."
                ),
                level=messages.ERROR,
            )
            return None

    @admin.action(description=_("Move to another pod"), permissions=["triage"])
    def assign_pod(self, request, queryset):
        if self._too_many(request, queryset):
            return None
        form = AssignPodForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._intermediate(
                request, queryset, form, "assign_pod", _("Move to another pod")
            )
        pod = form.cleaned_data["pod"]
        moved = self._all_or_nothing(
            request, queryset, lambda aid_request: aid_request.assign_pod(pod, by=request.user)
        )
        if moved is None:
            return None
        count = len(moved)
        self.message_user(
            request,
            ngettext(
                "%(count)d request moved to %(pod)s.", "%(count)d requests moved to %(pod)s.", count
            )
            % {"count": count, "pod": pod},
        )
        return None

    @admin.action(description=_("Close as duplicates of another request"), permissions=["triage"])
    def close_as_duplicate(self, request, queryset):
        if self._too_many(request, queryset):
            return None
        form = DuplicateOfForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._intermediate(
                request, queryset, form, "close_as_duplicate", _("Close as duplicates")
            )
        original = form.cleaned_data["reference"]

        def close(aid_request):
            # As a volunteer closes one: the neighbor is told by email when they gave one.
            try:
                close_request(
                    aid_request, RequestStatus.DUPLICATE, by=request.user, duplicate_of=original
                )
            except InvalidTransition:  # already closed
                return False
            return True

        try:
            outcomes = self._all_or_nothing(request, queryset.exclude(pk=original.pk), close)
        except ValidationError:  # the one to keep was closed meanwhile: nothing changed
            self.message_user(request, DUPLICATE_OF_CLOSED, level=messages.ERROR)
            return None
        if outcomes is None:
            return None
        closed, skipped = outcomes.count(True), outcomes.count(False)
        self.message_user(
            request,
            ngettext(
                "%(count)d request closed as a duplicate.",
                "%(count)d requests closed as duplicates.",
                closed,
            )
            % {"count": closed},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d was already closed and stays as it was.",
                    "%(count)d were already closed and stay as they were.",
                    skipped,
                )
                % {"count": skipped},
                level=messages.WARNING,
            )
        return None


class AssignPodForm(forms.Form):
    pod = forms.ModelChoiceField(
        label=_("pod"),
        # volunteers depends on requests_app, never the reverse: name the model lazily.
        queryset=apps.get_model("volunteers", "Pod").objects.filter(active=True),
    )


class DuplicateOfForm(NothingCutOff, forms.Form):
    reference = forms.CharField(label=_("Reference of the request to keep"), max_length=12)

    def clean_reference(self):
        found = Request.objects.filter(
            reference=normalize_reference(self.cleaned_data["reference"])
        ).first()
        if found is None:
            raise forms.ValidationError(_("There is no request with that reference."))
        if found.is_closed:
            raise forms.ValidationError(DUPLICATE_OF_CLOSED)
        return found


@admin.register(Claim)
class ClaimAdmin(KnownIdsInActions, admin.ModelAdmin):
    list_display = ["request", "volunteer", "claimed_at", "released_at"]
    list_filter = ["released_at"]
    list_select_related = ["request", "volunteer"]
    search_fields = ["request__reference", "volunteer__name"]
    readonly_fields = ["request", "volunteer", "claimed_at", "released_at", "release_reason"]

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(KnownIdsInActions, admin.ModelAdmin):
    """Rows read, filtered and searched here; nobody adds, changes or deletes one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(SeekPaging, ReadOnlyAdmin):
    """Every request's timeline, across the network: read, never edited or deleted."""

    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    list_display = ["created_at", "request", "kind", "actor", "by_neighbor"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["request", "actor"]
    search_fields = ["request__reference"]


@admin.register(Offer)
class OfferAdmin(
    KnownIdsInActions,
    SecretsNeverFiltered,
    NothingCutOffInTheAdmin,
    HidesTheNeighbor,
    SafeAutocomplete,
    admin.ModelAdmin,
):
    secret_fields = ["token"]
    list_display = ["reference", "category", "pod", "status", "serves_many", "until", "created_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and not self._sees_contact(request):
            # Without the neighbor field, an offer added here is a volunteer's: one with
            # no giver at all is refused by the database (a 500, not a word in the form).
            form.base_fields["volunteer"].required = True
        return form

    list_filter = ["status", "category", "serves_many", ("pod", DropDownFilter)]
    list_select_related = ["category", "pod"]
    search_fields = ["reference", "details", "neighbor__name", "volunteer__name"]
    autocomplete_fields = ["neighbor", "volunteer", "category", "pod"]
    readonly_fields = ["reference", "status", "created_at"]


@admin.register(Resource)
class ResourceAdmin(KnownIdsInActions, NothingCutOffInTheAdmin, TranslationAdmin):
    list_display = ["name", "phone", "active"]
    list_filter = ["active", "categories"]
    search_fields = ["name", "description"]
    filter_horizontal = ["categories"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


admin.site.site_header = _("Waltham Aid coordinators")
admin.site.site_title = _("Waltham Aid")


@admin.register(AuditEntry)
class AuditEntryAdmin(SeekPaging, ReadOnlyAdmin):
    """The audit trail: read it, filter it; nobody adds, changes or deletes a line."""

    seek_keys = ("at", "pk")
    list_display = ["at", "username", "action", "subject", "detail"]
    # No filter by user name: its list would read every distinct name in the trail on every
    # page. The search box finds a user name.
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["username", "subject", "detail"]
    # A date filter, not a date hierarchy: its month links read the whole trail each time.
    show_full_result_count = False
