"""Coordinators read the audit trail (requests_app.AuditEntry); nobody edits it."""

import importlib

from django.db import migrations

earlier = importlib.import_module("volunteers.migrations.0002_roles")

COORDINATOR = [*earlier.COORDINATOR, ("requests_app", "view_auditentry")]
ROLES = {**earlier.ROLES, "Coordinator": COORDINATOR}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        earlier.create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Coordinator")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="requests_app", codename="view_auditentry")
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Coordinator"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="requests_app", codename="view_auditentry"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0003_coordinators"),
        ("requests_app", "0011_safety"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
