"""Staff's view of diagnoses: results and timings for all, faces only with the permission."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.web import files_of, front, make_diagnosis

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:diagnosis_diagnosis_changelist")


@pytest.fixture
def done(selfie_upload, analyzer, settings):
    settings.DIAGNOSIS_EXPLAIN_K = 2
    return make_diagnosis(
        selfie_upload(), analyzer=analyzer, user=UserFactory(email="sam@example.com")
    )


def staff_client(client, *codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_the_list_shows_owner_status_grade_model_and_times(admin_client, done, selfie_upload):
    make_diagnosis(selfie_upload(seed=2), guest_token="a-browser")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "sam@example.com" in html and "guest" in html
    assert f"{done.grade} {done.label}" in html
    assert f"{done.model_name} {done.model_version}" in html
    assert f"{done.timings['total']:.1f} s" in html and f"{done.wall_seconds:.1f} s" in html
    for name in ("status", "grade", "model_version"):  # the filters
        assert f"?{name}__exact=" in html or f"?{name}=" in html


def test_search_by_id_and_by_email(admin_client, done, selfie_upload):
    other = make_diagnosis(selfie_upload(seed=2), user=UserFactory(email="kim@example.com"))

    by_email = admin_client.get(CHANGELIST, {"q": "sam@example"})
    by_id = admin_client.get(CHANGELIST, {"q": str(other.pk)})

    assert list(by_email.context["cl"].result_list) == [done]
    assert list(by_id.context["cl"].result_list) == [other]


def test_results_are_read_only(admin_client, done):
    change = reverse("admin:diagnosis_diagnosis_change", args=[done.pk])

    response = admin_client.get(change)

    assert response.status_code == 200
    assert b'name="grade"' not in response.content
    before = (done.grade, done.label, done.score)
    assert admin_client.post(change, {"grade": "5", "label": "x"}).status_code == 403
    done.refresh_from_db()
    assert (done.grade, done.label, done.score) == before
    assert admin_client.get(reverse("admin:diagnosis_diagnosis_add")).status_code == 403


def test_the_selfie_shows_only_to_staff_with_the_permission(client, done):
    change = reverse("admin:diagnosis_diagnosis_change", args=[done.pk])
    selfie = reverse("diagnosis:photo_selfie", args=[done.pk, "front"])
    heatmap = reverse("diagnosis:photo_heatmap", args=[done.pk, "front"])

    without = staff_client(client, "view_diagnosis").get(change).content.decode()
    assert str(done.grade) in without and "Front" in without  # the photo's own result
    assert selfie not in without and heatmap not in without
    assert front(done).selfie.name not in without  # not even the storage path

    with_permission = staff_client(client, "view_diagnosis", "view_selfie").get(change)
    html = with_permission.content.decode()
    assert selfie in html and heatmap in html
    assert client.get(selfie).status_code == 200


def test_deleting_in_the_admin_removes_the_files_too(
    admin_client, done, django_capture_on_commit_callbacks
):
    storage = front(done).selfie.storage
    names = files_of(done)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "delete_selected", "_selected_action": [done.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not Diagnosis.objects.exists()
    assert not any(storage.exists(name) for name in names)


def test_merchandisers_hold_no_diagnosis_permission(client, done):
    group = Group.objects.get(name="Merchandiser")
    assert not group.permissions.filter(content_type__app_label="diagnosis").exists()

    merchandiser = UserFactory(is_staff=True)
    merchandiser.groups.add(group)
    client.force_login(merchandiser)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("diagnosis:selfie", args=[done.pk])).status_code == 404


def test_staff_can_send_failed_diagnoses_for_analysis_again(admin_client, done, sent):
    Diagnosis.objects.filter(pk=done.pk).update(status=Diagnosis.Status.FAILED, attempts=3)

    response = admin_client.post(
        CHANGELIST, {"action": "requeue_failed", "_selected_action": [done.pk]}, follow=True
    )

    assert "1 failed diagnoses sent for analysis again." in response.content.decode()
    done.refresh_from_db()
    assert done.status == Diagnosis.Status.QUEUED and done.attempts == 0


def test_requeueing_needs_its_own_permission_not_just_view_diagnosis(client, done, sent):
    Diagnosis.objects.filter(pk=done.pk).update(status=Diagnosis.Status.FAILED, attempts=3)
    requeue = {"action": "requeue_failed", "_selected_action": [done.pk]}

    viewer = staff_client(client, "view_diagnosis")
    action_form = viewer.get(CHANGELIST).context["action_form"]  # None: no action offered
    viewer.post(CHANGELIST, requeue, follow=True)

    assert action_form is None or "requeue_failed" not in dict(action_form.fields["action"].choices)
    assert Diagnosis.objects.get(pk=done.pk).status == Diagnosis.Status.FAILED

    operator = staff_client(client, "view_diagnosis", "requeue_diagnosis")
    operator.post(CHANGELIST, requeue, follow=True)
    assert Diagnosis.objects.get(pk=done.pk).status == Diagnosis.Status.QUEUED


def test_the_anonymous_owners_token_is_never_shown_to_staff(admin_client, selfie_upload):
    secret = "guest-bearer-secret-0123456789"
    guest = make_diagnosis(selfie_upload(seed=3), guest_token=secret)

    page = admin_client.get(reverse("admin:diagnosis_diagnosis_change", args=[guest.pk]))
    listing = admin_client.get(CHANGELIST)

    assert page.status_code == 200 and "a browser session" in page.content.decode()
    assert secret not in page.content.decode() and secret not in listing.content.decode()
