"""Operations at a glance: the staff page's numbers on generated checks, and who may see it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from diagnosis import operations, versions
from diagnosis.ml.scale import GEA
from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory, PhotoFactory
from tests.diagnosis.heldout import checkpoint_copy

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:diagnosis_operations")
Status = Diagnosis.Status


def checks_of_two_days():
    """Today: 4 graded (waits 2, 4, 6, 8 s; grades 1, 3, 3, 5) and a failed one (no face, its
    photo refused); yesterday: a graded one (10 s, grade 3) and one whose photo was withheld.
    A month ago: one more, outside the page's days."""
    now = timezone.now()
    made = []
    for day, wait, grade in [(0, 2, 1), (0, 4, 3), (0, 6, 3), (0, 8, 5), (1, 10, 3)]:
        made.append((now - timedelta(days=day, hours=1), wait, Status.DONE, grade, ""))
    made.append((now - timedelta(hours=2), 3, Status.FAILED, None, "no_face"))
    made.append((now - timedelta(days=1, hours=2), 3, Status.FAILED, None, "uncertain_grade"))
    made.append((now - timedelta(days=40), 99, Status.DONE, 0, ""))
    for created, wait, status, grade, code in made:
        label = GEA.labels[grade] if grade is not None else ""
        check = DiagnosisFactory(
            status=status, grade=grade, label=label, failure_code=code, front=None
        )
        PhotoFactory(
            diagnosis=check,
            status=DiagnosisPhoto.Status.FAILED if code else DiagnosisPhoto.Status.DONE,
            failure_code=code,
            grade=grade,
        )
        Diagnosis.objects.filter(pk=check.pk).update(
            created_at=created, finished_at=created + timedelta(seconds=wait)
        )
    return now


def test_the_overview_counts_days_reasons_waits_and_grades():
    now = checks_of_two_days()

    seen = operations.overview(days=14, now=now)

    days = {row["day"]: (row["total"], row["done"], row["failed"]) for row in seen.per_day}
    assert sorted(days.values()) == [(2, 1, 1), (5, 4, 1)]
    assert seen.check_failures == [
        {"code": "no_face", "count": 1},
        {"code": "uncertain_grade", "count": 1},
    ]
    assert {(r["code"], r["withheld"]) for r in seen.photo_refusals} == {
        ("no_face", False),
        ("uncertain_grade", True),
    }
    # Graded checks waited 2, 4, 6, 8 and 10 s.
    assert (seen.wait_p50, seen.wait_p90) == (6.0, 9.2)
    assert [(g["grade"], g["label"], g["count"], g["share"]) for g in seen.grades] == [
        (1, GEA.labels[1], 1, 20),
        (3, GEA.labels[3], 3, 60),
        (5, GEA.labels[5], 1, 20),
    ]
    assert seen.labelling["labels"] == 0 and seen.labelling["overall"] is None


def test_the_page_shows_the_model_in_use_and_its_terms(admin_client, tmp_path):
    checks_of_two_days()

    html = admin_client.get(PAGE).content.decode()
    assert "6.0 s" in html and "9.2 s" in html
    assert 'data-code="no_face"' in html and "withheld (unsure)" in html
    assert "the configured file" in html and "ACNE04" in html  # the shipped default
    assert "Not cleared for commercial use" in html
    assert "0</span> labels on 0 photos" in html and "no photo graded twice yet" in html

    version = versions.promote(versions.register_version(checkpoint_copy(tmp_path, "synthetic")))
    html = admin_client.get(PAGE).content.decode()
    assert f"registered version {version.pk}" in html and "Cleared for commercial use" in html


def test_the_check_list_links_to_the_page(admin_client):
    html = admin_client.get(reverse("admin:diagnosis_diagnosis_changelist")).content.decode()
    assert PAGE in html


def test_an_empty_shop_reads_plainly(admin_client):
    html = admin_client.get(PAGE).content.decode()
    assert "No check finished yet" in html and "No check in these days" in html


def test_only_staff_who_may_see_checks_see_the_page(client):
    assert client.get(PAGE).status_code == 302  # anonymous: to the log-in
    client.force_login(UserFactory())
    assert client.get(PAGE).status_code == 302  # a shopper: to the admin's log-in
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_diagnosis"))
    client.force_login(staff)
    assert client.get(PAGE).status_code == 200
