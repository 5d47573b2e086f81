"""Staff find failed checks by why they failed."""

import pytest
from django.urls import reverse

from diagnosis.models import Diagnosis
from tests.diagnosis.web import make_diagnosis

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:diagnosis_diagnosis_changelist")


def test_the_list_filters_by_failure_reason(admin_client, selfie_upload):
    dark, no_face, queued = (
        make_diagnosis(selfie_upload(seed=n), guest_token="a-browser") for n in (1, 2, 3)
    )
    failed = Diagnosis.Status.FAILED
    Diagnosis.objects.filter(pk=dark.pk).update(status=failed, failure_code="too_dark")
    Diagnosis.objects.filter(pk=no_face.pk).update(status=failed, failure_code="no_face")

    page = admin_client.get(CHANGELIST).content.decode()
    assert "By failure reason" in page
    assert "Too dark" in page and "No face" in page

    response = admin_client.get(CHANGELIST, {"failure": "too_dark"})
    shown = {d.pk for d in response.context["cl"].result_list}
    assert shown == {dark.pk}
    assert queued.pk not in shown
