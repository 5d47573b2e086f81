"""The "Merchandiser" staff group: edits products, rules and plans; never orders or diagnoses.

Permissions are normally created after all migrations ran (post_migrate), so they are created
here first for the two apps the group gets.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Merchandiser"
APPS = ("catalog", "recommendations")


def add_group(apps, schema_editor):
    for label in APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    # The scale mirrors the diagnosis model's checkpoint: merchandisers may read it, not edit it.
    permissions = Permission.objects.filter(content_type__app_label__in=APPS).exclude(
        content_type__model="skincondition", codename__regex=r"^(add|change|delete)_"
    )
    group.permissions.add(*permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_acne_gea_condition"),
        ("catalog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_group, remove_group)]
