from django.urls import path

from requests_app import views
from waltham_aid import converters  # noqa: F401  (registers <text:...>)

app_name = "requests_app"

urlpatterns = [
    path("", views.home, name="home"),
    path("ask/", views.ask, name="ask"),
    path("asked/<text:token>/", views.asked, name="asked"),
    path("status/<text:token>/", views.status, name="status"),
    path("status/<text:token>/erase/", views.erase_contact, name="erase_contact"),
    path("status/<text:token>/ask/", views.ask_something_else, name="ask_something_else"),
    path("status/<text:token>/<text:reference>/message/", views.send_message, name="send_message"),
    path("status/<text:token>/<text:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("offer/", views.offer, name="offer"),
    path("offer/<text:token>/", views.offer_manage, name="offer_manage"),
    path("offer/<text:token>/erase/", views.erase_offer_contact, name="erase_offer_contact"),
    path("offer/<text:token>/more/", views.offer_something_else, name="offer_something_else"),
    path("offer/<text:token>/<text:reference>/end/", views.end_offer, name="end_offer"),
    path("resources/", views.resources, name="resources"),
    path("privacy/", views.privacy, name="privacy"),
]
