"""The terms of the data a model learned from travel with it: the deploy check warns about a
model not cleared for commercial use, production refuses it unless told it is a research shop,
the result page's small print and the API name them, and a setting selects the synthetic-only
model."""

from pathlib import Path

import pytest
import torch
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning

from diagnosis import services
from diagnosis.checks import model_terms_check, production_model_terms_check
from diagnosis.ml.checkpoint import SHIPPED, commercial_use, save_checkpoint
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA

# The checks read the active model version, when one is set, from the database.
pytestmark = pytest.mark.django_db

ACADEMIC = {"name": "ACNE04", "licence": "academic use only", "commercial_use": False}
OURS = {"name": "synthetic", "licence": "ours", "commercial_use": True}


def checkpoint_with(path: Path, training_data) -> Path:
    torch.manual_seed(0)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    meta = {"scale": GEA.to_dict(), "input_size": 32, "training_data": training_data}
    return save_checkpoint(path, model, meta)


def test_commercial_use_needs_every_source_cleared():
    assert commercial_use({"training_data": [OURS]})
    assert not commercial_use({"training_data": [OURS, ACADEMIC]})
    assert commercial_use({})  # older checkpoints say nothing: trusted as before


def test_the_setting_selects_a_shipped_model_and_a_path_overrides_it(settings, tmp_path):
    settings.DIAGNOSIS_CHECKPOINT = ""
    settings.DIAGNOSIS_MODEL = "synthetic"
    assert services.checkpoint_path() == SHIPPED["synthetic"]
    settings.DIAGNOSIS_MODEL = "real"
    assert services.checkpoint_path() == SHIPPED["real"]
    settings.DIAGNOSIS_CHECKPOINT = str(tmp_path / "own.pt")
    assert services.checkpoint_path() == tmp_path / "own.pt"


def test_the_deploy_check_warns_about_academic_only_data(settings, tmp_path):
    settings.DIAGNOSIS_CHECKPOINT = str(checkpoint_with(tmp_path / "m.pt", [OURS, ACADEMIC]))
    (warning,) = model_terms_check()
    assert isinstance(warning, CheckWarning) and warning.id == "diagnosis.W001"
    assert "ACNE04: academic use only" in warning.msg
    assert "DIAGNOSIS_MODEL=synthetic" in warning.hint


def test_the_deploy_check_is_quiet_for_cleared_data(settings, tmp_path):
    settings.DIAGNOSIS_CHECKPOINT = str(checkpoint_with(tmp_path / "m.pt", [OURS]))
    assert model_terms_check() == []


def test_in_production_a_model_not_cleared_for_commercial_use_is_an_error(settings, tmp_path):
    settings.IS_PRODUCTION = True
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = False
    settings.DIAGNOSIS_CHECKPOINT = str(checkpoint_with(tmp_path / "m.pt", [OURS, ACADEMIC]))

    (error,) = production_model_terms_check()

    assert isinstance(error, CheckError) and error.id == "diagnosis.E002"
    assert "ACNE04: academic use only" in error.msg
    assert "DIAGNOSIS_MODEL=synthetic selects the model cleared for commercial use" in error.msg
    assert "DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL=true" in error.hint
    assert model_terms_check() == []  # said once, not twice under --deploy


def test_a_research_deployment_acknowledges_the_terms_and_a_clean_model_needs_nothing(
    settings, tmp_path
):
    settings.IS_PRODUCTION = True
    settings.DIAGNOSIS_CHECKPOINT = str(checkpoint_with(tmp_path / "m.pt", [OURS, ACADEMIC]))
    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = True
    assert production_model_terms_check() == []

    settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = False
    settings.DIAGNOSIS_CHECKPOINT = str(checkpoint_with(tmp_path / "c.pt", [OURS]))
    assert production_model_terms_check() == []


def test_outside_production_every_start_says_nothing_about_terms(settings, tmp_path):
    settings.IS_PRODUCTION = False
    settings.DIAGNOSIS_CHECKPOINT = str(checkpoint_with(tmp_path / "m.pt", [OURS, ACADEMIC]))
    assert production_model_terms_check() == []


def test_the_deploy_check_fails_on_a_missing_model(settings, tmp_path):
    settings.DIAGNOSIS_CHECKPOINT = str(tmp_path / "absent.pt")
    (error,) = model_terms_check()
    assert error.id == "diagnosis.E001"


@pytest.mark.parametrize("name", ["real", "synthetic"])
def test_the_shipped_models_say_what_they_learned_from(name):
    from diagnosis.ml.checkpoint import read_meta

    meta = read_meta(SHIPPED[name])
    assert commercial_use(meta) is (name == "synthetic")
    if name == "real":
        assert {"ACNE04"} <= {s["name"] for s in meta["training_data"]}


class _Withholding:
    """An analyzer whose model is unsure of every photo."""

    def __init__(self, real):
        self.real = real

    def analyze_photos(self, views, **kwargs):
        outcomes = self.real.analyze_photos(views, **kwargs)
        for outcome in outcomes:
            outcome.result.reliable = False
            outcome.result.abstain = {
                "code": "uncertain_grade",
                "message": "We cannot grade this photo.",
            }
        return outcomes


@pytest.mark.django_db
def test_an_unsure_grade_becomes_advice_not_a_grade_and_a_kit(selfie_upload, analyzer):
    from unittest import mock

    from diagnosis.models import Diagnosis
    from diagnosis.uploads import clean_selfie

    with mock.patch.object(services, "enqueue", return_value=True):
        diagnosis = services.create_diagnosis(
            selfie=clean_selfie(selfie_upload()), guest_token="guest-1"
        )
    services.run_analysis(diagnosis.pk, analyzer=_Withholding(analyzer))

    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.FAILED
    assert diagnosis.failure_code == "uncertain_grade"
    assert diagnosis.grade is None and not diagnosis.photos.get().heatmap


@pytest.mark.django_db
def test_a_finished_diagnosis_names_its_data_on_the_page_and_in_the_api(
    client, selfie_upload, analyzer
):
    from unittest import mock

    from django.urls import reverse

    from diagnosis.uploads import clean_selfie
    from tests.accounts.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    with mock.patch.object(services, "enqueue", return_value=True):
        diagnosis = services.create_diagnosis(
            selfie=clean_selfie(selfie_upload(grade=3)), user=user
        )
    services.run_analysis(diagnosis.pk, analyzer=analyzer)
    diagnosis.refresh_from_db()
    assert diagnosis.status == "done", diagnosis.failure_reason
    assert diagnosis.confidence is not None and diagnosis.photos.get().view == "frontal"

    page = client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()
    assert "The model learned from ACNE04 (free for academic use" in page
    api = client.get(f"/api/v1/diagnoses/{diagnosis.pk}/").json()
    assert {"name": "ACNE04", "commercial_use": False}.items() <= api["model"]["training_data"][
        0
    ].items()
    assert api["view"] == "frontal" and 0 < api["confidence"] <= 1
