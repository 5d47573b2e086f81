"""Dermatologists' labels: one per person per photo, a dispute goes to a third whose grade is
final, the agreement is a quadratic weighted kappa, and only learnable photos are queued."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from diagnosis import services as diagnosis_services
from labelling import selectors, services
from labelling.kappa import quadratic_weighted_kappa
from labelling.models import Label
from tests.labelling.factories import dermatologist, label, learnable_photo

pytestmark = pytest.mark.django_db
QUEUE = reverse("labelling:queue")


def test_a_grade_button_records_the_label_and_the_next_photo_loads(client):
    first, second = learnable_photo(), learnable_photo()
    doctor = dermatologist()
    client.force_login(doctor)

    page = client.get(QUEUE)
    assert page.context["photo"] == first
    answered = client.post(reverse("labelling:label", args=[first.pk]), {"grade": "2"}, follow=True)

    assert Label.objects.get(photo=first, labeller=doctor).grade == 2
    assert answered.context["photo"] == second  # one click: graded, and the next is there
    assert answered.context["answered"]["yours"] == "mild"


def test_the_models_grade_is_hidden_until_the_dermatologist_has_answered(client):
    photo = learnable_photo(grade=4)
    client.force_login(dermatologist())

    before = client.get(QUEUE).content.decode()
    after = client.post(reverse("labelling:label", args=[photo.pk]), {"grade": "1"}, follow=True)

    assert "the model said" not in before and 'data-testid="model-grade"' not in before
    assert after.context["answered"]["model"] == "severe"
    assert 'data-testid="model-grade">severe<' in after.content.decode()


def test_lesion_marks_and_cannot_grade_are_recorded_from_the_page(client):
    marked, blurred = learnable_photo(), learnable_photo()
    doctor = dermatologist()
    client.force_login(doctor)
    marks = '[{"x": 0.25, "y": 0.5, "type": "pustule"}, {"x": 0.7, "y": 0.4, "type": "nodule"}]'

    client.post(reverse("labelling:label", args=[marked.pk]), {"grade": "3", "lesions": marks})
    client.post(reverse("labelling:label", args=[blurred.pk]), {"cannot_grade": "blurred"})

    assert Label.objects.get(photo=marked).lesions == [
        {"x": 0.25, "y": 0.5, "type": "pustule"},
        {"x": 0.7, "y": 0.4, "type": "nodule"},
    ]
    refused = Label.objects.get(photo=blurred)
    assert (refused.grade, refused.cannot_grade) == (None, "blurred")


@pytest.mark.parametrize(
    "marks",
    [[{"x": 1.5, "y": 0.5, "type": "papule"}], [{"x": 0.5, "y": 0.5, "type": "mole"}], [{"x": 1}]],
)
def test_a_bad_lesion_mark_is_refused_and_nothing_is_recorded(marks):
    photo = learnable_photo()
    with pytest.raises(services.InvalidLabel):
        label(photo, dermatologist(), 3, lesions=marks)
    assert not Label.objects.exists()


def test_a_grade_off_the_scale_or_both_a_grade_and_a_reason_are_refused():
    photo, doctor = learnable_photo(), dermatologist()
    with pytest.raises(services.InvalidLabel):
        label(photo, doctor, 6)
    with pytest.raises(services.InvalidLabel):
        label(photo, doctor, 2, cannot_grade="blurred")
    assert not Label.objects.exists()


def test_one_label_per_person_per_photo_and_a_double_click_is_harmless(client):
    photo, doctor = learnable_photo(), dermatologist()
    client.force_login(doctor)
    url = reverse("labelling:label", args=[photo.pk])

    client.post(url, {"grade": "3"})
    again = client.post(url, {"grade": "3"})
    other = client.post(url, {"grade": "5"})

    assert again.status_code == other.status_code == 302
    assert list(Label.objects.values_list("grade", flat=True)) == [3]  # the first answer stands
    with pytest.raises(services.AlreadyLabelled):
        label(photo, doctor, 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(photo=photo, labeller=doctor, grade=4)


def test_agreeing_opinions_settle_the_photo_and_it_leaves_every_queue():
    photo = learnable_photo()
    first, second, third = dermatologist(), dermatologist(), dermatologist()

    label(photo, first, 3)
    assert selectors.next_photo(second) == photo  # waiting for its second opinion
    label(photo, second, 3)

    assert selectors.settle(list(photo.labels.all())).grade == 3
    assert selectors.next_photo(third) is None
    with pytest.raises(services.PhotoSettled):
        label(photo, third, 2)


def test_a_disagreement_goes_to_a_third_dermatologist_whose_grade_is_final():
    photo = learnable_photo()
    first, second, third = dermatologist(), dermatologist(), dermatologist()
    label(photo, first, 2)
    label(photo, second, 4)

    assert selectors.settle(list(photo.labels.all())).state == selectors.DISPUTED
    assert selectors.next_photo(first) is None and selectors.next_photo(second) is None
    assert selectors.next_photo(third) == photo
    final = label(photo, third, 3, lesions=[{"x": 0.5, "y": 0.5, "type": "papule"}])

    assert final.role == Label.Role.ADJUDICATION
    settled = selectors.settle(list(photo.labels.all()))
    assert (settled.state, settled.grade) == (selectors.ADJUDICATED, 3)
    assert settled.lesions == [{"x": 0.5, "y": 0.5, "type": "papule"}]
    assert selectors.next_photo(dermatologist()) is None


def test_a_grade_against_cannot_grade_is_a_dispute_and_two_cannot_grade_settle_it():
    disputed, ungradable = learnable_photo(), learnable_photo()
    first, second, third = dermatologist(), dermatologist(), dermatologist()
    label(disputed, first, 3)
    label(disputed, second, None)
    label(ungradable, first, None)
    label(ungradable, second, None)

    assert selectors.settle(list(disputed.labels.all())).state == selectors.DISPUTED
    assert selectors.settle(list(ungradable.labels.all())).state == selectors.UNGRADABLE
    assert list(selectors.queue(third)) == [disputed]


def test_with_one_opinion_required_a_single_label_settles_the_photo(settings):
    settings.LABELLING_OPINIONS = 1
    photo = learnable_photo()
    label(photo, dermatologist(), 5)
    assert selectors.settle(list(photo.labels.all())).grade == 5
    assert selectors.next_photo(dermatologist()) is None


def test_the_queue_holds_only_photos_the_shop_may_learn_from():
    consented = learnable_photo()
    learnable_photo(consent=False)
    withdrawn = learnable_photo()
    diagnosis_services.withdraw_training_consent([withdrawn.diagnosis])
    pending = learnable_photo(status="pending", grade=None)
    pending.diagnosis.status = "processing"
    pending.diagnosis.save()
    learnable_photo(status="failed", grade=None, face_box=[])  # no face found: no one's to grade
    abstained = learnable_photo(status="failed", grade=None, face_box=[10, 10, 40, 40])

    assert set(selectors.queue(dermatologist())) == {consented, abstained}
    with pytest.raises(services.NoSuchPhoto):
        label(withdrawn, dermatologist(), 3)


def test_quadratic_weighted_kappa_matches_the_textbook_values():
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3], 6) == pytest.approx(1.0)
    # Worked by hand: a weighted disagreement of 2/25 seen, against 24/25 by chance.
    assert quadratic_weighted_kappa([0, 1, 2, 3, 4], [0, 2, 2, 3, 5], 6) == pytest.approx(
        1 - 2 / 24
    )
    assert quadratic_weighted_kappa([0, 5], [5, 0], 6) == pytest.approx(-1.0)
    assert quadratic_weighted_kappa([3, 3], [3, 3], 6) != quadratic_weighted_kappa(
        [3, 3], [3, 3], 6
    )


def test_the_page_shows_the_agreement_over_the_photos_both_graded(client):
    first, second = dermatologist(username="dr_ada"), dermatologist(username="dr_bo")
    for grade_a, grade_b in [(0, 0), (2, 2), (4, 5), (1, 1)]:
        photo = learnable_photo()
        label(photo, first, grade_a)
        label(photo, second, grade_b)
    client.force_login(first)

    overall, pairs = selectors.agreement()
    page = client.get(QUEUE).content.decode()

    expected = quadratic_weighted_kappa([0, 2, 4, 1], [0, 2, 5, 1], 6)
    assert overall.photos == 4 and overall.disagreements == 1
    assert overall.kappa == pytest.approx(round(expected, 3))
    assert [(p.first, p.second, p.photos) for p in pairs] == [("dr_ada", "dr_bo", 4)]
    assert f'data-testid="kappa">{overall.kappa}<' in page
