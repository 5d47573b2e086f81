"""Where a test's private media (selfies, heatmaps) go."""


def use_private_storage(settings, monkeypatch, config: dict):
    """Makes ``config`` the "private" storage for one test and returns that storage.

    ``settings`` and ``monkeypatch`` are the test's fixtures, which undo both changes. A
    FileField resolves its storage callable once, when the model class is built, so the
    Diagnosis fields are pointed at the new storage too.
    """
    from django.core.files.storage import storages

    from diagnosis.models import Diagnosis

    settings.STORAGES = {**settings.STORAGES, "private": config}
    storage = storages["private"]
    for name in ("selfie", "heatmap"):
        monkeypatch.setattr(Diagnosis._meta.get_field(name), "storage", storage)
    return storage
