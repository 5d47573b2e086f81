from django.db import migrations

DERMATOLOGISTS = "Dermatologists"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=DERMATOLOGISTS)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=DERMATOLOGISTS).delete()


class Migration(migrations.Migration):
    """The group whose members label photos; staff add dermatologists to it in admin."""

    dependencies = [("labelling", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_group, delete_group)]
