"""The result page tells one story: what it says while waiting, the numbers of a done check,
the warning for its grade, how each photo was read, its zones, and an honest failure."""

import pytest
from django.urls import reverse

from diagnosis.models import Diagnosis
from tests.diagnosis.factories import finished_check

pytestmark = pytest.mark.django_db


def _page(client, diagnosis) -> str:
    return client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()


def _mine(client, **check):
    session = client.session
    session["diagnosis_guest_token"] = "guest"
    session.save()
    return finished_check(guest_token="guest", **check)


@pytest.mark.parametrize(
    ("slots", "text"),
    [
        (("front",), "Your photo is in the queue…"),
        (("front", "left"), "Your photos are in the queue…"),
    ],
)
def test_a_queued_check_says_its_photos_are_in_the_queue_in_words(client, slots, text):
    html = _page(client, _mine(client, slots=slots, status=Diagnosis.Status.QUEUED))

    assert text in html


@pytest.fixture
def demo_shop():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())


@pytest.mark.parametrize(("score", "banner"), [(3.0, False), (4.0, True), (5.0, True)])
def test_the_dermatologist_banner_is_for_the_grades_the_referral_rule_refers(
    client, demo_shop, score, banner
):
    html = _page(client, _mine(client, score=score))

    assert ('data-testid="see-dermatologist"' in html) is banner
    if not banner:
        # The moderate plan's advice for later reads as such, and is no alert.
        assert "When to see a doctor:</strong> If there is no improvement after 12 weeks" in html
        assert "Acne this severe" not in html and 'role="alert"' not in html


def _graded(diagnosis, **values):
    Diagnosis.objects.filter(pk=diagnosis.pk).update(**values)
    diagnosis.photos.update(
        **{k: v for k, v in values.items() if k in ("grade", "score", "probabilities")},
        confidence=values.get("confidence"),
    )
    diagnosis.refresh_from_db()
    return diagnosis


def test_grade_score_chart_and_confidence_tell_one_story(client):
    # Almost clear, while "clear" alone is the likeliest bar: the page says why.
    check = _graded(
        _mine(client, score=1.0),
        grade=1,
        label="almost clear",
        score=0.82,
        probabilities=[0.46, 0.3, 0.2, 0.04, 0.0, 0.0],
        confidence=0.9,
    )

    html = _page(client, check)

    assert 'data-testid="score">0.8</strong>' in html and "your grade is this score rounded" in html
    assert "Clear alone is the likeliest grade (46 %), but higher grades are likely too" in html
    assert "How sure: 90 % that your skin is between clear and mild" in html
    assert "(confidence 90%)" not in html


def test_a_three_photo_check_says_whose_numbers_are_shown(client):
    check = _mine(client, score=3.0, slots=("front", "left", "right"))
    Diagnosis.objects.filter(pk=check.pk).update(combined_from="left")

    html = _page(client, check)

    assert "Your grade is your left side photo's, the most affected one." in html
    assert "These are your left side photo's, the one that decided the grade" in html
    # The deciding photo comes first.
    assert html.index('data-testid="photo-left"') < html.index('data-testid="photo-front"')


def test_a_side_photo_never_outlines_the_cheek_it_does_not_show(client):
    outline = [[10, 10], [60, 10], [60, 60], [10, 60]]
    zones = [
        {
            "zone": name,
            "label": name.replace("_", " "),
            "severity": 2.0,
            "slot": "left",
            "outline": outline,
        }
        for name in ("left_cheek", "right_cheek")
    ]
    check = _mine(client, score=3.0, slots=("left",), zones=zones)

    html = _page(client, check)

    assert 'data-zone="left_cheek"' in html and 'data-zone="right_cheek"' not in html
    assert "the right cheek" not in html  # nor in "Most signs are on …"


def test_the_outline_colours_have_a_legend(client):
    outline = [[10, 10], [60, 10], [60, 60], [10, 60]]
    zones = [
        {"zone": "nose", "label": "nose", "severity": 3.2, "slot": "front", "outline": outline}
    ]

    html = _page(client, _mine(client, score=3.0, zones=zones))

    assert 'data-testid="zone-legend"' in html
    for words in ("red, moderate or worse", "yellow, mild", "white, few or no signs"):
        assert words in html


def test_a_failed_check_shows_the_photo_sent_and_ways_on(client):
    check = _mine(client, status=Diagnosis.Status.FAILED, files=True)
    Diagnosis.objects.filter(pk=check.pk).update(failure_code="no_face", failure_reason="No face.")
    check.photos.update(status="failed", failure_code="no_face", failure_reason="No face.")

    html = _page(client, check)

    assert reverse("diagnosis:photo_selfie", args=[check.pk, "front"]) in html
    assert 'data-testid="photo-tips"' in html and "Good light" in html
    assert f'href="{reverse("recommendations:routine_index")}"' in html
    assert "Choose a routine yourself" in html and "Try another photo" in html


def _jpeg_upload(name, array):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(array).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), "image/jpeg")


@pytest.mark.parametrize("sample", ["chelsea", "coffee"])
def test_a_cat_or_a_cup_is_told_no_face_or_skin_was_found(client, analyzer, fast_heatmaps, sample):
    from skimage import data

    from diagnosis.readings import NO_FACE_OR_SKIN
    from tests.diagnosis.web import make_check

    session = client.session
    session["diagnosis_guest_token"] = "guest"
    session.save()
    upload = _jpeg_upload(f"{sample}.jpg", getattr(data, sample)())
    check = make_check({"front": upload}, analyzer=analyzer, guest_token="guest")

    assert check.status == Diagnosis.Status.FAILED
    assert (check.failure_code, check.failure_reason) == ("no_face", NO_FACE_OR_SKIN)
    html = _page(client, check)
    assert "We could not find a face or skin we can grade in this photo." in html
    assert "a little closer" not in html


class _ReadFromTheFront:
    """The engine reading every photo as if no side had been chosen (a frontal face), then
    answering for the slots it was given: a side photo read as a frontal one."""

    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer

    def analyze_photos(self, views, **options):
        outcomes = self.analyzer.analyze_photos([(None, data) for _, data in views], **options)
        for (slot, _), outcome in zip(views, outcomes, strict=True):
            outcome.slot = outcome.result.slot = slot
        return outcomes


def test_a_face_read_from_the_front_in_a_side_slot_keeps_only_that_sides_cheek(
    analyzer, fast_heatmaps, selfie_upload, sent
):
    from diagnosis import services
    from diagnosis.uploads import clean_selfie

    check = services.create_diagnosis(
        photos={"left": clean_selfie(selfie_upload(3, seed=5))}, guest_token="g"
    )
    services.run_analysis(check.pk, analyzer=_ReadFromTheFront(analyzer))
    check.refresh_from_db()
    photo = check.photos.get()

    assert photo.status == "done" and photo.view == "frontal"
    assert "left_cheek" in {z["zone"] for z in photo.zones}
    assert "right_cheek" not in {z["zone"] for z in photo.zones}
    assert "right_cheek" not in {z["zone"] for z in check.zones}
