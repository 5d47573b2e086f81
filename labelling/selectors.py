"""Reads of labelling: who labels, the queue, where a photo's labels stand, the agreement."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, QuerySet

from diagnosis.models import DiagnosisPhoto
from diagnosis.selectors import learnable_photos
from labelling.kappa import quadratic_weighted_kappa
from labelling.models import DERMATOLOGISTS, GRADES, Label

OPINION = Label.Role.OPINION
ADJUDICATION = Label.Role.ADJUDICATION


def is_dermatologist(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.groups.filter(name=DERMATOLOGISTS).exists()
    )


# --- Where a photo's labels stand -------------------------------------------------------------
OPEN = "open"  # fewer opinions than LABELLING_OPINIONS
DISPUTED = "disputed"  # the opinions differ: a third dermatologist settles it
AGREED = "agreed"
ADJUDICATED = "adjudicated"
UNGRADABLE = "ungradable"  # settled as "cannot grade"
SETTLED = (AGREED, ADJUDICATED, UNGRADABLE)


@dataclass(frozen=True)
class Settlement:
    state: str
    grade: int | None = None  # the final grade, once settled with one
    lesions: list = field(default_factory=list)  # the marks of the label that settled it


def settle(labels: list[Label], opinions: int | None = None) -> Settlement:
    """Where a photo stands, from its labels: an adjudication is final; else the first
    ``opinions`` opinions settle it when they agree (on a grade, or that it cannot be graded)."""
    opinions = opinions or settings.LABELLING_OPINIONS
    ordered = sorted(labels, key=lambda label: (label.created_at, label.pk))
    final = next((label for label in ordered if label.role == ADJUDICATION), None)
    if final is not None:
        state = ADJUDICATED if final.grade is not None else UNGRADABLE
        return Settlement(state, final.grade, list(final.lesions))
    first = [label for label in ordered if label.role == OPINION][:opinions]
    if len(first) < opinions:
        return Settlement(OPEN)
    if len({label.grade for label in first}) > 1:
        return Settlement(DISPUTED)
    if first[0].grade is None:
        return Settlement(UNGRADABLE)
    return Settlement(AGREED, first[0].grade, list(first[0].lesions))


# --- The queue --------------------------------------------------------------------------------
def queue(user) -> QuerySet[DiagnosisPhoto]:
    """The photos ``user`` may label now, next first: learnable photos (consent given, not
    withdrawn, within its retention) they have not labelled that still need an opinion, or a
    third one for a dispute. Photos waiting for their second opinion come first, so that
    pairs complete (disputes first of all); then the oldest."""
    opinions = settings.LABELLING_OPINIONS
    is_opinion = Q(labels__role=OPINION)
    photos = learnable_photos().annotate(
        n_opinions=Count("labels", filter=is_opinion),
        n_final=Count("labels", filter=Q(labels__role=ADJUDICATION)),
        n_ungradable=Count("labels", filter=is_opinion & Q(labels__grade__isnull=True)),
        lowest=Min("labels__grade", filter=is_opinion),
        highest=Max("labels__grade", filter=is_opinion),
    )
    # Different grades, or some (not all) said it cannot be graded.
    differ = Q(lowest__lt=F("highest")) | Q(n_ungradable__gt=0, n_ungradable__lt=F("n_opinions"))
    disputed = Q(n_opinions__gte=opinions, n_final=0) & differ
    return (
        photos.filter(Q(n_opinions__lt=opinions) | disputed)
        .exclude(labels__labeller=user)
        .order_by("-n_opinions", "pk")
    )


def next_photo(user, *, after: int | None = None) -> DiagnosisPhoto | None:
    """The next photo of ``user``'s queue (other than ``after``, just answered)."""
    photos = queue(user)
    if after is not None:
        photos = photos.exclude(pk=after)
    return photos.first()


def labellable_photo(photo_id) -> DiagnosisPhoto | None:
    """A photo a dermatologist may see and label: a learnable one, None otherwise."""
    try:
        return learnable_photos().filter(pk=int(photo_id)).first()
    except (TypeError, ValueError):
        return None


def queue_size(user) -> int:
    return queue(user).count()


# --- Agreement --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Agreement:
    first: str  # the two dermatologists (usernames: colleagues, never a shopper)
    second: str
    photos: int  # graded by both
    kappa: float | None  # quadratic weighted; None where undefined
    disagreements: int


def agreement() -> tuple[Agreement | None, list[Agreement]]:
    """Quadratic weighted kappa between the first two opinions over every photo both graded
    (overall), and for each pair of dermatologists over the photos both of them graded."""
    # Plain rows, not model instances: the page shows this on every photo, over every label.
    graded = (
        Label.objects.filter(role=OPINION, grade__isnull=False)
        .order_by("photo_id", "created_at", "pk")
        .values_list("photo_id", "labeller__username", "grade")
    )
    by_photo: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for photo_id, username, grade in graded:
        by_photo[photo_id].append((username, grade))
    pairs: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    firsts: list[tuple[int, int]] = []
    for labels in by_photo.values():
        if len(labels) >= 2:
            firsts.append((labels[0][1], labels[1][1]))
        for a, b in combinations(labels, 2):
            (a, b) = sorted((a, b))  # by username: one label per person per photo
            pairs[(a[0], b[0])].append((a[1], b[1]))
    per_pair = [
        _agreement(first, second, grades) for (first, second), grades in sorted(pairs.items())
    ]
    overall = _agreement("first opinion", "second opinion", firsts) if firsts else None
    return overall, per_pair


def _agreement(first: str, second: str, grades: list[tuple[int, int]]) -> Agreement:
    kappa = quadratic_weighted_kappa([a for a, _ in grades], [b for _, b in grades], len(GRADES))
    return Agreement(
        first=first,
        second=second,
        photos=len(grades),
        kappa=None if math.isnan(kappa) else round(kappa, 3),
        disagreements=sum(a != b for a, b in grades),
    )


def summary() -> dict:
    """For the operations page (``DIAGNOSIS_LABELLING_SUMMARY``): labels collected and the
    dermatologists' agreement."""
    overall, pairs = agreement()
    return {
        "labels": Label.objects.count(),
        "photos": Label.objects.values("photo").distinct().count(),
        "overall": overall,
        "pairs": pairs,
    }
