"""A promotion reaches a running Celery worker (a real process, prefork, on Redis) from its next
check, without a restart; the checks it was busy with finish whole, each by one version."""

import pytest

from diagnosis import services, versions
from diagnosis.models import Diagnosis
from diagnosis.uploads import clean_selfie
from tests.diagnosis.heldout import checkpoint_copy

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _upload(upload) -> Diagnosis:
    return services.create_diagnosis(selfie=clean_selfie(upload), guest_token="guest-versions")


def _all_finished(worker, checks, timeout=180):
    def finished():
        return all(Diagnosis.objects.get(pk=c.pk).is_finished for c in checks)

    worker.wait_until(finished, timeout=timeout, what="every check to finish")
    return [Diagnosis.objects.get(pk=c.pk) for c in checks]


def test_a_promotion_while_the_worker_is_busy_reaches_it_from_its_next_check(
    celery_worker, selfie_upload, tmp_path
):
    old = versions.promote(versions.register_version(checkpoint_copy(tmp_path / "a", "real")))
    new = versions.register_version(checkpoint_copy(tmp_path / "b", "synthetic"))
    checks = [_upload(selfie_upload(seed=seed)) for seed in (7, 1, 2, 3)]  # one pool process

    celery_worker.wait_until(
        lambda: (
            Diagnosis.objects.filter(pk=checks[0].pk, status="processing").exists()
            or Diagnosis.objects.get(pk=checks[0].pk).is_finished
        ),
        timeout=90,
        what="the worker to start on the first check",
    )
    versions.promote(new)
    done = sorted(_all_finished(celery_worker, checks), key=lambda d: d.started_at)

    assert [d.status for d in done] == ["done"] * 4, [d.failure_code for d in done]
    releases = [d.model_release_id for d in done]
    # Old until the switch, new from then on: never back, never a mix within a check.
    assert releases[0] == old.pk and releases[-1] == new.pk
    assert releases == sorted(releases, key=lambda pk: pk == new.pk)
    names = {old.pk: old.name, new.pk: new.name}
    assert all(d.model_name == names[d.model_release_id] for d in done)

    versions.promote(old)  # the rollback reaches it the same way
    (after,) = _all_finished(celery_worker, [_upload(selfie_upload(seed=7))])
    assert after.status == "done" and after.model_release_id == old.pk
