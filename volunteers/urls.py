from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from volunteers import views
from volunteers.forms import ChoosePasswordForm, SignInForm
from volunteers.two_factor import two_factor
from waltham_aid import converters  # noqa: F401  (registers <text:...>)

app_name = "volunteers"

request_actions = [
    "claim",
    "release",
    "note",
    "attempt",
    "message",
    "close",
    "told",
    "triage",
    "reassign",
    "reopen",
    "repeat",
    "translate",
]

urlpatterns = [
    path("volunteer/", views.sign_up, name="sign_up"),
    path("volunteer/thanks/", views.signed_up, name="signed_up"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="volunteers/login.html", authentication_form=SignInForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-step/", two_factor, name="two_factor"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ChoosePasswordForm,
            template_name="volunteers/password_reset_form.html",
            email_template_name="volunteers/email/password_reset.txt",
            subject_template_name="volunteers/email/password_reset_subject.txt",
            success_url=reverse_lazy("volunteers:password_reset_done"),
            extra_email_context={"NETWORK_NAME": settings.NETWORK_NAME},
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="volunteers/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="volunteers/password_reset_confirm.html",
            success_url=reverse_lazy("volunteers:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="volunteers/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("work/", views.queue, name="queue"),
    path("work/mine/", views.my_work, name="my_work"),
    path("work/mine/give-back/", views.give_back, name="give_back"),
    path("work/take/", views.take_request, name="take_request"),
    path("work/take/<text:token>/", views.taken, name="taken"),
    path("work/requests/<text:reference>/", views.request_detail, name="request"),
    path("work/requests/<text:reference>/contact/", views.contact, name="contact"),
    *(
        path(f"work/requests/<text:reference>/{action}/", getattr(views, action), name=action)
        for action in request_actions
    ),
    path(
        "work/requests/<text:reference>/connect/<text:offer_reference>/",
        views.connect,
        name="connect",
    ),
    path("work/offers/<text:reference>/", views.offer_detail, name="offer"),
    path("work/requests/<text:reference>/rota/", views.rota, name="rota"),
    path("coordinators/flyers/", views.flyers, name="flyers"),
    path("coordinators/reports/", views.reports, name="reports"),
]
