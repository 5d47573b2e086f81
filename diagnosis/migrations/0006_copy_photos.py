"""Every diagnosis stored before checks had several photos becomes a check with one front photo.

Only rows move: the files keep their names (``diagnoses/<id>/selfie.jpg`` and so on), nothing is
copied or renamed in storage. The per-photo result is the diagnosis' own result, which is also
the combined one ("graded on the front photo").
"""

from django.db import migrations

BATCH = 500
# Fields that exist on both models with the same meaning.
PHOTO_FIELDS = [
    "selfie",
    "selfie_width",
    "selfie_height",
    "thumbnail",
    "face_box",
    "notes",
    "heatmap",
    "heatmap_coverage",
    "view",
]
RESULT_FIELDS = ["grade", "label", "score", "probabilities", "confidence"]


def to_front_photos(apps, schema_editor):
    Diagnosis = apps.get_model("diagnosis", "Diagnosis")
    DiagnosisPhoto = apps.get_model("diagnosis", "DiagnosisPhoto")
    photos = []
    done_ids = []
    for diagnosis in Diagnosis.objects.order_by("pk").iterator(chunk_size=BATCH):
        photo = DiagnosisPhoto(diagnosis_id=diagnosis.pk, slot="front")
        for name in PHOTO_FIELDS:
            setattr(photo, name, getattr(diagnosis, name))
        if diagnosis.status == "done":
            photo.status = "done"
            for name in RESULT_FIELDS:
                setattr(photo, name, getattr(diagnosis, name))
            done_ids.append(diagnosis.pk)
        elif diagnosis.status == "failed":
            photo.status = "failed"
            photo.failure_code = diagnosis.failure_code
            photo.failure_reason = diagnosis.failure_reason
        photos.append(photo)
        if len(photos) >= BATCH:
            DiagnosisPhoto.objects.bulk_create(photos)
            photos = []
    DiagnosisPhoto.objects.bulk_create(photos)
    for start in range(0, len(done_ids), BATCH):
        Diagnosis.objects.filter(pk__in=done_ids[start : start + BATCH]).update(
            combined_from="front"
        )


def to_single_photo(apps, schema_editor):
    """Back to one photo per diagnosis: the front one (or the first) is kept on the row; the
    rows of other photos go (their files stay in storage)."""
    Diagnosis = apps.get_model("diagnosis", "Diagnosis")
    DiagnosisPhoto = apps.get_model("diagnosis", "DiagnosisPhoto")
    for diagnosis in Diagnosis.objects.order_by("pk").iterator(chunk_size=BATCH):
        photo = DiagnosisPhoto.objects.filter(diagnosis_id=diagnosis.pk).order_by("slot").first()
        if photo is None:
            continue
        for name in PHOTO_FIELDS:
            setattr(diagnosis, name, getattr(photo, name))
        diagnosis.save(update_fields=PHOTO_FIELDS)


class Migration(migrations.Migration):

    dependencies = [
        ('diagnosis', '0005_photos'),
    ]

    operations = [
        migrations.RunPython(to_front_photos, to_single_photo),
    ]
