"""The pages for what went wrong outside a view's own care: a request we could not read
(400), an address asked with the wrong method (405) and a server error (500). Drawn from
bare.html without the context processors (nothing that could fail again), each in the
reader's language with the network's phone number: the way to get help when the site
cannot give it."""

from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.template.loader import render_to_string

PHONE = {"NETWORK_PHONE": settings.NETWORK_PHONE, "NETWORK_NAME": settings.NETWORK_NAME}


def bad_request(request, exception=None):
    """handler400: too much sent (RequestDataTooBig), too many fields, a broken form."""
    return HttpResponseBadRequest(render_to_string("400.html", PHONE))


def server_error(request):
    """handler500."""
    return HttpResponseServerError(render_to_string("500.html", PHONE))


def explain_wrong_method(get_response):
    """Middleware: a POST-only address opened by a link (an old bookmark, a page drawn at
    the action's address) answers 405 with a page saying what to do, not an empty one."""

    def middleware(request):
        response = get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", PHONE, request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response

    return middleware
