"""Photos the shop may learn from, dermatologists and their labels, as rows (with a small real
JPEG stored for each photo, so pages and exports can read it)."""

import io

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from diagnosis.models import DiagnosisPhoto
from labelling import services
from labelling.models import DERMATOLOGISTS
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory, PhotoFactory


def jpeg(seed: int, size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (seed * 37 % 256, 120, 90)).save(out, format="JPEG")
    return out.getvalue()


def learnable_photo(
    *,
    user=None,
    guest_token: str = "",
    consent: bool = True,
    grade: int = 3,
    slot: str = "front",
    diagnosis=None,
    content: bytes | None = None,
    **photo,
) -> DiagnosisPhoto:
    """A graded photo of a done check whose owner gave (``consent``) consent to learn; its file
    is ``content`` (a JPEG of the factory's 512 px size) or a small plain JPEG."""
    if diagnosis is None:
        owner = (
            {"guest_token": guest_token, "user": None}
            if guest_token
            else {"user": user or UserFactory()}
        )
        diagnosis = DiagnosisFactory(
            front=None,
            training_consent=consent,
            training_consent_at=timezone.now() if consent else None,
            **owner,
        )
    row = PhotoFactory(diagnosis=diagnosis, slot=slot, grade=grade, selfie="", **photo)
    row.selfie.save("selfie.jpg", ContentFile(content or jpeg(row.pk)), save=True)
    return row


def dermatologist(**kwargs):
    user = UserFactory(**kwargs)
    # The migration makes the group; a browser test's flush (transactional_db) drops it again.
    group, _ = Group.objects.get_or_create(name=DERMATOLOGISTS)
    user.groups.add(group)
    return user


def label(photo, labeller, grade: int | None = 3, **kwargs):
    if grade is None:
        kwargs.setdefault("cannot_grade", "blurred")
    return services.record_label(labeller=labeller, photo_id=photo.pk, grade=grade, **kwargs).label
