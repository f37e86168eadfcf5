from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def network(request):
    """The network's name and phone, and the language switcher's links to this same page
    in each language (plain links: no JavaScript, and a crawler can follow them)."""
    current = get_language()
    path = request.get_full_path()
    return {
        "NETWORK_NAME": settings.NETWORK_NAME,
        "NETWORK_PHONE": settings.NETWORK_PHONE,
        "language_links": [
            {
                "code": code,
                "name": name,
                "url": _in_language(path, current, code),
                "current": code == current,
            }
            for code, name in settings.LANGUAGES
        ],
    }


def _in_language(path, current, code):
    """This page's address in another language. Every page lives under its language's
    prefix and no address is itself translated, so swapping the prefix is enough:
    translate_url resolves and reverses the path for each language, which was a fifth
    of the home page's time."""
    prefix = f"/{current}/"
    if path.startswith(prefix):
        return f"/{code}/{path[len(prefix) :]}"
    return translate_url(path, code)
