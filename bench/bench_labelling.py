"""What the labelling page costs a dermatologist, on the embedded defaults (SQLite, local media):
serving the page, its photo, and posting a grade to get the next photo, over N photos in a queue,
with a backlog of photos already labelled by two (the page shows their agreement); against the
shop's health check served by the same client in the same process (the floor of a request).

Printed: median and p90 of each request, and of a photo's page time (the grade's post and the
next page, plus its photo); target: 1 s a photo. Its own SQLite database and media folder,
migrated and seeded before the clock starts. Requests go through Django's test client (the
whole middleware stack and the templates, no network).

    .venv/bin/python bench/bench_labelling.py [--photos 200] [--labelled 5000] [--smoke]
"""

import argparse
import io
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.embedded import django_in_temp  # noqa: E402

WORK = django_in_temp("bench-labelling-")

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from bench import smoke  # noqa: E402
from diagnosis.models import Diagnosis, DiagnosisPhoto  # noqa: E402
from labelling.models import DERMATOLOGISTS, Label  # noqa: E402

SIDE = 512  # a stored selfie's size after the upload's reduction, about
NEXT_PHOTO = re.compile(rb'data-testid="label-form" data-photo="(\d+)"')


def selfie() -> bytes:
    picture = Image.effect_noise((SIDE // 4, SIDE // 4), 30).convert("RGB").resize((SIDE, SIDE))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=88)
    return out.getvalue()


def learnable(count: int) -> list[DiagnosisPhoto]:
    """``count`` photos of finished checks whose owners let the shop learn from them."""
    User = get_user_model()
    start = User.objects.count()
    shoppers = User.objects.bulk_create(
        [
            User(username=f"shopper{start + n}", email=f"s{start + n}@example.com")
            for n in range(count)
        ]  # fmt: skip
    )
    now = timezone.now()
    checks = Diagnosis.objects.bulk_create(
        [
            Diagnosis(
                user=user, status="done", grade=3, training_consent=True, training_consent_at=now
            )
            for user in shoppers
        ]  # fmt: skip
    )
    content = selfie()
    photos = []
    for check in checks:
        name = f"diagnoses/{check.pk}/front/selfie.jpg"
        path = WORK / "private" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        photos.append(DiagnosisPhoto(diagnosis=check, slot="front", selfie=name, status="done",
                                     selfie_width=SIDE, selfie_height=SIDE, grade=3))  # fmt: skip
    return DiagnosisPhoto.objects.bulk_create(photos, batch_size=2000)


def seed(photos: int, labelled: int):
    """The queue of ``photos``, after ``labelled`` photos graded by two others (a tenth apart,
    settled by a third); the dermatologist who labels the queue."""
    User = get_user_model()
    others = [User.objects.create(username=f"dr{n}", email=f"dr{n}@example.com") for n in range(3)]
    me = User.objects.create(username="dr_bench", email="dr_bench@example.com")
    Group.objects.get(name=DERMATOLOGISTS).user_set.add(me, *others)
    labels = []
    for n, photo in enumerate(learnable(labelled)):
        labels.append(Label(photo=photo, labeller=others[0], grade=2))
        labels.append(Label(photo=photo, labeller=others[1], grade=3 if n % 10 == 0 else 2))
        if n % 10 == 0:
            labels.append(Label(photo=photo, labeller=others[2], grade=2, role="adjudication"))
    Label.objects.bulk_create(labels, batch_size=5000)
    learnable(photos)
    return me


def timed(call, *args, **kwargs):
    started = time.perf_counter()
    result = call(*args, **kwargs)
    return time.perf_counter() - started, result


def spread(name: str, seconds: list[float], floor: float | None = None) -> str:
    median = statistics.median(seconds)
    p90 = statistics.quantiles(seconds, n=10)[-1] if len(seconds) > 1 else seconds[0]
    ratio = f"; {median / floor:.1f}x the health check" if floor else ""
    return f"{name}: median {median * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms{ratio}"


def next_id(response) -> int:
    assert response.status_code == 200, response.status_code
    found = NEXT_PHOTO.search(response.content)
    assert found, "the page offers no photo"
    return int(found.group(1))


def label_queue(client: Client, count: int) -> dict[str, list[float]]:
    """Labels ``count`` photos as the page does: the page, its photo, a grade posted (one click)
    and the next page, each timed."""
    times: dict[str, list[float]] = {"page": [], "photo": [], "post": [], "health": []}
    for _ in range(count):
        seconds, page = timed(client.get, "/labelling/")
        times["page"].append(seconds)
        photo = next_id(page)
        seconds, image = timed(client.get, f"/labelling/photos/{photo}/photo.jpg")
        b"".join(image.streaming_content)
        times["photo"].append(seconds)
        grade = {"grade": "2"}
        seconds, answered = timed(client.post, f"/labelling/photos/{photo}/", grade, follow=True)
        assert answered.status_code == 200 and f"Photo {photo}:".encode() in answered.content
        times["post"].append(seconds)
        times["health"].append(timed(client.get, "/healthz")[0])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200, help="photos labelled (timed)")
    parser.add_argument("--labelled", type=int, default=5000, help="backlog labelled by two")
    smoke.add_argument(parser)
    args = parser.parse_args()
    photos, labelled = (5, 20) if args.smoke else (args.photos, args.labelled)
    try:
        call_command("migrate", verbosity=0)
        me = seed(photos + 1, labelled)
        client = Client()
        client.force_login(me)
        label_queue(client, 1)  # warm-up: templates, first queries
        times = label_queue(client, photos)
        floor = statistics.median(times["health"])
        total = [post + image for post, image in zip(times["post"], times["photo"], strict=True)]
        print(f"{photos} photos labelled by one dermatologist, {labelled} labelled by two before")
        print(spread("health check (floor)", times["health"]))
        print(spread("labelling page", times["page"], floor))
        print(spread("its photo", times["photo"], floor))
        print(spread("grade posted and the next page", times["post"], floor))
        print(spread("a photo's page time (post, next page, photo)", total, floor))
        p90 = statistics.quantiles(total, n=10)[-1] if len(total) > 1 else total[0]
        print(f"target 1 s a photo: {'ok' if p90 <= 1 else 'MISS'} (p90 {p90:.3f} s)")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
