"""The "Compliance" group: staff who decide API-trading applications.

They see and decide applications and see accounts, balances and prices; they can't
edit accounts or prices, and they are not superusers.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Compliance"
PERMISSIONS = [
    ("reviews", "view_application"),
    ("reviews", "change_application"),  # deciding is changing the application
    ("accounts", "view_user"),
    ("accounts", "view_balance"),
    ("accounts", "view_asset"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; on a fresh
    # database they don't exist yet, so create them now.
    # (Idempotent, and safe to call with the project's own app registry too: tests
    # that empty the database put the group back with it.)
    for app_label in sorted({label for label, _ in PERMISSIONS}):
        app_config = apps.get_app_config(app_label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True  # historical apps have none
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    group.permissions.set(permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_queue_index"),
        ("accounts", "0002_seed_assets"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
