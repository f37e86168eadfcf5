"""The app's URLs, and the baseline: a bare view returning an HTML string of a given size
from the same process, through the same middleware. Only make bench routes here."""

from django.http import HttpResponse
from django.urls import path

from waltham_aid.urls import urlpatterns as app_urlpatterns

FILLER = "<p>Waltham Aid neighbors help neighbors, in their own language.</p>\n"


def baseline_html(size):
    head = "<!doctype html><html lang=en><title>baseline</title>\n"
    body = (FILLER * (size // len(FILLER) + 1))[: max(0, size - len(head))]
    return head + body


def baseline(request, size):
    return HttpResponse(baseline_html(size))


urlpatterns = [
    path("bench/baseline/<int:size>/", baseline, name="bench_baseline"),
    *app_urlpatterns,
]
