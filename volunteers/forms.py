from datetime import timedelta
from functools import partial

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db.models import F, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.antispam import client_key, has_token, keyed, take_token
from requests_app.forms import (
    LANGUAGE_CHOICES,
    PUBLIC_CHOICES,
    AskForm,
    CategoryChoiceField,
    NothingCutOff,
    PhoneField,
    PublicForm,
    reject_control_characters,
)
from requests_app.localized import translated_name
from requests_app.models import (
    CLOSED,
    DUPLICATE_OF_CLOSED,
    AuditAction,
    AuditEntry,
    Category,
    Channel,
    Repeat,
    Request,
    RequestStatus,
    Resource,
    Urgency,
    normalize_reference,
)
from volunteers.models import Pod, Volunteer
from waltham_aid.kept_pages import current_version, remembered
from waltham_aid.widgets import PlainSelect


class SignUpForm(PublicForm):
    """Join as a volunteer: a coordinator approves before any access to anyone's details."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(
        label=_("Email"),
        # Volunteer.email holds 254 characters; Django's validator lets 320 through.
        max_length=254,
        help_text=_("We send your sign-in link here once a coordinator has approved you."),
    )
    phone = PhoneField(label=_("Phone (optional)"), required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
    )
    pods = forms.ModelMultipleChoiceField(
        label=_("Pods where you can help"),
        queryset=Pod.objects.active(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty if you don't know; a coordinator will help you choose."),
    )
    categories = CategoryChoiceField(
        label=_("What you can help with"),
        queryset=Category.objects.active(),
        required=False,
    )
    availability = forms.CharField(
        label=_("When are you available?"),
        required=False,
        max_length=200,
        help_text=_("For example: Saturday mornings, or any evening."),
    )
    agree = forms.BooleanField(
        label=_(
            "I promise to keep neighbors' details private: I use them only to help, share them with nobody, and delete them when I am done."
        ),
        error_messages={"required": _("Volunteers must make this promise before they can help.")},
    )
    submit_label = _("Sign up")


# --- The workspace ---------------------------------------------------------------------


def _choices(empty_label, table):
    return [("", empty_label), *((key, shown) for key, (_pk, shown) in table.items())]


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string. Garbage values are ignored.

    The pods and needs are read in one query, kept in the process while no pod or
    category changes (waltham_aid/kept_pages.py), and the same rows both check what was
    chosen and draw the lists (a ModelChoiceField reads its table once for each)."""

    # Only choices, never words: its drawing may be kept for the next volunteer who
    # filters the same way (waltham_aid/templatetags/drawn_forms.py).
    keep_drawn_when_filled = True

    pod = forms.ChoiceField(label=_("Pod"), required=False, widget=PlainSelect)
    need = forms.ChoiceField(label=_("Need"), required=False, widget=PlainSelect)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("All languages")), *LANGUAGE_CHOICES],
        required=False,
        widget=PlainSelect,
    )
    urgency = forms.TypedChoiceField(
        label=_("How soon"),
        choices=[("", _("Any time")), *Urgency.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", _("New and open")),
            (RequestStatus.NEW, RequestStatus.NEW.label),
            (RequestStatus.OPEN, RequestStatus.OPEN.label),
            (RequestStatus.CLAIMED, RequestStatus.CLAIMED.label),
        ],
        required=False,
    )
    older_than = forms.TypedChoiceField(
        label=_("Waiting for"),
        choices=[
            ("", _("Any age")),
            (1, _("More than a day")),
            (3, _("More than 3 days")),
            (7, _("More than a week")),
        ],
        coerce=int,
        required=False,
        empty_value=None,
    )
    unclaimed = forms.BooleanField(label=_("Unclaimed only"), required=False)
    needs_interpreter = forms.BooleanField(
        label=_("Needs an interpreter, in a language I speak"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once per process and language while no pod or category changes; the
        # version is also what the drawn filters depend on besides the language.
        self.choices_version = current_version(PUBLIC_CHOICES)
        self.pods, self.needs = remembered("queue-filters", self.choices_version, self.read_choices)
        # Callables: a field walks a list of choices to check it when it is given one, and
        # the network's 500 pods on every page added 5 ms. A callable is walked only to
        # check a chosen pod or need, or to draw a list the page has not kept.
        self.fields["pod"].choices = partial(_choices, _("All pods"), self.pods)
        self.fields["need"].choices = partial(_choices, _("All needs"), self.needs)

    @staticmethod
    def read_choices():
        """Both lists in one query: the active pods by name, then the active needs in
        their order. A pod is chosen by its number, a need by its short name."""
        columns = ["kind", "rank", "sort", "pk", "slug", "shown"]
        pods = Pod.objects.active().annotate(
            kind=Value("pod"), rank=Value(0), sort=translated_name(), shown=translated_name()
        )
        needs = Category.objects.active().annotate(
            kind=Value("need"), rank=F("order"), sort=F("slug"), shown=translated_name()
        )
        by_pod, by_need = {}, {}
        for kind, _rank, _sort, pk, slug, shown in (
            pods.order_by()
            .values_list(*columns)
            .union(needs.order_by().values_list(*columns), all=True)
            .order_by("kind", "rank", "sort")
        ):
            if kind == "pod":
                by_pod[str(pk)] = (pk, shown)
            else:
                by_need[slug] = (pk, shown)
        return by_pod, by_need

    def clean_pod(self):
        """The chosen pod's number, or None for all pods."""
        return self.pods.get(self.cleaned_data["pod"], (None,))[0]

    def clean_need(self):
        """The chosen need's number, or None for all needs."""
        return self.needs.get(self.cleaned_data["need"], (None,))[0]


class ReasonForm(NothingCutOff, forms.Form):
    reason = forms.CharField(
        label=_("A few words for the pod (they will see this)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[reject_control_characters],
    )


class TextForm(NothingCutOff, forms.Form):
    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[reject_control_characters],
    )


class AttemptForm(NothingCutOff, forms.Form):
    text = forms.CharField(
        label=_("What happened? (optional)"),
        required=False,
        max_length=500,
        help_text=_("For example: called, no answer, left a voicemail."),
        validators=[reject_control_characters],
    )


class CloseForm(NothingCutOff, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(status, status.label) for status in RequestStatus if status in CLOSED],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("A note for the neighbor"),
        required=False,
        max_length=2000,
        help_text=_("They see it on their status page. Needed for “could not help”."),
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[reject_control_characters],
    )
    referral = forms.ModelChoiceField(
        label=_("A place that may help (optional)"),
        queryset=Resource.objects.filter(active=True),
        required=False,
        empty_label=_("None"),
    )
    duplicate_of = forms.CharField(
        label=_("Reference of the other request (for a duplicate)"),
        required=False,
        max_length=12,
    )

    def __init__(self, *args, aid_request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.aid_request = aid_request

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip()
        if not reference:
            return None
        other = Request.objects.filter(reference=normalize_reference(reference)).first()
        if other is None or other == self.aid_request:
            raise forms.ValidationError(_("There is no other request with that reference."))
        if other.is_closed:
            raise forms.ValidationError(DUPLICATE_OF_CLOSED)
        return other


class TriageForm(forms.Form):
    pod = forms.ModelChoiceField(label=_("Pod"), queryset=Pod.objects.active())
    urgency = forms.TypedChoiceField(label=_("How soon"), choices=Urgency.choices, coerce=int)


class ReassignForm(forms.Form):
    volunteer = forms.ModelChoiceField(
        label=_("Give it to"), queryset=Volunteer.objects.approved().order_by("name")
    )


class TakeRequestForm(AskForm):
    """A volunteer enters a request heard by phone, WhatsApp, a door letter, email or in
    person. Signed in, so no robot checks and no rate limit."""

    check_for_robots = False
    channel = forms.ChoiceField(
        label=_("How did the neighbor reach us?"),
        choices=[choice for choice in Channel.choices if choice[0] != Channel.WEB],
    )
    submit_label = _("Save the request")
    field_order = ["channel", *AskForm.field_order]


class ThrottledSignIn:
    """Failed sign-ins are counted per address and per account; past the limit even the
    right password waits, so nobody can guess a volunteer's password by trying."""

    def _buckets(self):
        username = (self.data.get("username") or "").strip().lower()
        return [
            (client_key(self.request, "sign-in"), settings.SIGN_IN_FAILURES_PER_ADDRESS),
            (keyed(username, "sign-in-account"), settings.SIGN_IN_FAILURES_PER_ACCOUNT),
        ]

    def clean(self):
        buckets = self._buckets() if self.request is not None else []
        if not all(has_token(key, capacity=n, per_seconds=s) for key, (n, s) in buckets):
            AuditEntry.objects.record(AuditAction.SIGN_IN_REFUSED)
            raise forms.ValidationError(
                _(
                    "Too many tries to sign in. Please wait 15 minutes and try again, or ask a coordinator to help."
                ),
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            for key, (capacity, per_seconds) in buckets:
                take_token(key, capacity=capacity, per_seconds=per_seconds)
            raise


class AdminSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    pass


class SignInForm(ThrottledSignIn, AuthenticationForm):
    """Only approved volunteers (and coordinators' staff accounts) get in."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        approved = Volunteer.objects.approved().filter(user=user).exists()
        if not (approved or user.is_staff):
            raise forms.ValidationError(
                _("Your sign-up is waiting for a coordinator's approval."), code="not_approved"
            )


class ChoosePasswordForm(PasswordResetForm):
    """ "Forgot your password?" also for an approved volunteer who never chose one: the
    login is made without a password (approve_volunteer) and the welcome link to choose
    it lasts three days. Django's form skips a login without a usable password, so after
    that they could never get in."""

    def get_users(self, email):
        for user in super().get_users(email):
            yield user
        never_chose = (
            Volunteer.objects.approved().filter(user__email__iexact=email).select_related("user")
        )
        for volunteer in never_chose:
            user = volunteer.user
            if not user.has_usable_password() and user.email.casefold() == email.casefold():
                yield user


# How far from today the date of a repeating request may be.
REPEAT_WINDOW = timedelta(days=366)


class RepeatForm(forms.Form):
    repeat = forms.ChoiceField(
        label=_("Repeats"), choices=[c for c in Repeat.choices if c[0]], widget=forms.RadioSelect
    )
    first_date = forms.DateField(
        label=_("Date of this one"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to repeat until someone stops it."),
    )

    def clean(self):
        cleaned = super().clean()
        first, until = cleaned.get("first_date"), cleaned.get("until")
        today = timezone.localdate()
        if first and not today - REPEAT_WINDOW <= first <= today + REPEAT_WINDOW:
            self.add_error("first_date", _("Choose a date within a year of today."))
        elif first and until and until < first:
            self.add_error("until", _("The last date cannot be before the first one."))
        return cleaned


class TranslationForm(NothingCutOff, forms.Form):
    """A volunteer's translation of a request's details or of a message."""

    language = forms.ChoiceField(label=_("Into"), choices=LANGUAGE_CHOICES)
    text = forms.CharField(
        label=_("Translation"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[reject_control_characters],
    )
    event = forms.IntegerField(required=False, widget=forms.HiddenInput)
