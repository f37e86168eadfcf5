"""Door flyers: the seeds' letters left on doors, one printed page per pod."""

from dataclasses import dataclass
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe


@dataclass
class FlyerSide:
    """One language's half of a flyer."""

    code: str
    bidi: bool
    ask_url: str
    qr_svg: str


@dataclass
class Flyer:
    pod: object
    sides: list
    point_person_name: str
    point_person_phone: str


def ask_url_for(pod, code):
    with translation.override(code):
        return f"{settings.SITE_URL}{reverse('requests_app:ask')}?pod={pod.slug}"


def flyer_for(pod, codes):
    sides = []
    for code in codes:
        url = ask_url_for(pod, code)
        # segno draws our own markup from the URL alone: safe to put in the page as is.
        svg = segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True)
        sides.append(
            FlyerSide(
                code=code,
                bidi=code in settings.LANGUAGES_BIDI,
                ask_url=url,
                qr_svg=mark_safe(svg),
            )
        )
    # Only a point person who said yes goes on a door, and only by first name.
    consenting = next(
        (
            person
            for person in pod.point_people.all()
            if person.share_phone_on_flyer and person.phone
        ),
        None,
    )
    return Flyer(
        pod=pod,
        sides=sides,
        point_person_name=consenting.name.split()[0] if consenting else "",
        point_person_phone=consenting.phone if consenting else "",
    )


def short_address():
    return urlsplit(settings.SITE_URL).netloc
