"""The dermatologists' labelling page (thin): one photo at a time, a grade in one click.

Only members of the Dermatologists group get here: anyone else signed in gets 403 (staff and
superusers too: labelling is a clinical role, not an admin one). A photo is shown by its own
id, never its check's, and nothing about its owner reaches the page. The model's grade of a
photo is shown only once the dermatologist has answered, to avoid anchoring.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from labelling import selectors, services
from labelling.models import SCALE, Label, LesionType
from skinshop.errors import ApplicationError


def dermatologist_required(view):
    @wraps(view)
    def check(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_dermatologist(request.user):
            raise PermissionDenied("Labelling is for the shop's dermatologists.")
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"  # shoppers' faces
        return response

    return check


def _grade_name(grade: int | None) -> str | None:
    labels = SCALE["labels"]
    return labels[grade] if grade is not None and grade < len(labels) else None


def _answered(request: HttpRequest) -> dict | None:
    """What the dermatologist just answered and, now that they have, the model's grade."""
    answered = request.GET.get("answered", "")
    if not answered.isdigit():
        return None
    label = (
        Label.objects.filter(labeller=request.user, photo_id=int(answered))
        .select_related("photo")
        .first()
    )
    if label is None:
        return None
    return {
        "label": label,
        "yours": _grade_name(label.grade) or label.get_cannot_grade_display(),
        "model": _grade_name(label.photo.grade),
    }


@require_GET
@dermatologist_required
def queue(request: HttpRequest) -> HttpResponse:
    answered = _answered(request)
    photo = selectors.next_photo(request.user)
    overall, pairs = selectors.agreement()
    context = {
        "photo": photo,
        "answered": answered,
        "waiting": selectors.queue_size(request.user),
        "grades": list(enumerate(SCALE["labels"])),
        "scale_name": SCALE["name"],
        "lesion_types": LesionType.choices,
        "reasons": Label.Reason.choices,
        "overall": overall,
        "pairs": pairs,
    }
    return render(request, "labelling/queue.html", context)


@require_GET
@dermatologist_required
def photo_file(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = selectors.labellable_photo(photo_id)
    if photo is None:
        raise Http404("No such photo to label.")
    try:
        return FileResponse(photo.selfie.open("rb"), content_type="image/jpeg")
    except FileNotFoundError as missing:
        raise Http404("No such photo.") from missing


def _lesions(raw: str) -> list:
    try:
        return json.loads(raw) if raw else []
    except json.JSONDecodeError as bad:
        raise services.InvalidLabel("The lesion marks could not be read.") from bad


@require_POST
@dermatologist_required
def label(request: HttpRequest, photo_id: int) -> HttpResponse:
    grade = request.POST.get("grade", "")
    try:
        services.record_label(
            labeller=request.user,
            photo_id=photo_id,
            grade=int(grade) if grade.isdigit() else None,
            cannot_grade=request.POST.get("cannot_grade", ""),
            lesions=_lesions(request.POST.get("lesions", "")),
        )
    except services.AlreadyLabelled:
        pass  # a double click, or a second tab: the first answer stands
    except ApplicationError as refused:
        messages.error(request, refused.message)
        return redirect("labelling:queue")
    return redirect(f"{reverse('labelling:queue')}?answered={photo_id}")
