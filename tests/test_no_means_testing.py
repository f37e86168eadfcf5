"""Solidarity, not charity: we never ask about income, status, ID, age or why."""

import inspect
import re

from django import forms
from django.apps import apps

FORBIDDEN = re.compile(
    r"income|salary|wage|earning|benefit|welfare|immigra|citizen|visa|passport|"
    r"\bssn\b|social.?security|license|identification|\bid.?number|date.?of.?birth|birth|\bdob\b|"
    r"\bage\b|household.?(size|income|finance)|financ|employ|\bwhy\b|reason.?for|"
    r"deserv|eligib|proof",
    re.IGNORECASE,
)
OUR_APPS = ["requests_app", "volunteers"]


def words_of_model_field(field):
    return f"{field.name} {getattr(field, 'verbose_name', '')} {getattr(field, 'help_text', '')}"


def test_no_model_stores_a_means_testing_question():
    offending = [
        f"{model.__name__}.{field.name}"
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if FORBIDDEN.search(words_of_model_field(field))
        # release_reason is why a *volunteer* gave a request back, not a question to neighbors.
        and field.name != "release_reason"
    ]
    assert offending == []


def our_forms():
    for app in OUR_APPS:
        module = getattr(apps.get_app_config(app).module, "forms", None)
        if module is None:
            try:
                module = __import__(f"{app}.forms", fromlist=["*"])
            except ModuleNotFoundError:
                continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_no_form_asks_a_means_testing_question():
    offending = []
    for form_class in our_forms():
        for name, field in form_class.base_fields.items():
            words = f"{name} {field.label or ''} {field.help_text or ''}"
            if FORBIDDEN.search(str(words)):
                offending.append(f"{form_class.__name__}.{name}")
    assert offending == []


def test_the_check_itself_catches_a_forbidden_field():
    class Sneaky(forms.Form):
        household_income = forms.IntegerField(label="Monthly income")

    assert FORBIDDEN.search(f"household_income {Sneaky.base_fields['household_income'].label}")
