"""The compare page: two of one's own checks side by side, the same view of both, the change per
zone in words; nobody else learns whether either check exists."""

import re
import uuid

import pytest
from django.urls import reverse

from diagnosis.models import Diagnosis
from diagnosis.session import GUEST_TOKEN_SESSION_KEY
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import finished_check, zone_list

pytestmark = pytest.mark.django_db

COMPARE = reverse("diagnosis:compare")
HISTORY = reverse("diagnosis:history")


def compare_url(a, b, **extra) -> str:
    query = "&".join([f"a={a}", f"b={b}", *(f"{k}={v}" for k, v in extra.items())])
    return f"{COMPARE}?{query}"


@pytest.fixture
def shopper(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def two_checks(shopper):
    earlier = finished_check(
        user=shopper,
        days_ago=28,
        score=3.2,
        zones=zone_list(left_cheek=3.2, chin=2.1, forehead=1.0),
        slots=("front", "left"),
    )
    later = finished_check(
        user=shopper,
        days_ago=1,
        score=2.1,
        zones=zone_list(left_cheek=1.9, chin=2.3, forehead=2.0, nose=1.0),
        slots=("front", "left", "right"),
    )
    return earlier, later


def test_the_owner_sees_both_checks_the_same_view_and_the_change_in_words(client, two_checks):
    earlier, later = two_checks

    response = client.get(compare_url(earlier.pk, later.pk))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    assert re.search(r"Earlier <span[^>]*>· \d+ \w+ \d{4}</span>", html)
    assert (
        "Grade <strong>3</strong> · Moderate" in html and "Grade <strong>2</strong> · Mild" in html
    )
    assert "Overall your skin is better: grade 3 (moderate) then, grade 2 (mild) now." in html
    changes = html.split('data-testid="zone-changes"')[1].split("</ul>")[0]
    assert re.findall(r"<li>(.*?)</li>", changes) == [
        "Your forehead is worse (almost clear → mild).",
        "Your nose was not seen in both checks (only in the later one).",
        "Your left cheek is better (moderate → mild).",
        "Your chin and jaw are about the same (mild).",
    ]
    # The front photo of each, through the permission-checked media views.
    for check in (earlier, later):
        assert reverse("diagnosis:photo_selfie", args=[check.pk, "front"]) in html
    # The views both have; right is only in the later check.
    views = html.split('data-testid="compare-views"')[1].split("</nav>")[0]
    assert 'aria-current="page">Front<' in views and "view=left" in views
    assert "view=right" not in views
    # The slider is drawn by the page but shown by compare.js, which is a file (CSP).
    assert "data-compare-slider" in html and "js/compare.js" in html
    assert "<script>" not in html


def test_the_order_of_the_ids_does_not_matter_and_the_view_can_be_chosen(client, two_checks):
    earlier, later = two_checks

    html = client.get(compare_url(later.pk, earlier.pk, view="left")).content.decode()

    assert html.index('data-testid="compare-before"') < html.index('data-testid="compare-after"')
    assert html.index(str(earlier.pk)) < html.index(str(later.pk))
    assert reverse("diagnosis:photo_selfie", args=[earlier.pk, "left"]) in html
    assert reverse("diagnosis:photo_selfie", args=[earlier.pk, "front"]) not in html
    # A view one check lacks falls back to the front one.
    html = client.get(compare_url(earlier.pk, later.pk, view="right")).content.decode()
    assert reverse("diagnosis:photo_selfie", args=[later.pk, "front"]) in html


def test_checks_without_a_view_in_common_show_their_first_photos_without_a_slider(client, shopper):
    front_only = finished_check(user=shopper, days_ago=5, slots=("front",))
    sides_only = finished_check(user=shopper, days_ago=2, slots=("left", "right"))

    html = client.get(compare_url(front_only.pk, sides_only.pk)).content.decode()

    assert 'data-testid="no-common-view"' in html
    assert reverse("diagnosis:photo_selfie", args=[front_only.pk, "front"]) in html
    assert reverse("diagnosis:photo_selfie", args=[sides_only.pk, "left"]) in html
    assert "data-compare-slider" not in html and "data-compare " not in html


@pytest.mark.parametrize("which", ["first", "second"])
@pytest.mark.parametrize("viewer", ["other user", "guest", "anonymous"])
def test_anyone_else_gets_404_for_either_check(client, which, viewer):
    owner = UserFactory()
    mine = finished_check(user=owner, days_ago=3)
    theirs = finished_check(user=owner, days_ago=1)
    if viewer == "other user":
        other = UserFactory()
        client.force_login(other)
        own = finished_check(user=other)
    else:
        own = None
        if viewer == "guest":
            session = client.session
            session[GUEST_TOKEN_SESSION_KEY] = "this-browser"
            session.save()
            own = finished_check(guest_token="this-browser")
    # The viewer's own check paired with the owner's, or both of the owner's.
    ids = [mine.pk, theirs.pk] if own is None else [own.pk, mine.pk]
    if which == "second":
        ids.reverse()

    response = client.get(compare_url(*ids))

    assert response.status_code == 404
    assert str(mine.pk) not in response.content.decode()


def test_a_guest_compares_the_checks_of_their_session(client):
    session = client.session
    session[GUEST_TOKEN_SESSION_KEY] = "this-browser"
    session.save()
    a = finished_check(guest_token="this-browser", days_ago=2)
    b = finished_check(guest_token="this-browser", days_ago=1)

    assert client.get(compare_url(a.pk, b.pk)).status_code == 200


@pytest.mark.parametrize("status", [Diagnosis.Status.QUEUED, Diagnosis.Status.FAILED])
def test_a_check_without_a_result_gets_a_clear_message(client, shopper, status):
    done = finished_check(user=shopper, days_ago=3)
    pending = finished_check(user=shopper, days_ago=1, status=status)

    response = client.get(compare_url(done.pk, pending.pk))

    assert response.status_code == 200
    problem = response.content.decode().split('data-testid="compare-problem">')[1]
    why = "is still being analysed" if status == "queued" else "could not be analysed"
    assert problem.startswith("The check of ") and why in problem
    assert "only checks with a result can be compared" in problem


def test_the_same_check_twice_is_a_clear_message(client, shopper):
    check = finished_check(user=shopper)

    response = client.get(compare_url(check.pk, check.pk))

    assert response.status_code == 400
    assert "Choose two different checks to compare." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["", "?a=", "?a={a}", "?b={a}", "?check={a}", "?check={a}&check={a}&check={a}"],
)
def test_missing_ids_ask_for_two_checks(client, shopper, query):
    check = finished_check(user=shopper)

    response = client.get(COMPARE + query.format(a=check.pk))

    assert response.status_code == 400
    assert "Choose two checks to compare." in response.content.decode()


@pytest.mark.parametrize("bad", ["not-a-uuid", "123", str(uuid.uuid4()), "%00", "' or 1=1"])
def test_a_malformed_or_unknown_id_is_404(client, shopper, bad):
    check = finished_check(user=shopper)

    assert client.get(COMPARE, {"a": check.pk, "b": bad}).status_code == 404
    assert client.get(COMPARE, {"a": bad, "b": check.pk}).status_code == 404


def test_the_history_form_sends_two_ticked_checks_to_the_compare_page(client, two_checks):
    earlier, later = two_checks
    finished_check(user=earlier.user, status=Diagnosis.Status.QUEUED)

    html = client.get(HISTORY).content.decode()

    form = re.search(r'<form class="compare-form" method="get" action="([^"]+)"', html)
    assert form and form[1] == COMPARE
    picks = re.findall(r'<input type="checkbox" name="check" value="([0-9a-f-]+)"', html)
    assert sorted(picks) == sorted([str(earlier.pk), str(later.pk)])  # done checks only
    response = client.get(form[1], {"check": picks})
    assert response.status_code == 200
    assert "Overall your skin is better" in response.content.decode()


def test_the_history_offers_no_comparison_with_one_result(client, shopper):
    finished_check(user=shopper)

    html = client.get(HISTORY).content.decode()

    assert 'data-testid="compare-form"' not in html and 'name="check"' not in html


def test_a_result_links_to_the_comparison_with_the_previous_done_check(client, shopper):
    first = finished_check(user=shopper, days_ago=10)
    finished_check(user=shopper, days_ago=5, status=Diagnosis.Status.FAILED)
    finished_check(user=UserFactory(), days_ago=3)  # someone else's, in between
    latest = finished_check(user=shopper, days_ago=1)

    html = client.get(reverse("diagnosis:detail", args=[latest.pk])).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="compare-previous"', html)
    assert link and link[1] == f"{COMPARE}?a={first.pk}&amp;b={latest.pk}"

    html = client.get(reverse("diagnosis:detail", args=[first.pk])).content.decode()
    assert 'data-testid="compare-previous"' not in html  # nothing earlier to compare with


def _staff_with_view_selfie(client):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_selfie"))
    client.force_login(staff)
    return staff


@pytest.mark.parametrize("second_owner", ["other user", "guest"])
def test_staff_cannot_compare_the_checks_of_two_different_people(client, second_owner):
    _staff_with_view_selfie(client)
    one = finished_check(user=UserFactory(), days_ago=3)
    other = (
        finished_check(user=UserFactory(), days_ago=1)
        if second_owner == "other user"
        else finished_check(guest_token="someone-else", days_ago=1)
    )

    response = client.get(compare_url(one.pk, other.pk))

    assert response.status_code == 400
    assert "Choose two checks of the same person to compare." in response.content.decode()
    assert "data-compare" not in response.content.decode()


def test_staff_with_the_permission_compare_one_persons_checks(client):
    _staff_with_view_selfie(client)
    owner = UserFactory()
    a = finished_check(user=owner, days_ago=3)
    b = finished_check(user=owner, days_ago=1)
    guest_a = finished_check(guest_token="one-browser", days_ago=3)
    guest_b = finished_check(guest_token="one-browser", days_ago=1)

    assert client.get(compare_url(a.pk, b.pk)).status_code == 200
    assert client.get(compare_url(guest_a.pk, guest_b.pk)).status_code == 200
