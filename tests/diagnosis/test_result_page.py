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
