"""Staff in a real browser: operations at a glance from the check list, and a candidate model's
figures beside the model in use, promoted from its list; on a desktop and on a phone."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from diagnosis import versions
from diagnosis.evaluation import read_heldout
from diagnosis.models import ModelVersion
from tests.diagnosis.heldout import checkpoint_copy, write_heldout
from tests.diagnosis.test_operations import checks_of_two_days
from tests.e2e.conftest import PHONE
from tests.e2e.test_admin_orders import log_in_to_admin

# Where the pages' pictures are gathered for review beside artifacts/e2e.
SHOTS = Path("/tmp/shots22v")


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_operations_at_a_glance_from_the_check_list(new_context, step, screenshot, device):
    checks_of_two_days()
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    log_in_to_admin(page)

    page.goto("/admin/diagnosis/diagnosis/")
    page.get_by_role("link", name="Operations at a glance").click()

    expect(page.get_by_role("heading", name="Operations at a glance")).to_be_visible()
    expect(page.locator('[data-figure="p50"]')).to_have_text("6.0 s")
    expect(page.locator('[data-figure="p90"]')).to_have_text("9.2 s")
    expect(page.locator('#grades tr[data-grade="3"]')).to_contain_text("60 %")
    expect(page.locator('#photo-refusals tr[data-code="uncertain_grade"]')).to_contain_text(
        "withheld"
    )
    expect(page.locator('[data-figure="model"]')).to_contain_text("the configured file")
    step(page, f"{device} operations")
    keep(screenshot(page, f"{device} operations kept"), f"operations-{device}")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_candidate_beside_the_model_in_use_then_promoted(
    new_context, step, screenshot, tmp_path, device
):
    items, fingerprint = read_heldout(write_heldout(tmp_path / "export", [0, 2, 4, 5]))
    old = versions.promote(versions.register_version(checkpoint_copy(tmp_path / "a", "real")))
    new = versions.register_version(checkpoint_copy(tmp_path / "b", "synthetic"))
    for version in (old, new):
        versions.evaluate_version(version, items, heldout=fingerprint)
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    log_in_to_admin(page)

    page.goto(f"/admin/diagnosis/modelversion/{new.pk}/change/")
    comparison = page.locator(".model-comparison")
    expect(comparison).to_contain_text(f"In use (#{old.pk}")
    expect(comparison).to_contain_text("Referral sensitivity")
    expect(comparison).to_contain_text("On 4 held-out photos")
    step(page, f"{device} comparison")
    keep(screenshot(page, f"{device} comparison kept"), f"comparison-{device}")

    page.goto("/admin/diagnosis/modelversion/")
    page.locator(f'input[name="_selected_action"][value="{new.pk}"]').check()
    page.locator('select[name="action"]').select_option("promote")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("is now the model in use")
    step(page, f"{device} promoted")
    keep(screenshot(page, f"{device} versions kept"), f"versions-{device}")
    assert ModelVersion.objects.get(pk=new.pk).status == ModelVersion.Status.ACTIVE
