"""Widgets drawn in Python where Django's templates cost too much.

Django draws every <option> of a <select> through its own template include. With a
network's 500 pods in one list that was 96 % of the ask form's server time (about 1,100
includes a page). PlainSelect writes the same HTML as Django's select.html, escaped the
same way, in one pass.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe


class PlainSelect(forms.Select):
    """A single-choice <select> like Django's, options and option groups included,
    without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        lines = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):  # an option group
                lines.append(f'<optgroup label="{conditional_escape(option_value)}">')
                lines.extend(self._option(v, text, chosen) for v, text in label)
                lines.append("</optgroup>")
            else:
                lines.append(self._option(option_value, label, chosen))
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n".join(lines)),  # every value and label escaped in _option
        )

    @staticmethod
    def _option(value, label, chosen):
        value = "" if value is None else str(value)
        selected = " selected" if value in chosen else ""
        return f'<option value="{escape(value)}"{selected}>{conditional_escape(label)}</option>'
