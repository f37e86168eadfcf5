"""One page that fails while holding a neighbor's details (tests/test_logs_hold_no_secret_links.py)."""

from django.urls import path


def failing_page(request):
    phone = "+16175550199"  # noqa: F841 - a local variable, as a traceback would show it
    raise RuntimeError("the page failed")


urlpatterns = [path("fails/", failing_page)]
