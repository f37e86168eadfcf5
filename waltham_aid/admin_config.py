"""The admin app, with our own site (waltham_aid/admin_site.py) as `admin.site`."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "waltham_aid.admin_site.AdminSite"
