from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("requests_app.urls")),
    path("", include("volunteers.urls")),
)

handler400 = "waltham_aid.errors.bad_request"
handler500 = "waltham_aid.errors.server_error"
