from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.forms import LANGUAGE_CHOICES, CategoryChoiceField, PhoneField, PublicForm
from requests_app.models import Category
from volunteers.models import Pod


class SignUpForm(PublicForm):
    """Join as a volunteer: a coordinator approves before any access to anyone's details."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(
        label=_("Email"),
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
