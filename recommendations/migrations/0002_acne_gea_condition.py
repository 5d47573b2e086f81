"""Seed the one condition the diagnosis model grades: acne vulgaris on the GEA scale 0-5."""

from django.db import migrations

GEA_LABELS = ["clear", "almost clear", "mild", "moderate", "severe", "very severe"]


def add_acne(apps, schema_editor):
    SkinCondition = apps.get_model("recommendations", "SkinCondition")
    SkinCondition.objects.get_or_create(
        slug="acne-vulgaris",
        defaults={
            "name": "Acne vulgaris",
            "scale_name": "GEA (Global Acne Severity)",
            "max_grade": len(GEA_LABELS) - 1,
            "grade_labels": GEA_LABELS,
            "refer_from_grade": 4,
        },
    )


def remove_acne(apps, schema_editor):
    SkinCondition = apps.get_model("recommendations", "SkinCondition")
    SkinCondition.objects.filter(slug="acne-vulgaris", rules__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial")]

    operations = [migrations.RunPython(add_acne, remove_acne)]
