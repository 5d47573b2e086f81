"""Where a test's private media (selfies, thumbnails, heatmaps) go."""


def use_private_storage(settings, monkeypatch, config: dict):
    """Makes ``config`` the "private" storage for one test and returns that storage.

    ``settings`` and ``monkeypatch`` are the test's fixtures, which undo both changes. A
    FileField resolves its storage callable once, when the model class is built, so the
    file fields of the diagnosis app's models are pointed at the new storage too.
    """
    from django.core.files.storage import storages
    from django.db.models import FileField

    from diagnosis.models import Diagnosis, DiagnosisPhoto, ModelVersion

    settings.STORAGES = {**settings.STORAGES, "private": config}
    storage = storages["private"]
    # Every file field, so a new one cannot write outside the test's storage.
    for model in (Diagnosis, DiagnosisPhoto, ModelVersion):
        for field in model._meta.get_fields():
            if isinstance(field, FileField):
                monkeypatch.setattr(field, "storage", storage)
    return storage
