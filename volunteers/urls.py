from django.urls import path

from volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("volunteer/", views.sign_up, name="sign_up"),
    path("volunteer/thanks/", views.signed_up, name="signed_up"),
]
