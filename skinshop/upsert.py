"""Create or update a row by its slug, writing only what differs: the one helper of the
catalog's upserts and the demo seeds, so that running a seed again writes nothing (and leaves
``updated_at`` alone)."""

from django.db.models import Model


def save_if_changed(instance: Model, values: dict, *, created: bool) -> bool:
    """Set ``values`` on ``instance`` and save it (validated) only if it is new or something
    differs. Returns whether a write happened."""
    changed = created or any(getattr(instance, name) != value for name, value in values.items())
    if not changed:
        return False
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return True


def upsert_by_slug(model: type[Model], *, slug: str, values: dict) -> tuple[Model, bool, bool]:
    """The ``model`` row with ``slug``, created or brought to ``values``.

    Returns ``(instance, created, written)``.
    """
    existing = model.objects.filter(slug=slug).first()
    instance = existing or model(slug=slug)
    written = save_if_changed(instance, values, created=existing is None)
    return instance, existing is None, written
