"""Middleware of the project's own."""

from django.utils.cache import patch_cache_control


def no_store_after_post(get_response):
    """What answers a POST shows what someone just typed: a form sent back with an error
    holds their phone and address. It is never kept in a cache, the browser's included
    (a shared computer at the library)."""

    def middleware(request):
        response = get_response(request)
        if request.method == "POST":
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
