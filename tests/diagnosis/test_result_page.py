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
