"""Model versions: a checkpoint registered, judged on held-out labelled photos, promoted (the next
check uses it, no restart), rolled back; shadow runs kept from shoppers; the terms check of the
model in use; who may promote."""

import io
import json
import math
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from django.contrib.auth.models import Permission
from django.core.checks import Error as CheckError
from django.core.management import CommandError, call_command
from django.urls import reverse

from diagnosis import tasks, versions
from diagnosis.checks import production_model_terms_check
from diagnosis.evaluation import HeldOutError, evaluate, read_heldout, spearman
from diagnosis.ml.errors import NoFaceFound
from diagnosis.models import Diagnosis, ModelVersion, ShadowResult
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DIAGNOSES
from tests.diagnosis.heldout import checkpoint_copy, write_heldout
from tests.diagnosis.web import make_check

Status = ModelVersion.Status
CHANGELIST = reverse("admin:diagnosis_modelversion_changelist")


# --- The figures ----------------------------------------------------------------------------
class _Graded:
    """A stand-in analyzer that answers a fixed grade per photo (b"refuse": no face)."""

    scale = SimpleNamespace(num_grades=6)

    def __init__(self, answers: dict[bytes, int | None]) -> None:
        self.answers = answers

    def analyze(self, photo, explain=True):
        answer = self.answers[photo]
        if answer == "refuse":
            raise NoFaceFound()
        return SimpleNamespace(grade=answer, reliable=answer is not None, abstain={
            "code": "uncertain_grade"})  # fmt: skip


def test_the_figures_over_graded_photos_with_what_was_withheld():
    answers = {b"a": 0, b"b": 1, b"c": 3, b"d": 4, b"e": 2, b"f": None, b"g": "refuse"}
    items = [(b"a", 0, "I"), (b"b", 2, "I"), (b"c", 3, "V"), (b"d", 5, "V"), (b"e", 4, ""),
             (b"f", 1), (b"g", 1)]  # fmt: skip

    figures = evaluate(_Graded(answers), items, referral_grade=4)

    assert figures["photos"] == 7 and figures["graded"] == 5
    assert figures["coverage"] == pytest.approx(5 / 7, abs=1e-4)
    assert figures["withheld"] == {"no_face": 1, "uncertain_grade": 1}
    assert figures["accuracy"] == pytest.approx(2 / 5)  # a and c
    assert figures["mae"] == pytest.approx((0 + 1 + 0 + 1 + 2) / 5)
    assert figures["recall_per_grade"] == {"0": 1.0, "2": 0.0, "3": 1.0, "4": 0.0, "5": 0.0}
    # Graded 4 or 5 by the labels: d (model 4, referred) and e (model 2, missed).
    assert figures["referral_sensitivity"] == 0.5
    assert figures["spearman"] == spearman([0, 2, 3, 5, 4], [0, 1, 3, 4, 2])
    # Per skin tone only where the labels name it; e has none.
    assert set(figures["per_skin_tone"]) == {"I", "V"}
    assert figures["per_skin_tone"]["V"]["accuracy"] == 0.5
    assert figures["per_skin_tone"]["I"]["referral_sensitivity"] is None  # none to refer
    assert figures["seconds_per_photo"] >= 0


def test_spearman_ranks_ties_together_and_is_undefined_for_a_constant():
    assert spearman([1, 2, 3], [10, 20, 30]) == 1.0
    assert spearman([1, 2, 3], [3, 2, 1]) == -1.0
    assert spearman([1, 1, 2, 2], [1, 1, 2, 2]) == 1.0
    assert spearman([1, 2, 3], [2, 2, 2]) is None


def test_the_heldout_folder_gives_its_test_photos_only(tmp_path):
    folder = write_heldout(tmp_path / "export", [0, 3, 5], tones=["I", "III", "VI"])

    items, fingerprint = read_heldout(folder)

    assert [(grade, tone) for _, grade, tone in items] == [(0, "I"), (3, "III"), (5, "VI")]
    assert all(photo[:2] == b"\xff\xd8" for photo, _, _ in items)  # the JPEG files themselves
    assert read_heldout(folder)[1] == fingerprint
    (folder / "manifest.csv").write_text(
        (folder / "manifest.csv").read_text().replace("test,3", "test,4")
    )
    assert read_heldout(folder)[1] != fingerprint  # other grades: other figures


@pytest.mark.parametrize(
    "manifest, message",
    [
        (None, "holds no manifest.csv"),
        ("path,split\n", "lacks the columns grade"),
        ("path,split,grade\ntrain/x.jpg,train,1\n", "no 'test' photos"),
        ("path,split,grade\n../secret.jpg,test,1\n", "is not a photo of the folder"),
        ("path,split,grade\ntest/gone.jpg,test,1\n", "is not a photo of the folder"),
    ],
)
def test_a_folder_that_is_not_an_export_is_refused_clearly(tmp_path, manifest, message):
    (tmp_path / "secret.jpg").write_bytes(b"\xff\xd8")
    folder = tmp_path / "export"
    folder.mkdir()
    if manifest is not None:
        (folder / "manifest.csv").write_text(manifest)
    with pytest.raises(HeldOutError, match=message):
        read_heldout(folder)


# --- Register, evaluate, promote, roll back -------------------------------------------------
def register(path, *options) -> tuple[ModelVersion, list[str]]:
    out = io.StringIO()
    call_command("register_model", str(path), *options, stdout=out)
    lines = out.getvalue().splitlines()
    return ModelVersion.objects.get(pk=int(lines[-1])), lines


def check_now(selfie_upload, training_consent=False, **owner):
    """A check uploaded now and analysed by the worker's task, as a worker would run it."""
    diagnosis = make_check(
        # A selfie the shipped model grades (it reads seeds 0, 2 and 3 as unfamiliar).
        {"front": selfie_upload(seed=5)},
        training_consent=training_consent,
        **(owner or {"guest_token": "g"}),
    )
    tasks.analyze_diagnosis.apply(args=[str(diagnosis.pk)])
    diagnosis.refresh_from_db()
    return diagnosis


@pytest.mark.django_db
def test_register_evaluate_promote_the_next_check_uses_it_and_roll_back(
    tmp_path, selfie_upload, fast_heatmaps, django_capture_on_commit_callbacks
):
    heldout = write_heldout(tmp_path / "export", [0, 2, 3, 5], tones=["I", "IV", "IV", "VI"])
    card = tmp_path / "card.md"
    card.write_text("# Real\nLearned from ACNE04.")

    first, lines = register(checkpoint_copy(tmp_path, "real"), "--heldout", str(heldout),
                            "--card", str(card))  # fmt: skip
    assert lines[-1] == str(first.pk)  # the id, last and alone
    assert first.status == Status.CANDIDATE and first.card.startswith("# Real")
    assert first.terms and not first.commercial_use  # ACNE04: academic use only
    assert first.evaluation["photos"] == 4 and first.evaluation["referral_grade"] == 4
    assert {"accuracy", "mae", "spearman", "recall_per_grade", "referral_sensitivity",
            "per_skin_tone", "seconds_per_photo"} <= set(first.evaluation)  # fmt: skip
    assert first.checkpoint.storage.exists(first.checkpoint.name)
    assert Path(first.checkpoint.path).is_relative_to(tmp_path / "private")  # private media

    before = check_now(selfie_upload)  # nothing promoted: the configured file
    assert before.status == Diagnosis.Status.DONE and before.model_release is None

    versions.promote(first)
    second, _ = register(checkpoint_copy(tmp_path, "synthetic"), "--heldout", str(heldout))
    first.refresh_from_db()
    assert first.evaluation["heldout"] == second.evaluation["heldout"]  # comparable figures

    call_command("promote_model", str(second.pk), stdout=io.StringIO())
    used = check_now(selfie_upload)
    assert used.model_release == second
    assert used.model_name == second.name and used.model_version.startswith(second.version)
    first.refresh_from_db()
    assert first.status == Status.RETIRED and versions.previous_version() == first

    call_command("promote_model", str(first.pk), stdout=io.StringIO())  # the rollback
    after = check_now(selfie_upload)
    assert after.model_release == first
    assert ModelVersion.objects.get(pk=second.pk).status == Status.RETIRED
    assert Diagnosis.objects.get(pk=used.pk).model_release == second  # each keeps its own


@pytest.mark.django_db
def test_registering_without_heldout_photos_says_so_and_twice_is_refused(tmp_path):
    path = checkpoint_copy(tmp_path, "synthetic")
    version, lines = register(path)
    assert version.evaluation == {} and any("Not evaluated" in line for line in lines)
    with pytest.raises(CommandError, match=f"registered already, as version {version.pk}"):
        register(path)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a model")
    with pytest.raises(CommandError, match="could not be read"):
        register(broken)
    assert ModelVersion.objects.count() == 1
    with pytest.raises(CommandError, match="no model version 999"):
        call_command("promote_model", "999")


@pytest.mark.django_db
def test_a_checkpoint_whose_figures_are_undefined_somewhere_is_registered(tmp_path):
    # A small shop build answers no photo at a high confidence threshold: its accuracy there is
    # NaN in the checkpoint, which PostgreSQL's jsonb refuses.
    path = checkpoint_copy(tmp_path, "synthetic")
    payload = torch.load(path, weights_only=True)
    meta = json.loads(payload["meta"])
    meta["metrics"] = {"answered": [{"threshold": 0.9, "accuracy_answered": math.nan}]}
    torch.save({**payload, "meta": json.dumps(meta)}, path)

    version = versions.register_version(path)

    version.refresh_from_db()
    assert version.meta["metrics"]["answered"] == [{"threshold": 0.9, "accuracy_answered": None}]


@pytest.mark.django_db
def test_production_refuses_to_promote_a_model_not_cleared_for_commercial_use(tmp_path, settings):
    version = versions.register_version(checkpoint_copy(tmp_path, "real"))
    settings.IS_PRODUCTION = True
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = False
    with pytest.raises(CommandError, match="not cleared for commercial use"):
        call_command("promote_model", str(version.pk))
    assert versions.active_version() is None
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = True  # a research shop
    assert versions.promote(version).status == Status.ACTIVE


@pytest.mark.django_db
def test_the_production_terms_check_reads_the_active_version(tmp_path, settings):
    settings.IS_PRODUCTION = True
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = False
    settings.DIAGNOSIS_CHECKPOINT = ""
    settings.DIAGNOSIS_MODEL = "synthetic"  # the configured file is cleared
    assert production_model_terms_check() == []
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = True
    academic = versions.promote(versions.register_version(checkpoint_copy(tmp_path, "real")))
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = False

    (error,) = production_model_terms_check()

    assert isinstance(error, CheckError) and error.id == "diagnosis.E002"
    assert f"model version {academic.pk}" in error.msg and "ACNE04" in error.msg
    settings.DIAGNOSIS_MODEL = "real"  # an academic file, but a cleared version is active
    versions.promote(versions.register_version(checkpoint_copy(tmp_path, "synthetic")))
    assert production_model_terms_check() == []


# --- A switch while a worker is busy --------------------------------------------------------
class _Held:
    """A loaded model whose analysis waits until released: a worker busy with a check."""

    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer
        self.started, self.release = threading.Event(), threading.Event()

    def analyze_photos(self, views, **options):
        self.started.set()
        assert self.release.wait(60)
        return self.analyzer.analyze_photos(views, **options)


@pytest.mark.django_db(transaction=True)
def test_a_promotion_while_a_worker_is_busy_fails_nothing_and_mixes_nothing(
    tmp_path, selfie_upload, fast_heatmaps, monkeypatch
):
    old = versions.promote(versions.register_version(checkpoint_copy(tmp_path, "real")))
    new = versions.register_version(checkpoint_copy(tmp_path, "synthetic"))
    loaded = {v.pk: versions.analyzer_for(v) for v in (old, new)}
    held = _Held(loaded[old.pk])
    monkeypatch.setattr(
        versions, "analyzer_for", lambda v: held if v.pk == old.pk else loaded[v.pk]
    )
    busy = make_check({"front": selfie_upload(seed=5), "left": selfie_upload(seed=4)},
                      guest_token="g")  # fmt: skip
    worker = threading.Thread(target=tasks.analyze_diagnosis.apply, args=([str(busy.pk)],))
    worker.start()
    try:
        assert held.started.wait(60)  # the check is being analysed by the old version
        versions.promote(new)
        next_check = check_now(selfie_upload)  # the next task takes the new one
    finally:
        held.release.set()
        worker.join(60)

    busy.refresh_from_db()
    assert busy.status == Diagnosis.Status.DONE and busy.model_release_id == old.pk
    assert busy.model_version == loaded[old.pk].model_info["version"]
    assert set(busy.photos.values_list("status", flat=True)) == {"done"}
    assert next_check.status == Diagnosis.Status.DONE and next_check.model_release_id == new.pk
    assert next_check.model_version == loaded[new.pk].model_info["version"]


# --- Shadow ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_shadow_version_grades_new_checks_apart_from_what_the_shopper_sees(
    tmp_path, selfie_upload, fast_heatmaps
):
    from rest_framework.test import APIClient

    shopper = UserFactory()
    plain = check_now(selfie_upload, user=shopper)
    api = APIClient()
    api.force_authenticate(shopper)
    shown_without = api.get(f"{DIAGNOSES}{plain.pk}/").json()

    shadow = versions.run_in_shadow(
        versions.register_version(checkpoint_copy(tmp_path, "synthetic"))
    )
    not_consented = check_now(selfie_upload, user=shopper)
    checked = check_now(selfie_upload, training_consent=True, user=shopper)

    assert not ShadowResult.objects.filter(diagnosis=not_consented).exists()

    result = ShadowResult.objects.get(diagnosis=checked)
    assert result.model_release == shadow and result.photos[0]["slot"] == "front"
    assert result.grade is not None or result.failure_code
    assert checked.model_release is None  # the shopper's grade is the model in use's
    shown = api.get(f"{DIAGNOSES}{checked.pk}/").json()
    assert set(shown) == set(shown_without) and "shadow" not in str(shown).lower()
    page = reverse("admin:diagnosis_modelversion_change", args=[shadow.pk])
    staff = UserFactory(is_staff=True, is_superuser=True)
    from django.test import Client

    client = Client()
    client.force_login(staff)
    assert "In shadow: 1 checks" in client.get(page).content.decode()


@pytest.mark.django_db
def test_a_shadow_that_fails_leaves_the_check_alone(tmp_path, selfie_upload, monkeypatch, caplog):
    versions.run_in_shadow(versions.register_version(checkpoint_copy(tmp_path, "synthetic")))
    monkeypatch.setattr(versions, "analyzer_for", lambda v: 1 / 0)
    checked = check_now(selfie_upload, training_consent=True)
    assert checked.status == Diagnosis.Status.DONE and not ShadowResult.objects.exists()
    assert "shadow analysis" in caplog.text


@pytest.mark.django_db
def test_only_one_version_is_active_or_in_shadow_and_the_active_one_cannot_shadow(tmp_path):
    a = versions.register_version(checkpoint_copy(tmp_path / "a", "synthetic"))
    b = versions.register_version(checkpoint_copy(tmp_path / "b", "real"))
    versions.run_in_shadow(a)
    versions.run_in_shadow(b)
    assert ModelVersion.objects.get(pk=a.pk).status == Status.CANDIDATE
    versions.promote(b)
    with pytest.raises(versions.VersionRefused):
        versions.run_in_shadow(b)
    assert list(ModelVersion.objects.filter(status=Status.ACTIVE)) == [b]


# --- Who may promote ------------------------------------------------------------------------
def _staff(client, *codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_a_shopper_reaches_no_model_version_page(client, tmp_path):
    version = versions.register_version(checkpoint_copy(tmp_path, "synthetic"))
    client.force_login(UserFactory())
    for url in (CHANGELIST, reverse("admin:diagnosis_modelversion_change", args=[version.pk])):
        assert client.get(url).status_code == 302  # to the admin's log-in
    client.post(CHANGELIST, {"action": "promote", "_selected_action": [version.pk]})
    assert versions.active_version() is None


@pytest.mark.django_db
def test_staff_without_the_promote_permission_see_versions_but_cannot_promote(client, tmp_path):
    version = versions.register_version(checkpoint_copy(tmp_path, "synthetic"))
    _staff(client, "view_modelversion")

    page = client.get(CHANGELIST).content.decode()
    assert version.name in page and 'value="promote"' not in page
    client.post(CHANGELIST, {"action": "promote", "_selected_action": [version.pk]})
    assert versions.active_version() is None


@pytest.mark.django_db
def test_staff_with_the_permission_promote_from_admin_and_see_who_did(client, tmp_path):
    old = versions.promote(versions.register_version(checkpoint_copy(tmp_path / "a", "real")))
    new = versions.register_version(checkpoint_copy(tmp_path / "b", "synthetic"))
    user = _staff(client, "view_modelversion", "promote_modelversion")

    assert 'value="promote"' in client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": "promote", "_selected_action": [new.pk]})
    new.refresh_from_db()
    assert new.status == Status.ACTIVE and new.promoted_by == user
    assert ModelVersion.objects.get(pk=old.pk).status == Status.RETIRED
    both = client.post(CHANGELIST, {"action": "promote", "_selected_action": [old.pk, new.pk]})
    assert both.status_code == 302 and versions.active_version() == new  # one at a time


@pytest.mark.django_db
def test_the_change_page_sets_a_candidate_beside_the_model_in_use(admin_client, tmp_path):
    heldout = write_heldout(tmp_path / "export", [0, 4])
    items, fingerprint = read_heldout(heldout)
    old = versions.promote(versions.register_version(checkpoint_copy(tmp_path / "a", "real")))
    new = versions.register_version(checkpoint_copy(tmp_path / "b", "synthetic"))
    for version in (old, new):
        versions.evaluate_version(version, items, heldout=fingerprint)

    page = admin_client.get(reverse("admin:diagnosis_modelversion_change", args=[new.pk]))

    html = page.content.decode()
    assert f"In use (#{old.pk}" in html and "Referral sensitivity" in html
    assert "Recall of grade 4" in html and "Seconds a photo" in html
    assert str(new.evaluation["mae"]) in html and str(old.evaluation["mae"]) in html
    assert f"/modelversion/{new.pk}/delete/" not in html  # retired, never deleted


def test_only_checks_whose_owner_lets_the_shop_learn_are_graded_in_shadow():
    assert versions.shadow_eligible(Diagnosis(training_consent=True)) is True
    assert versions.shadow_eligible(Diagnosis()) is False


def test_a_worker_reads_the_active_version_once_per_task(selfie_upload, monkeypatch):
    calls = []
    monkeypatch.setattr(versions, "model_in_use", lambda: calls.append(1) or (None, "model"))
    seen = {}
    monkeypatch.setattr(
        tasks.services, "run_analysis", lambda pk, analyzer, version: seen.update(a=analyzer)
    )
    tasks.analyze_diagnosis.apply(args=["00000000-0000-0000-0000-000000000000"])
    assert calls == [1] and seen == {"a": "model"}
