"""``manage.py`` in a fresh process, with the environment of a bare machine plus ``env``."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = {
        "DATABASE_URL",  # the embedded SQLite under VAR_DIR, never the suite's database
        "VAR_DIR",
        "SECRET_KEY",
        "DJANGO_DEBUG",
        "CACHE_URL",
        "PAYMENT_GATEWAY",
        "PAYMENT_ALLOW_TEST_GATEWAY",
        "SITE_URL",
        "DIAGNOSIS_MODEL",
        "DIAGNOSIS_CHECKPOINT",
        "DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL",
    }
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
