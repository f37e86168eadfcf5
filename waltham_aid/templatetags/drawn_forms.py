"""{% draw_form form %}: a form's fields drawn by crispy-forms, once.

crispy-forms draws each field through a chain of a dozen templates: 25 ms for the ask form
on every visit, while the HTML is the same for everyone who reads the page in the same
language. So the HTML is kept in this process's memory (the `drawn_forms` cache), under a
fingerprint of everything it is drawn from: the form's class, the language, and for each
field its label, help text, widget attributes, value and choices. Change any of those,
for instance rename a pod, and the fingerprint changes with it: nothing is ever stale,
and nothing has to be told to forget.

Only empty forms are kept, so nothing a person typed stays in memory; a form that holds
only choices (the queue's filters) may say `keep_drawn_when_filled = True`. A form with
errors is drawn fresh every time.

The choices are read from the database once, for the fingerprint, and drawn from that
same list: the page sends as many queries as before, drawn or not.

The CSRF token and the form's signed start time are outside the drawn fields (the form
helpers set `disable_csrf`), so nothing personal or per-visit is ever kept.
"""

import hashlib

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from crispy_forms.utils import render_crispy_form
from django import forms, template
from django.core.cache import caches
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()


def _flat(choices):
    """Choices as plain strings, option groups included."""
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            yield str(value), list(_flat(label))
        else:
            yield str(value), str(label)


def _shape(item):
    """A form helper and its layout as plain data: their own repr holds memory addresses."""
    if isinstance(item, (str, Promise)):
        return str(item)
    if isinstance(item, (list, tuple)):
        return [_shape(part) for part in item]
    if isinstance(item, dict):
        return sorted((str(key), _shape(value)) for key, value in item.items())
    if hasattr(item, "__dict__"):
        return (type(item).__qualname__, _shape(vars(item)))
    return repr(item)


def fingerprint(form):
    """What the drawn fields depend on. Reading a field's choices here also fixes them
    for the drawing: a model field's choices are read from the database once."""
    parts = [
        type(form).__module__,
        type(form).__qualname__,
        get_language(),
        form.prefix,
        str(form.auto_id),
        form.is_bound,
        _shape(getattr(form, "helper", None)),
    ]
    # A form whose choices come from memory may name their version instead: listing 500
    # pods for the fingerprint cost more than drawing from memory saved.
    choices_version = getattr(form, "choices_version", None)
    parts.append(choices_version)
    for name, field in form.fields.items():
        choices = None
        if isinstance(field, forms.ChoiceField) and choices_version is None:
            # A comprehension, not list(): list() asks a model field's choices for their
            # length first, which is one more query.
            choices = [choice for choice in field.choices]
            field.widget.choices = choices
        parts.append(
            (
                name,
                type(field.widget).__qualname__,
                str(field.label),
                str(field.help_text),
                field.required,
                field.disabled,
                sorted((key, str(value)) for key, value in field.widget.attrs.items()),
                repr(form[name].value()),
                list(_flat(choices)) if choices is not None else None,
            )
        )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _draw(form):
    if getattr(form, "helper", None) is not None:
        return render_crispy_form(form, helper=form.helper)
    return as_crispy_form(form)


def _drawn(form, key, draw):
    # What a person typed is never kept: a filled-in form is drawn fresh, unless it only
    # ever holds choices, not words, and says so (the queue's filters).
    if form.is_bound and (form.errors or not getattr(form, "keep_drawn_when_filled", False)):
        return draw()
    cache = caches["drawn_forms"]
    html = cache.get(key)
    if html is None:
        html = str(draw())
        cache.set(key, html)
    return mark_safe(html)  # drawn by crispy-forms, which escapes every value


@register.simple_tag
def draw_form(form):
    """The form's fields as {% crispy form %} (with its helper) or {{ form|crispy }}
    would draw them."""
    return _drawn(form, fingerprint(form), lambda: _draw(form))


@register.simple_tag
def draw_fields(form, *names):
    """Some of the form's fields, each as {{ form.field|as_crispy_field }} would draw it.
    With `as`, drawn once for a form repeated down a page:
    {% draw_fields form "language" "text" as fields %}."""
    return _drawn(
        form,
        f"{fingerprint(form)}:{','.join(names)}",
        lambda: mark_safe("".join(as_crispy_field(form[name]) for name in names)),
    )
