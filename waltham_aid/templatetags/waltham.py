import phonenumbers
from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def duration_words(duration):
    """A timedelta in words, in the reader's language: "2 days, 3 hours"."""
    now = timezone.now()
    return timesince(now - duration, now)


@register.filter
def phone(number):
    """+16175550142 as people write it: (617) 555-0142; other countries in full."""
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return number
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


@register.filter
def reads_left_to_right(text):
    """A phone number in an email, between two invisible left-to-right marks, so an Arabic
    sentence does not turn (617) 555-0102 into 555-0102 (617). Pages do it in CSS."""
    return f"\u200e{text}\u200e" if text else text
