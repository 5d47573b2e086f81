"""Shop pages of the skin check: upload, result, history, media and deletion (thin).

Who may see what is decided in one place, ``selectors.visible_diagnosis``: every page, file and
JSON answer of one diagnosis goes through it and answers 404 to anyone else, so an id is never
confirmed to a stranger. Deleting is for the owner only.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import api_credential_user
from diagnosis import charts, polling, progress, readings, selectors, services, session
from diagnosis.forms import VIEW_GUIDES, SelfieUploadForm
from diagnosis.ml.combine import describe_zones
from diagnosis.models import Diagnosis, DiagnosisPhoto
from diagnosis.serializers import PhotoSerializer
from diagnosis.uploads import DecodeBusy, PhotoSizeGuard
from recommendations.services import routine
from skinshop.errors import ApplicationError
from skinshop.ratelimit import client_address

HISTORY_PAGE_SIZE = 20


def _owned(request: HttpRequest) -> QuerySet[Diagnosis]:
    return selectors.owned_diagnoses(user=request.user, guest_token=session.guest_token(request))


def _visible(request: HttpRequest, pk) -> Diagnosis:
    diagnosis = selectors.visible_diagnosis(
        pk, user=request.user, guest_token=session.guest_token(request)
    )
    if diagnosis is None:
        raise Http404("No such diagnosis.")
    return diagnosis


def _visible_photo(request: HttpRequest, pk, slot: str | None) -> DiagnosisPhoto:
    """A photo's files, which the API links to, by the rule of ``_visible``: an API client
    signed in with a token (no session) sees its own too; anyone else gets 404."""
    user = request.user
    if not user.is_authenticated:
        user = api_credential_user(request) or user
    photo = selectors.visible_photo(pk, slot, user=user, guest_token=session.guest_token(request))
    if photo is None:
        raise Http404("No such photo.")
    return photo


def _owned_one(request: HttpRequest, pk) -> Diagnosis:
    diagnosis = _owned(request).filter(pk=pk).first()
    if diagnosis is None:
        raise Http404("No such diagnosis.")
    return diagnosis


def _private(response: HttpResponse) -> HttpResponse:
    # A selfie, or anything about it, must not stay in a shared or back-button cache.
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt  # checked by _upload, once the size guard is in place
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    # Before anything reads the body: the CSRF check would (Django's documented pattern).
    request.upload_handlers.insert(0, PhotoSizeGuard(request))
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    owned = _owned(request)
    if posted:
        form = SelfieUploadForm(request.POST, request.FILES)
    else:
        # The skin type said at the last check, so the shopper need not say it every time.
        last_type = owned.exclude(skin_type="").values_list("skin_type", flat=True).first()
        form = SelfieUploadForm(initial={"skin_type": last_type or ""})
    context = {"form": form, "has_history": owned.exists()}
    # The form's checks cost nothing (consent, fields, sizes): a request they refuse reads no
    # photo and is not counted against the shopper's hourly limit.
    if not posted or not form.is_valid():
        return render(request, "diagnosis/upload.html", context)
    owner = session.upload_owner(request)
    try:
        checked = services.accept_photos(
            form.uploads(),
            owner_key=owner.key,
            new_guest=owner.new_guest,
            address=client_address(request),
        )
    except (services.RateLimited, DecodeBusy) as refused:
        context["refused"] = refused.message
        response = render(request, "diagnosis/upload.html", context, status=refused.status)
        response["Retry-After"] = str(refused.retry_after)
        return response
    session.keep_guest_token(request, owner)
    if checked.rejected:
        form.reject(checked.rejected)
        return render(request, "diagnosis/upload.html", context)
    diagnosis = services.create_diagnosis(
        photos=checked.photos,
        user=request.user if request.user.is_authenticated else None,
        guest_token=owner.guest_token,
        client_address=client_address(request),
        skin_type=form.cleaned_data["skin_type"],
        training_consent=form.cleaned_data["training_consent"],
    )
    return redirect("diagnosis:detail", pk=diagnosis.pk)


def _recommendation(diagnosis: Diagnosis):
    """The routine for the check's grade and zones; None when the shop has none for it (no
    condition set up, or a model graded on a scale the shop does not know)."""
    if diagnosis.grade is None:
        return None
    try:
        return routine.recommend(
            grade=diagnosis.grade,
            zones=diagnosis.zones,
            check=str(diagnosis.pk),
            skin_type=diagnosis.skin_type,
        )
    except ApplicationError:
        return None


def _photo_items(diagnosis: Diagnosis, photos: list[DiagnosisPhoto], labels) -> list[dict]:
    """Each photo with what the page says of it; the one that decided the grade first."""
    first = sorted(photos, key=lambda photo: photo.slot != diagnosis.combined_from)
    return [
        {
            "photo": photo,
            "overlay": charts.zone_overlay(
                readings.visible_zones(photo.zones, photo.slot),
                width=photo.selfie_width,
                height=photo.selfie_height,
            ),
            "reading": readings.reading(photo.slot, photo.view),
            "advice": readings.advice(photo.slot, photo.view, photo.notes),
            "instruction": VIEW_GUIDES[photo.slot][1],
            "story": charts.grade_story(
                grade=photo.grade,
                score=photo.score,
                probabilities=photo.probabilities,
                confidence=photo.confidence,
                labels=labels,
            )
            if photo.grade is not None
            else None,
        }
        for photo in first
    ]


@require_GET
def detail(request: HttpRequest, pk) -> HttpResponse:
    diagnosis = _visible(request, pk)
    photos = list(diagnosis.photos.all())
    owned = _owned(request)
    is_owner = owned.filter(pk=diagnosis.pk).exists()
    labels = diagnosis.scale.get("labels", [])
    context = {
        "diagnosis": diagnosis,
        "is_owner": is_owner,
        "labels": labels,
        "photos": _photo_items(diagnosis, photos, labels),
        "several": len(photos) > 1,
        "graded_count": sum(photo.status == DiagnosisPhoto.Status.DONE for photo in photos),
        "zone_levels": charts.ZONE_LEVELS,
    }
    if diagnosis.status == Diagnosis.Status.DONE:
        recommendation = _recommendation(diagnosis)
        context.update(
            recommendation=recommendation,
            see_dermatologist=routine.refers_to_dermatologist(
                grade=diagnosis.grade, recommendation=recommendation
            ),
            story=charts.grade_story(
                grade=diagnosis.grade,
                score=diagnosis.score,
                probabilities=diagnosis.probabilities,
                confidence=diagnosis.confidence,
                labels=labels,
            ),
            deciding=next((p for p in photos if p.slot == diagnosis.combined_from), None),
            zone_sentence=describe_zones(readings.visible_zones(diagnosis.zones)),
            previous=selectors.previous_done(owned, diagnosis) if is_owner else None,
        )
    return _private(render(request, "diagnosis/detail.html", context))


@require_GET
def status_json(request: HttpRequest, pk) -> HttpResponse:
    """The result page polls this while the photos are analysed (works without the API)."""
    unchanged = polling.not_modified(request, pk, user=request.user)
    if unchanged is not None:
        return unchanged
    diagnosis = _visible(request, pk)
    views = PhotoSerializer(diagnosis.photos.all(), many=True, context={"request": request})
    response = _private(
        JsonResponse(
            {
                "id": str(diagnosis.pk),
                "status": diagnosis.status,
                "status_display": diagnosis.get_status_display(),
                "is_finished": diagnosis.is_finished,
                "grade": diagnosis.grade,
                "label": diagnosis.label,
                "score": diagnosis.score,
                "probabilities": diagnosis.probabilities,
                "combined_from": diagnosis.combined_from,
                "zones": diagnosis.zones,
                "failure_reason": diagnosis.failure_reason,
                "views": views.data,
            }
        )
    )
    return polling.with_etag(response, request, diagnosis)


def _stream(field, content_type: str) -> HttpResponse:
    if not field:
        raise Http404("No such file.")
    try:
        handle = field.open("rb")
    except FileNotFoundError as missing:
        raise Http404("No such file.") from missing
    return _private(FileResponse(handle, content_type=content_type))


# Each takes a slot (front, left, right); without one, the first photo (the old single URLs).
@require_GET
def selfie(request: HttpRequest, pk, slot: str | None = None) -> HttpResponse:
    return _stream(_visible_photo(request, pk, slot).selfie, "image/jpeg")


@require_GET
def thumbnail(request: HttpRequest, pk, slot: str | None = None) -> HttpResponse:
    photo = _visible_photo(request, pk, slot)
    # Rows stored before thumbnails existed have none: their selfie stands in.
    return _stream(photo.thumbnail or photo.selfie, "image/jpeg")


@require_GET
def heatmap(request: HttpRequest, pk, slot: str | None = None) -> HttpResponse:
    return _stream(_visible_photo(request, pk, slot).heatmap, "image/png")


def _local_date(when) -> str:
    return formats.date_format(timezone.localtime(when), "j M Y")


@require_GET
def history(request: HttpRequest) -> HttpResponse:
    owned = _owned(request).order_by("-created_at")
    listed = owned.annotate(photo_count=Count("photos"))
    page = Paginator(listed, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    done = list(
        owned.filter(status=Diagnosis.Status.DONE, score__isnull=False)
        .order_by("created_at")
        .values_list("created_at", "score", "grade", "label", "scale", "zones")
    )
    # The axis follows the newest model's scale; the shop grades on one scale at a time.
    scale = done[-1][4] if done else {}
    chart = charts.trend_chart(
        [row[:4] for row in done],
        scale.get("labels", []),
        zones=[row[5] for row in done],
        scale_name=scale.get("name", ""),
        date_format=_local_date,
    )
    context = {
        "page_obj": page,
        "learning_from": owned.filter(training_consent=True).count(),
        "diagnoses": page.object_list,
        "chart": chart,
        "can_compare": len(done) >= 2,
    }
    return _private(render(request, "diagnosis/history.html", context))


def _compare_problem(request: HttpRequest, problem: str, status: int = 200) -> HttpResponse:
    return _private(render(request, "diagnosis/compare.html", {"problem": problem}, status=status))


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Two checks side by side: ``?a=<id>&b=<id>`` (the history's form sends ``check`` twice),
    ``view`` for the photo (front, left, right). Either check not visible to the viewer: 404
    for both alike, so the answer never tells which one exists."""
    ids = [request.GET.get("a"), request.GET.get("b")]
    if not any(ids):
        ids = request.GET.getlist("check")
    if len(ids) != 2 or not all(ids):
        return _compare_problem(request, "Choose two checks to compare.", status=400)
    first, second = (_visible(request, pk) for pk in ids)
    if first.pk == second.pk:
        return _compare_problem(request, "Choose two different checks to compare.", status=400)
    if not selectors.same_owner(first, second):
        # Staff allowed to see every check still compare one person's progress only.
        return _compare_problem(
            request, "Choose two checks of the same person to compare.", status=400
        )
    before, after = sorted((first, second), key=lambda d: d.created_at)
    unfinished = [d for d in (before, after) if d.status != Diagnosis.Status.DONE]
    if unfinished:
        check = unfinished[0]
        when = _local_date(check.created_at)
        why = (
            "could not be analysed"
            if check.status == Diagnosis.Status.FAILED
            else "is still being analysed"
        )
        return _compare_problem(
            request, f"The check of {when} {why}: only checks with a result can be compared."
        )
    comparison = progress.compare_checks(
        before,
        after,
        list(before.photos.all()),
        list(after.photos.all()),
        wanted=request.GET.get("view"),
    )
    sides = [
        {"role": role, "title": title, "check": check, "photo": photo}
        for role, title, check, photo in zip(
            ("before", "after"),
            ("Earlier", "Later"),
            (before, after),
            comparison.photos,
            strict=True,
        )
    ]
    context = {"before": before, "after": after, "comparison": comparison, "sides": sides}
    return _private(render(request, "diagnosis/compare.html", context))


@require_POST
def delete(request: HttpRequest, pk) -> HttpResponse:
    services.delete_diagnoses([_owned_one(request, pk)])
    messages.success(request, "The diagnosis and its photos are deleted.")
    return redirect("diagnosis:history")


@require_POST
def withdraw_training(request: HttpRequest, pk) -> HttpResponse:
    """The owner (an account, or a guest's session) stops the shop learning from a check."""
    diagnosis = _owned_one(request, pk)
    services.withdraw_training_consent([diagnosis])
    messages.success(request, "The shop will not learn from these photos any more.")
    if _owned(request).filter(pk=diagnosis.pk).exists():
        return redirect("diagnosis:detail", pk=diagnosis.pk)
    return redirect("diagnosis:history")  # kept only for training: it is gone now


@require_POST
def withdraw_training_all(request: HttpRequest) -> HttpResponse:
    count = services.withdraw_training_consent(_owned(request))
    if count:
        messages.success(request, "The shop will not learn from any of your photos any more.")
    else:
        messages.info(request, "You had not let the shop learn from any of your photos.")
    return redirect("diagnosis:history")


@never_cache
@require_http_methods(["GET", "POST"])
def delete_all(request: HttpRequest) -> HttpResponse:
    """GET asks to confirm (works without JavaScript); POST deletes every own diagnosis."""
    owned = _owned(request)
    if request.method == "POST":
        count = services.delete_diagnoses(owned)
        if count:
            messages.success(
                request,
                f"Deleted {count} diagnos{'i' if count == 1 else 'e'}s and their photos.",
            )
        else:
            messages.info(request, "You had no diagnoses to delete.")
        return redirect("diagnosis:history")
    return render(request, "diagnosis/delete_all.html", {"count": owned.count()})
