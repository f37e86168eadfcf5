import time
import unicodedata
from functools import cached_property

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from requests_app.antispam import form_started_token, seconds_since_form_started
from requests_app.localized import TranslatedNameChoiceField
from requests_app.models import Category, ContactMethod, Neighbor, Urgency
from volunteers.models import Pod

LANGUAGE_CHOICES = settings.LANGUAGES


def reject_control_characters(value):
    """NUL and other invisible control characters break storage and display; tabs and
    new lines are fine, and so are the marks Arabic and emoji need (format characters)."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in value):
        raise ValidationError(
            _("Please remove the invisible control characters from this text."),
            code="control_characters",
        )


class PhoneField(forms.CharField):
    """A phone number typed any way people type them; stored as E.164 (+16175550142).
    US numbers need no country code; international numbers start with +."""

    default_error_messages = {
        "invalid": _("Enter a phone number we can call, like 617-555-0142 or +55 11 91234 5678."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        number = as_phone_number(value)
        if not number:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


def as_phone_number(text):
    """`text` as we store phone numbers (E.164), or "" if it is not one we can call."""
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, category):
        if not category.description:
            return category.name
        return format_html(
            '{} <small class="muted">{}</small>', category.name, category.description
        )


# What the public forms offer to choose from: their pages are kept in memory under these
# tables' version (waltham_aid/kept_pages.py).
PUBLIC_CHOICES = (Pod, Category)

# A form sent back this close to FORM_MAX_SECONDS gets a new start time, so its fix is
# not refused as a page left open too long.
FRESH_START_MARGIN_SECONDS = 3600


class NothingCutOff:
    """No maxlength in the page: a browser cuts pasted text there without a word. The
    length is checked when the form is sent, and a text too long comes back whole, with
    the error, in the reader's language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)


class PublicForm(NothingCutOff, forms.Form):
    """What every public form has: a honeypot, a signed start time, and no control
    characters in any text. Errors keep every typed value."""

    # People never see this field (it is off-screen and skipped by keyboard); robots fill it.
    homepage = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    submit_label = _("Send")
    # Off for volunteers entering a request on someone's behalf: they are signed in.
    check_for_robots = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.check_for_robots:
            del self.fields["homepage"]
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(reject_control_characters)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *(name for name in self.fields if name != "homepage"),
            *([Field("homepage", wrapper_class="honey")] if self.check_for_robots else []),
        )

    @cached_property
    def form_age(self):
        """Seconds since this form was drawn, by the signed start time it came with; None
        when that was missing, forged or older than FORM_MAX_SECONDS."""
        age = seconds_since_form_started(self.data.get("started"))
        return None if age is None or age > settings.FORM_MAX_SECONDS else age

    @cached_property
    def started(self):
        """The start time of a form sent back with an error. The one it came with, whose
        age is how long this person has been on the page, so a quick fix is not taken for
        a robot's speed; a new one when it was missing or forged; and when it was close to
        too old, a new one dated FORM_MIN_SECONDS back (they have been here long enough)."""
        if not self.is_bound or self.form_age is None:
            return None  # a new one, drawn with the page
        if self.form_age > settings.FORM_MAX_SECONDS - min(
            FRESH_START_MARGIN_SECONDS, settings.FORM_MAX_SECONDS / 2
        ):
            return form_started_token(time.time() - settings.FORM_MIN_SECONDS)
        return self.data["started"]

    def clean(self):
        cleaned = super().clean()
        if not self.check_for_robots:
            return cleaned
        if cleaned.get("homepage"):
            raise ValidationError(
                _(
                    "This looks like it was filled in by a program. If you are a person, please call us."
                ),
                code="honeypot",
            )
        if self.form_age is None:
            raise ValidationError(
                _(
                    "This page was open for a long time. Please check what you wrote and send it again."
                ),
                code="stale",
            )
        if self.form_age < settings.FORM_MIN_SECONDS:
            raise ValidationError(
                _(
                    "That was faster than a person can type. Please check what you wrote and send it again."
                ),
                code="too_fast",
            )
        return cleaned


class ContactForm(PublicForm, forms.ModelForm):
    """How to reach a neighbor: at least a phone or an email, nothing else required."""

    name = forms.CharField(
        label=_("What should we call you?"),
        required=False,
        max_length=100,
        help_text=_("Any name you like."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    phone = PhoneField(label=_("Phone"), required=False)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    whatsapp_ok = forms.BooleanField(label=_("You can reach me on WhatsApp"), required=False)
    preferred_contact = forms.ChoiceField(
        label=_("The best way to reach me"),
        choices=ContactMethod.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    best_time = forms.CharField(
        label=_("Best time to reach you"),
        required=False,
        max_length=100,
        help_text=_("For example: weekday evenings."),
    )
    language = forms.ChoiceField(label=_("Your language"), choices=LANGUAGE_CHOICES)

    class Meta:
        model = Neighbor
        fields = [
            "name",
            "phone",
            "email",
            "whatsapp_ok",
            "preferred_contact",
            "best_time",
            "language",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()

    def clean(self):
        cleaned = super().clean()
        phone, email = cleaned.get("phone"), cleaned.get("email")
        if not phone and not email and "phone" not in self.errors and "email" not in self.errors:
            self.add_error("phone", _("Leave a phone number or an email so we can reach you."))
        preferred = cleaned.get("preferred_contact")
        if preferred == ContactMethod.EMAIL and not email and "email" not in self.errors:
            self.add_error(
                "email", _("You chose email as the best way: please add your email address.")
            )
        if (
            preferred in {ContactMethod.CALL, ContactMethod.TEXT, ContactMethod.WHATSAPP}
            and not phone
            and "phone" not in self.errors
        ):
            self.add_error("phone", _("You chose a phone as the best way: please add your number."))
        return cleaned

    def contact_details(self):
        """The cleaned neighbor fields (contact, and where the form asks: address, pod,
        sharing consent), ready for find_or_create_neighbor."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class NeedsForm(PublicForm):
    """What a neighbor needs and how soon, in their own words: the first part of the ask
    form, and all there is to asking again from the status page."""

    needs = CategoryChoiceField(
        label=_("What do you need?"),
        queryset=Category.objects.for_needs(),
        help_text=_("Choose one or more."),
        error_messages={"required": _("Choose at least one thing you need.")},
    )
    details = forms.CharField(
        label=_("Tell us more (optional)"),
        required=False,
        max_length=2000,
        help_text=_("In any language. For example: what, how much, any allergies."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgency = forms.TypedChoiceField(
        label=_("How soon?"),
        choices=Urgency.choices,
        coerce=int,
        initial=Urgency.THIS_WEEK,
        widget=forms.RadioSelect,
    )
    submit_label = _("Send my request")


class AskForm(NeedsForm, ContactForm):
    address = forms.CharField(
        label=_("Where? (optional)"),
        required=False,
        max_length=200,
        help_text=_("Cross streets or an address. Only the volunteer who helps you will see it."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    share_with_point_people = forms.TypedChoiceField(
        label=_("Who may see how to reach you?"),
        choices=[
            ("no", _("Only the volunteer who takes my request")),
            ("yes", _("Also my pod's point people, who help organise")),
        ],
        coerce=lambda value: value == "yes",
        initial="no",
        widget=forms.RadioSelect,
    )

    class Meta(ContactForm.Meta):
        fields = [*ContactForm.Meta.fields, "address", "pod", "share_with_point_people"]
        labels = {"pod": _("Your pod, if you know it")}
        field_classes = {"pod": TranslatedNameChoiceField}

    field_order = [
        "needs",
        "details",
        "urgency",
        "name",
        "phone",
        "email",
        "whatsapp_ok",
        "preferred_contact",
        "best_time",
        "language",
        "address",
        "pod",
        "share_with_point_people",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pod"].empty_label = _("I don't know")


class OffersForm(PublicForm):
    """What a neighbor can give, when and where: the first part of the offer form, and all
    there is to offering again from an offer's private page."""

    offers = CategoryChoiceField(
        label=_("What can you offer?"),
        queryset=Category.objects.for_offers(),
        help_text=_("Choose one or more."),
        error_messages={"required": _("Choose at least one thing you can offer.")},
    )
    details = forms.CharField(
        label=_("Tell us more (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    availability = forms.CharField(
        label=_("When are you available?"),
        required=False,
        max_length=200,
        help_text=_("For example: Saturday mornings, or any evening."),
    )
    area = forms.CharField(
        label=_("Area (optional)"),
        required=False,
        max_length=200,
        help_text=_("Streets or a neighborhood where you can help."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    until = forms.DateField(
        label=_("Until when? (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    serves_many = forms.BooleanField(
        label=_("This can help many people (for example a community fridge)"), required=False
    )
    submit_label = _("Send my offer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].initial = [get_language()]

    def clean_until(self):
        """An offer ending in the past would never be shown to anyone: say so now."""
        until = self.cleaned_data["until"]
        if until is not None and until < timezone.localdate():
            raise ValidationError(
                _("This day has passed. Choose today or a later day, or leave it empty."),
                code="past",
            )
        return until

    def offer_details(self):
        """What the offers say besides which they are (create_offers, offer_again)."""
        return {
            name: self.cleaned_data[name]
            for name in OffersForm.declared_fields
            if name not in ("offers", "homepage")
        }


class OfferForm(OffersForm, ContactForm):
    class Meta(ContactForm.Meta):
        fields = [*ContactForm.Meta.fields, "pod"]
        labels = {"pod": _("Your pod, if you know it")}
        field_classes = {"pod": TranslatedNameChoiceField}

    field_order = [
        "offers",
        "details",
        "availability",
        "pod",
        "area",
        "languages",
        "until",
        "serves_many",
        "name",
        "phone",
        "email",
        "whatsapp_ok",
        "preferred_contact",
        "best_time",
        "language",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pod"].empty_label = _("I don't know")


class MessageForm(PublicForm):
    """A neighbor writes to whoever is helping, from the status page."""

    text = forms.CharField(
        label=_("Send a message to whoever is helping you"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submit_label = _("Send message")
