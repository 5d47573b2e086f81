"""The history page: one's own diagnoses, the score over time, and deleting them all."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import Diagnosis
from diagnosis.session import GUEST_TOKEN_SESSION_KEY
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import finished_check, zone_list
from tests.diagnosis.web import files_of, front, make_diagnosis

pytestmark = pytest.mark.django_db

HISTORY = reverse("diagnosis:history")
DELETE_ALL = reverse("diagnosis:delete_all")
GEA = {
    "name": "GEA",
    "labels": ["clear", "almost clear", "mild", "moderate", "severe", "very severe"],
}


def finished(diagnosis: Diagnosis, *, days_ago: int, score: float) -> Diagnosis:
    """Marks ``diagnosis`` done ``days_ago`` days back with ``score`` (as a worker would)."""
    grade = round(score)
    when = timezone.now() - timedelta(days=days_ago)
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        status=Diagnosis.Status.DONE,
        grade=grade,
        label=GEA["labels"][grade],
        score=score,
        scale=GEA,
        created_at=when,
        finished_at=when + timedelta(seconds=20),
    )
    diagnosis.refresh_from_db()
    return diagnosis


@pytest.fixture
def shopper(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_the_history_lists_only_ones_own_diagnoses_newest_first(client, shopper, selfie_upload):
    older = finished(make_diagnosis(selfie_upload(seed=1), user=shopper), days_ago=9, score=3.2)
    newer = make_diagnosis(selfie_upload(seed=2), user=shopper)
    someone_elses = make_diagnosis(selfie_upload(seed=3), user=UserFactory())
    guests = make_diagnosis(selfie_upload(seed=4), guest_token="another-browser")

    html = client.get(HISTORY).content.decode()

    links = re.findall(r'href="/diagnosis/([0-9a-f-]{36})/"', html)
    assert links == [str(newer.pk), str(older.pk)]
    assert str(someone_elses.pk) not in html and str(guests.pk) not in html
    # Small thumbnails through the permission-checked media view, never a storage path, and
    # never the full selfie for a 64 px square.
    assert reverse("diagnosis:thumbnail", args=[older.pk]) in html
    assert reverse("diagnosis:selfie", args=[older.pk]) not in html
    assert front(older).thumbnail.name not in html
    assert "Grade 3 · Moderate" in html and "Being analysed" in html


def test_the_trend_chart_has_one_point_per_done_diagnosis(client, shopper, selfie_upload):
    for seed, (days_ago, score) in enumerate([(30, 3.6), (20, 2.4), (10, 1.2)]):
        finished(
            make_diagnosis(selfie_upload(seed=seed), user=shopper), days_ago=days_ago, score=score
        )
    make_diagnosis(selfie_upload(seed=8), user=shopper)  # still queued: not a point
    failed = make_diagnosis(selfie_upload(seed=9), user=shopper)
    Diagnosis.objects.filter(pk=failed.pk).update(status=Diagnosis.Status.FAILED)

    html = client.get(HISTORY).content.decode()

    assert html.count('data-testid="trend-point"') == 3
    # The y axis is labelled with the scale's grades; the x axis with the first and last day.
    for label in GEA["labels"]:
        assert f">{label}</text>" in html
    assert html.count('class="trend__x-label"') == 2
    # Oldest on the left, and a falling score is drawn going down the page.
    points = [
        (float(x), float(y))
        for x, y in re.findall(r'<circle[^>]* cx="([\d.]+)" cy="([\d.]+)"', html)
    ]
    assert len(points) == 3
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert [y for _, y in points] == sorted(y for _, y in points)
    assert "from 3.6 (severe)" in html and "to 1.2 (almost clear)" in html


def test_the_trend_has_a_line_per_zone_with_a_legend_and_a_table(client, shopper):
    finished_check(user=shopper, days_ago=20, score=3.2, zones=zone_list(chin=3.1, nose=1.0))
    finished_check(user=shopper, days_ago=10, score=2.4, zones=zone_list(nose=1.4))
    finished_check(user=shopper, days_ago=1, score=1.8, zones=zone_list(chin=1.6, nose=0.9))
    finished_check(user=UserFactory(), score=4.0, zones=zone_list(forehead=4.0))  # not mine

    html = client.get(HISTORY).content.decode()

    lines = re.findall(r'data-testid="trend-zone" data-zone="(\w+)">(.*?)</g>', html, re.S)
    assert [zone for zone, _ in lines] == ["nose", "chin"]
    (nose, chin) = (body for _, body in lines)
    assert nose.count("<polyline") == 1 and nose.count("trend__zone-marker") == 3
    # The middle check did not see the chin: two markers, no line through a made-up zero.
    assert chin.count("<polyline") == 0 and chin.count("trend__zone-marker") == 2
    legend = html.split('data-testid="trend-legend"')[1].split("</ul>")[0]
    assert "Whole face (score)" in legend and "Nose" in legend and "Chin and jaw" in legend
    assert "each face zone's severity (nose, chin and jaw)" in html
    table = html.split('data-testid="trend-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", table)
    assert len(rows) == 3
    assert "<td>3.2 (moderate)</td><td>1.0</td><td>3.1</td>" in rows[0]
    assert "not seen" in rows[1] and "not seen" not in rows[2]


def test_without_a_done_diagnosis_there_is_no_chart(client, shopper, selfie_upload):
    make_diagnosis(selfie_upload(), user=shopper)

    html = client.get(HISTORY).content.decode()

    assert 'data-testid="trend-chart"' not in html
    assert 'data-testid="history-item"' in html


def test_delete_all_asks_first_then_removes_every_row_and_file(
    client, shopper, selfie_upload, analyzer, settings, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_EXPLAIN_K = 2
    mine = [
        make_diagnosis(selfie_upload(), analyzer=analyzer, user=shopper),
        make_diagnosis(selfie_upload(seed=5), user=shopper),
    ]
    kept = make_diagnosis(selfie_upload(seed=6), user=UserFactory())
    storage = front(kept).selfie.storage
    names = [name for d in mine for name in files_of(d)]
    assert len(names) == 5 and all(storage.exists(n) for n in names)

    confirm = client.get(DELETE_ALL)
    assert confirm.status_code == 200 and "your 2 skin analyses" in confirm.content.decode()
    assert Diagnosis.objects.count() == 3  # asking deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DELETE_ALL, follow=True)

    assert "Deleted 2 diagnoses and their photos." in response.content.decode()
    assert list(Diagnosis.objects.all()) == [kept]
    assert not any(storage.exists(n) for n in names)
    assert storage.exists(front(kept).selfie.name)


def test_a_guest_has_a_history_of_their_session_too(client, selfie_upload):
    session = client.session
    session[GUEST_TOKEN_SESSION_KEY] = "this-browser"
    session.save()
    mine = make_diagnosis(selfie_upload(), guest_token="this-browser")

    html = client.get(HISTORY).content.decode()

    assert reverse("diagnosis:detail", args=[mine.pk]) in html
