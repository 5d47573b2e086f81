"""Labelling rules: recording a dermatologist's label, and forgetting withdrawn photos."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from diagnosis.models import DiagnosisPhoto
from labelling import selectors
from labelling.models import GRADES, Label, LesionType
from skinshop.errors import ApplicationError, Conflict, NotFound

MAX_LESIONS = 500


class NoSuchPhoto(NotFound):
    code = "no_photo"


class AlreadyLabelled(Conflict):
    code = "already_labelled"


class PhotoSettled(Conflict):
    code = "photo_settled"


class InvalidLabel(ApplicationError):
    code = "invalid_label"


@dataclass(frozen=True)
class Recorded:
    label: Label
    created: bool  # False: the same label again (a double click), left as it was


def clean_lesions(marks) -> list[dict]:
    """Lesion marks as stored: ``{x, y, type}``, x and y fractions (0-1) of the photo."""
    if not isinstance(marks, list):
        raise InvalidLabel("Lesion marks are a list of {x, y, type}.")
    if len(marks) > MAX_LESIONS:
        raise InvalidLabel(f"Mark at most {MAX_LESIONS} lesions on a photo.")
    clean = []
    for mark in marks:
        try:
            x, y, kind = float(mark["x"]), float(mark["y"]), str(mark["type"])
        except (KeyError, TypeError, ValueError) as bad:
            raise InvalidLabel("Each lesion mark needs x, y (0 to 1) and a type.") from bad
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise InvalidLabel("A lesion mark's x and y are fractions of the photo, 0 to 1.")
        if kind not in LesionType.values:
            raise InvalidLabel(f"A lesion is one of {', '.join(LesionType.values)}, not {kind!r}.")
        clean.append({"x": round(x, 4), "y": round(y, 4), "type": kind})
    return clean


def _checked(grade, cannot_grade: str, lesions) -> tuple[int | None, str, list[dict]]:
    if (grade is None) == (not cannot_grade):
        raise InvalidLabel("Give a grade, or say why the photo cannot be graded; not both.")
    if grade is not None and grade not in GRADES:
        raise InvalidLabel(f"A grade is {GRADES[0]} to {GRADES[-1]} on the GEA scale.")
    if cannot_grade and cannot_grade not in Label.Reason.values:
        raise InvalidLabel(f"Why it cannot be graded: one of {', '.join(Label.Reason.values)}.")
    lesions = clean_lesions(lesions or [])
    if cannot_grade and lesions:
        raise InvalidLabel("A photo that cannot be graded has no lesion marks.")
    return grade, cannot_grade, lesions


def record_label(
    *, labeller, photo_id, grade: int | None = None, cannot_grade: str = "", lesions=None
) -> Recorded:
    """Records ``labeller``'s label of a learnable photo: an opinion while the photo needs one,
    an adjudication (final) when its opinions differ. One label per person per photo: the same
    label again is answered with the first (a double click); another is ``AlreadyLabelled``.
    A settled photo takes no more (``PhotoSettled``); one that is not learnable (no consent,
    withdrawn, expired) is ``NoSuchPhoto``, as for a photo that does not exist."""
    grade, cannot_grade, lesions = _checked(grade, cannot_grade, lesions)
    with transaction.atomic():
        photo = selectors.labellable_photo(photo_id)
        if photo is None:
            raise NoSuchPhoto("No such photo to label.")
        # One writer per photo at a time: two dermatologists answering at once cannot both
        # take the last opinion, nor both adjudicate.
        DiagnosisPhoto.objects.select_for_update().filter(pk=photo.pk).first()
        labels = list(Label.objects.filter(photo=photo))
        mine = next((label for label in labels if label.labeller_id == labeller.pk), None)
        if mine is not None:
            if (mine.grade, mine.cannot_grade, mine.lesions) == (grade, cannot_grade, lesions):
                return Recorded(mine, created=False)
            raise AlreadyLabelled("You have labelled this photo already.")
        state = selectors.settle(labels).state
        if state in selectors.SETTLED:
            raise PhotoSettled("This photo needs no more labels.")
        role = Label.Role.ADJUDICATION if state == selectors.DISPUTED else Label.Role.OPINION
        label = Label(
            photo=photo,
            labeller=labeller,
            role=role,
            grade=grade,
            cannot_grade=cannot_grade,
            lesions=lesions,
        )
        try:
            with transaction.atomic():
                label.save()
        except IntegrityError as twice:  # the same person's parallel request won
            raise AlreadyLabelled("You have labelled this photo already.") from twice
    return Recorded(label, created=True)


def forget_withdrawn(sender, photo_ids, **kwargs) -> None:
    """``training_consent_withdrawn`` receiver: labels of photos the shop may no longer learn
    from are deleted (lesion marks map a person's face)."""
    Label.objects.filter(photo_id__in=photo_ids).delete()
