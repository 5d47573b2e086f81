"""What ``manage.py export_training_set`` costs: N consented photos, each labelled by two
dermatologists (a tenth of them disputed and settled by a third), exported to a folder; against
the floor of copying the same photo files with shutil in the same process.

Printed: seconds for the export (first into an empty folder, then over that export), photos per
second, the ratio to the plain copy, and the split sizes. Target: 10,000 photos in a minute.
It runs in a throwaway SQLite database and media folder of its own (migrated first; not timed).

    .venv/bin/python bench/bench_export.py [--photos 10000] [--smoke]
"""

import argparse
import io
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.embedded import django_in_temp  # noqa: E402

WORK = django_in_temp("bench-export-")

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from bench import smoke  # noqa: E402
from diagnosis.models import Diagnosis, DiagnosisPhoto  # noqa: E402
from labelling.export import export_training_set  # noqa: E402
from labelling.models import DERMATOLOGISTS, Label  # noqa: E402

SIDE = 512  # a stored selfie's size after the upload's reduction, about


def photo_bytes() -> bytes:
    """A JPEG of a stored selfie's size and weight (noise compresses about as a face does)."""
    picture = Image.effect_noise((SIDE // 4, SIDE // 4), 30).convert("RGB").resize((SIDE, SIDE))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=88)
    return out.getvalue()


def seed(count: int) -> list[Path]:
    """``count`` learnable photos of ``count // 2`` shoppers, two photos a check, settled."""
    User = get_user_model()
    doctors = [User.objects.create(username=f"dr{n}", email=f"dr{n}@example.com") for n in range(3)]
    group = Group.objects.get(name=DERMATOLOGISTS)
    group.user_set.add(*doctors)
    shoppers = User.objects.bulk_create(
        [User(username=f"shopper{n}", email=f"s{n}@example.com") for n in range((count + 1) // 2)]
    )
    now = timezone.now()
    checks = Diagnosis.objects.bulk_create(
        [
            Diagnosis(
                user=user, status="done", grade=3, training_consent=True, training_consent_at=now
            )
            for user in shoppers
        ]
    )
    content = photo_bytes()
    storage_root = WORK / "private"
    photos, files = [], []
    for n in range(count):
        check = checks[n // 2]
        slot = ("front", "left")[n % 2]
        name = f"diagnoses/{check.pk}/{slot}/selfie.jpg"
        path = storage_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        files.append(path)
        photos.append(
            DiagnosisPhoto(
                diagnosis=check,
                slot=slot,
                selfie=name,
                selfie_width=SIDE,
                selfie_height=SIDE,
                status="done",
                grade=3,
            )
        )
    photos = DiagnosisPhoto.objects.bulk_create(photos, batch_size=2000)
    labels = []
    marks = [{"x": 0.3, "y": 0.4, "type": "papule"}, {"x": 0.6, "y": 0.5, "type": "pustule"}]
    for n, photo in enumerate(photos):
        disputed = n % 10 == 0
        labels.append(Label(photo=photo, labeller=doctors[0], grade=2, lesions=marks))
        labels.append(Label(photo=photo, labeller=doctors[1], grade=4 if disputed else 2))
        if disputed:
            labels.append(Label(photo=photo, labeller=doctors[2], grade=3, role="adjudication"))
    Label.objects.bulk_create(labels, batch_size=5000)
    return files


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    smoke.add_argument(parser)
    args = parser.parse_args()
    count = 40 if args.smoke else args.photos
    try:
        call_command("migrate", verbosity=0)
        files = seed(count)
        copy_to = WORK / "copy"
        copy_to.mkdir()
        copy = timed(
            lambda: [shutil.copyfile(f, copy_to / f"{i}.jpg") for i, f in enumerate(files)]
        )
        out = WORK / "export"
        reports = []
        first = timed(lambda: reports.append(export_training_set(out)))
        again = timed(lambda: reports.append(export_training_set(out)))
        report = reports[-1]
        print(f"photos exported: {report.photos} of {count} (splits {report.splits})")
        print(f"plain copy of the photo files (floor): {copy:.2f} s")
        print(
            f"export into an empty folder: {first:.2f} s, {count / first:.0f} photos/s, "
            f"{first / copy:.1f}x the copy"
        )
        print(f"export over the previous one: {again:.2f} s, {again / copy:.1f}x the copy")
        print(f"10,000 photos at this rate: {10_000 * first / count:.1f} s (target: 60 s)")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
