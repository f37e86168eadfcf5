"""Coordinators join records of the same neighbor (requests_app.Neighbor, permission
merge_neighbors): joining deletes records, which nobody else does by hand. And volunteers'
phones typed in the admin before it checked them are stored as everywhere else."""

import importlib

from django.contrib.auth.management import create_permissions
from django.db import migrations

earlier = importlib.import_module("volunteers.migrations.0004_audit_role")

COORDINATOR = [*earlier.COORDINATOR, ("requests_app", "merge_neighbors")]
ROLES = {**earlier.ROLES, "Coordinator": COORDINATOR}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Coordinator")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="requests_app", codename="merge_neighbors")
    )


def tidy_phones(apps, schema_editor):
    tidy = importlib.import_module("requests_app.migrations.0016_neighbor_records_joined")
    Volunteer = apps.get_model("volunteers", "Volunteer")
    changed = []
    for volunteer in Volunteer.objects.exclude(phone="").only("pk", "phone"):
        phone = tidy._as_phone_number(volunteer.phone) or volunteer.phone
        if phone != volunteer.phone:
            volunteer.phone = phone
            changed.append(volunteer)
    Volunteer.objects.bulk_update(changed, ["phone"], batch_size=tidy.BATCH)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Coordinator"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="requests_app", codename="merge_neighbors"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0006_kept_pages_and_language_checkboxes"),
        ("requests_app", "0016_neighbor_records_joined"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(tidy_phones, migrations.RunPython.noop),
    ]
