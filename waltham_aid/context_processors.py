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
                "url": translate_url(path, code),
                "current": code == current,
            }
            for code, name in settings.LANGUAGES
        ],
    }
