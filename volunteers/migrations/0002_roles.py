"""The three roles, as Django groups with the permissions to match."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VOLUNTEER = [
    ("requests_app", "view_request"),
    ("requests_app", "view_offer"),
    ("requests_app", "view_category"),
    ("requests_app", "view_resource"),
    ("volunteers", "view_pod"),
]
POINT_PERSON = [*VOLUNTEER, ("requests_app", "triage_request")]
COORDINATOR_MODELS = {
    # model: actions; requests, neighbors and the timeline are never deleted by hand.
    ("requests_app", "request"): ["add", "change", "view"],
    ("requests_app", "neighbor"): ["add", "change", "view"],
    ("requests_app", "claim"): ["view"],
    ("requests_app", "event"): ["view"],
    ("requests_app", "offer"): ["add", "change", "delete", "view"],
    ("requests_app", "category"): ["add", "change", "delete", "view"],
    ("requests_app", "resource"): ["add", "change", "delete", "view"],
    ("volunteers", "pod"): ["add", "change", "delete", "view"],
    ("volunteers", "volunteer"): ["add", "change", "delete", "view"],
}
COORDINATOR = [
    *((app, f"{action}_{model}") for (app, model), actions in COORDINATOR_MODELS.items() for action in actions),
    ("requests_app", "triage_request"),
    ("requests_app", "view_contact_details"),
    ("requests_app", "export_requests"),
    # export_contact_details is deliberately not here: it is granted to one person at a time.
]
ROLES = {"Volunteer": VOLUNTEER, "Point person": POINT_PERSON, "Coordinator": COORDINATOR}


def create_roles(apps, schema_editor):
    # On a fresh database permissions only appear after migrate ends; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in codenames
        ]
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0001_initial"),
        ("requests_app", "0003_seed_categories"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
