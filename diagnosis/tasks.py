"""Celery tasks of the diagnosis pipeline. The logic is in diagnosis.services."""

import dataclasses
import logging
import os

from celery import shared_task
from celery.signals import celeryd_after_setup, worker_process_init

from diagnosis import services, versions

logger = logging.getLogger(__name__)


def analyzer():
    """The model in use now (the active version, else the configured file), loaded on first
    use and kept: Analyzer.load caches a few per process."""
    return versions.model_in_use()[1]


@celeryd_after_setup.connect
def _share_cores_between_pool_processes(sender, instance, **kwargs) -> None:
    # Runs in the main process before the pool forks. Left alone, every pool process runs as
    # many torch threads as there are cores: two processes on two cores then did fewer
    # diagnoses per minute than one (bench/bench_diagnosis.py). An explicit setting wins.
    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"):
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    os.environ["OMP_NUM_THREADS"] = str(max(1, cores // max(1, int(instance.concurrency or 1))))


@worker_process_init.connect
def _load_model_in_pool_process(**kwargs) -> None:
    # Each pool process loads the model once, after the fork: loading in the parent and
    # forking would copy PyTorch's thread pool state, which deadlocks the children.
    try:
        analyzer()
    except Exception:  # the first task reports it properly; the process must still start
        logger.exception("Could not load the diagnosis model at worker start")


@shared_task(
    name=services.ANALYZE_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # services count attempts in the row (DIAGNOSIS_MAX_ATTEMPTS)
)
def analyze_diagnosis(self, diagnosis_id: str) -> None:
    # Read once, before the check starts: a promotion meanwhile takes effect from the next task,
    # and every photo of this check is analysed by the one model it started with.
    version, model = versions.model_in_use()
    try:
        diagnosis = services.run_analysis(diagnosis_id, analyzer=model, version=version)
    except services.CheckLeased as held:
        # Another worker is on it: look again once its lease may have lapsed (it died), not
        # before; a check finished by then is left alone.
        raise self.retry(countdown=held.retry_in + 1) from held
    except Exception as exc:
        # run_analysis has put the row back in the queue (or failed it after the last try).
        raise self.retry(exc=exc, countdown=5) from exc
    if diagnosis is not None:
        versions.run_shadow(diagnosis)


@shared_task(name="diagnosis.tasks.sweep_diagnoses", ignore_result=True)
def sweep_diagnoses() -> dict[str, int]:
    return dataclasses.asdict(services.sweep())


@shared_task(name="diagnosis.tasks.purge_diagnoses", ignore_result=True)
def purge_diagnoses() -> dict[str, int]:
    report = services.purge_expired()
    return {"guests": report.guests, "expired": report.expired}
