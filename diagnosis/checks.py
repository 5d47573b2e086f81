"""System checks of the analysis model (``manage.py check --deploy``)."""

from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def model_terms_check(app_configs=None, **kwargs):
    """Warn when the model the workers load learned from data not cleared for commercial use
    (ACNE04: academic use only): a shop open to the public must not run it as it is."""
    from diagnosis import services
    from diagnosis.ml.checkpoint import commercial_use, read_meta
    from diagnosis.ml.errors import CheckpointError

    try:
        path = services.checkpoint_path()
        meta = read_meta(path)
    except CheckpointError as exc:
        return [Error(exc.message, id="diagnosis.E001")]
    if commercial_use(meta):
        return []
    terms = "; ".join(
        f"{s.get('name')}: {s.get('licence')}"
        for s in meta.get("training_data") or []
        if not s.get("commercial_use", False)
    )
    return [
        Warning(
            f"The analysis model {path.name} learned from data that is not cleared for "
            f"commercial use ({terms}).",
            hint="Set DIAGNOSIS_MODEL=synthetic (the model trained on generated faces only), "
            "or DIAGNOSIS_CHECKPOINT to a model whose data you may use commercially.",
            id="diagnosis.W001",
        )
    ]
