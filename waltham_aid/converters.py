"""The `text` path converter: Django's `str` (anything but a slash), minus the NUL byte.

References and private links in addresses are looked up in PostgreSQL, which refuses a
NUL byte in text: `/work/requests/%00/` was a 500. With `<text:reference>` such an
address matches nothing, a 404 like any other unknown address. Importing this module
registers it; the URL modules that use it import it."""

from django.urls import register_converter
from django.urls.converters import StringConverter


class TextConverter(StringConverter):
    regex = "[^/\x00]+"


register_converter(TextConverter, "text")
