"""A bench's own Django on the embedded defaults: a throwaway SQLite database and private media
folder in a temporary folder (the caller migrates it and removes it when done)."""

import os
import tempfile
from pathlib import Path


def django_in_temp(prefix: str) -> Path:
    """Points Django's settings at a new temporary folder, sets Django up, returns the folder."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DJANGO_SETTINGS_MODULE"] = "skinshop.settings"
    os.environ["DJANGO_ENV"] = "test"
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ["PRIVATE_MEDIA_ROOT"] = str(work / "private")
    import django

    django.setup()
    return work
