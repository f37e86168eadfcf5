from django.urls import path

from requests_app import views

app_name = "requests_app"

urlpatterns = [
    path("", views.home, name="home"),
    path("ask/", views.ask, name="ask"),
    path("asked/<str:token>/", views.asked, name="asked"),
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/erase/", views.erase_contact, name="erase_contact"),
    path("status/<str:token>/ask/", views.ask_something_else, name="ask_something_else"),
    path("status/<str:token>/<str:reference>/message/", views.send_message, name="send_message"),
    path("status/<str:token>/<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("offer/", views.offer, name="offer"),
    path("offer/<str:token>/", views.offer_manage, name="offer_manage"),
    path("offer/<str:token>/erase/", views.erase_offer_contact, name="erase_offer_contact"),
    path("offer/<str:token>/more/", views.offer_something_else, name="offer_something_else"),
    path("offer/<str:token>/<str:reference>/end/", views.end_offer, name="end_offer"),
    path("resources/", views.resources, name="resources"),
    path("privacy/", views.privacy, name="privacy"),
]
