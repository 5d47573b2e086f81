"""System checks of the analysis model: ``manage.py check --deploy`` anywhere, and every start
in production (``check``, ``migrate``, ``runserver``)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

CLEAN_MODEL_HINT = (
    "Set DIAGNOSIS_MODEL=synthetic (the model trained on generated faces only), or "
    "DIAGNOSIS_CHECKPOINT to a model whose data you may use commercially."
)


@register(Tags.security, deploy=True)
def model_terms_check(app_configs=None, **kwargs):
    """A model that cannot be read is an error; outside production, one learned from data not
    cleared for commercial use (ACNE04: academic use only) is a warning. In production
    ``production_model_terms_check`` answers for the terms on every start."""
    from diagnosis.ml.errors import CheckpointError

    try:
        name, terms = _restricted_terms()
    except CheckpointError as exc:
        return [Error(exc.message, id="diagnosis.E001")]
    if not terms or settings.IS_PRODUCTION:
        return []
    return [
        Warning(
            f"The analysis model {name} learned from data that is not cleared for "
            f"commercial use ({terms}).",
            hint=CLEAN_MODEL_HINT,
            id="diagnosis.W001",
        )
    ]


@register(Tags.security)
def production_model_terms_check(app_configs=None, **kwargs):
    """In production a model not cleared for commercial use stops the shop, unless the operator
    says it is a research deployment (DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL). A model this host
    cannot read is left to the deploy check (E001): a web host may not hold the workers' file."""
    from diagnosis.ml.errors import CheckpointError

    if not settings.IS_PRODUCTION or settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL:
        return []
    try:
        name, terms = _restricted_terms()
    except CheckpointError:
        return []
    if not terms:
        return []
    return [
        Error(
            f"The analysis model {name} learned from data that is not cleared for "
            f"commercial use ({terms}): production refuses to run it. DIAGNOSIS_MODEL=synthetic "
            "selects the model cleared for commercial use.",
            hint=f"{CLEAN_MODEL_HINT} Only a research deployment allowed to run it sets "
            "DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL=true.",
            id="diagnosis.E002",
        )
    ]


def _restricted_terms():
    """The model in use (the active version when one is set, else the configured file) and the
    terms of the data sets it learned from that forbid commercial use ("" when it may be used
    commercially). Raises CheckpointError when the configured file cannot be read."""
    from diagnosis import versions
    from diagnosis.ml.checkpoint import commercial_use

    name, meta = versions.terms_in_use()
    if commercial_use(meta):
        return name, ""
    terms = "; ".join(
        f"{s.get('name')}: {s.get('licence')}"
        for s in meta.get("training_data") or []
        if not s.get("commercial_use", False)
    )
    return name, terms or "as its metadata says"
