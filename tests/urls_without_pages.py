"""A site with no pages at all: what a worker meets if it cannot find the public pages it
warms up (tests/test_warm_up.py)."""

urlpatterns = []
