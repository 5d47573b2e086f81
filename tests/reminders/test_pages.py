"""The reminder form on the diagnosis result and history pages, and the reminder page, as a
shopper uses them."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import Diagnosis
from diagnosis.session import GUEST_TOKEN_SESSION_KEY
from reminders.models import CheckReminder
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("reminders:index")
SCHEDULE = reverse("reminders:schedule")
CANCEL = reverse("reminders:cancel")
HISTORY = reverse("diagnosis:history")


def done_diagnosis(**owner) -> Diagnosis:
    """A done check of one front photo graded 2 (mild), owned by ``user`` or ``guest_token``."""
    owner.setdefault("user", None)
    return DiagnosisFactory(
        grade=2,
        label="mild",
        score=2.1,
        finished_at=timezone.now(),
        front__grade=2,
        front__label="mild",
        **owner,
    )


# --- The form on the diagnosis pages --------------------------------------------------------
def test_the_result_and_history_pages_offer_a_reminder_six_weeks_ahead(client):
    user = UserFactory()
    diagnosis = done_diagnosis(user=user)
    client.force_login(user)

    for url in (reverse("diagnosis:detail", args=[diagnosis.pk]), HISTORY):
        page = client.get(url).content.decode()
        assert 'data-testid="reminder"' in page
        assert f'action="{SCHEDULE}"' in page
        assert '<option value="6" selected>6 weeks</option>' in page
        assert f'name="next" value="{url}"' in page


def test_a_guest_is_asked_to_sign_in_for_a_reminder(client):
    session = client.session
    session[GUEST_TOKEN_SESSION_KEY] = "guest-token"
    session.save()
    diagnosis = done_diagnosis(guest_token="guest-token")
    url = reverse("diagnosis:detail", args=[diagnosis.pk])

    page = client.get(url).content.decode()

    assert 'data-testid="reminder-sign-in"' in page
    assert f'href="{reverse("accounts:login")}?next={url}"' in page.replace("%2F", "/")
    assert f'action="{SCHEDULE}"' not in page


def test_a_guest_posting_the_form_is_sent_to_sign_in_and_back(client):
    response = client.post(SCHEDULE, {"weeks": 6, "next": HISTORY})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=/diagnosis/history/" in response["Location"]
    assert not CheckReminder.objects.exists()


def test_the_page_shows_the_date_of_the_active_reminder(client):
    reminder = ReminderFactory()
    done_diagnosis(user=reminder.user)
    client.force_login(reminder.user)

    page = client.get(HISTORY).content.decode()

    assert 'data-testid="reminder-due"' in page
    assert reminder.due_at.strftime("%-d %B %Y") in page
    assert "Change the date" in page


# --- Scheduling and cancelling --------------------------------------------------------------
def test_asking_for_a_reminder_returns_to_the_page_with_a_message(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(SCHEDULE, {"weeks": "8", "next": HISTORY}, follow=True)

    assert response.redirect_chain[-1][0] == HISTORY
    reminder = CheckReminder.objects.get(user=user)
    assert reminder.weeks == 8
    assert f"We will e-mail {user.email} on" in response.content.decode()


def test_a_foreign_next_address_is_ignored(client):
    client.force_login(UserFactory())

    response = client.post(SCHEDULE, {"weeks": "6", "next": "https://evil.example/"})

    assert response["Location"] == INDEX


def test_an_odd_number_of_weeks_is_refused_with_a_message(client):
    client.force_login(UserFactory())

    response = client.post(SCHEDULE, {"weeks": "5"}, follow=True)

    assert not CheckReminder.objects.exists()
    assert "choose in how many weeks" in response.content.decode()


def test_forms_need_the_csrf_token():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(SCHEDULE, {"weeks": "6"}).status_code == 403
    assert client.post(CANCEL).status_code == 403


def test_the_reminder_page_shows_and_cancels_ones_own_reminder(client):
    reminder = ReminderFactory()
    client.force_login(reminder.user)

    page = client.get(INDEX)
    assert page.status_code == 200
    assert 'data-testid="reminder-cancel"' in page.content.decode()

    response = client.post(CANCEL, follow=True)

    reminder.refresh_from_db()
    assert reminder.cancelled_at is not None
    assert "Your reminder is cancelled" in response.content.decode()


def test_another_shopper_can_neither_see_nor_cancel_my_reminder(client):
    mine = ReminderFactory()
    client.force_login(UserFactory())

    page = client.get(INDEX).content.decode()
    client.post(CANCEL)

    assert mine.user.email not in page
    assert "You have no reminder" in page
    mine.refresh_from_db()
    assert mine.is_active


def test_the_reminder_page_is_for_signed_in_shoppers(client):
    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
