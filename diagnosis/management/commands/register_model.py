"""``manage.py register_model CHECKPOINT [--heldout DIR] [--card FILE]``: stores a checkpoint
as a candidate model version and judges it on the shop's held-out labelled photos (the "test"
rows of an export folder), with the model in use beside it when its figures are not on the same
photos yet. The new version's id is printed last, on its own line, for scripts."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diagnosis import versions
from diagnosis.evaluation import HeldOutError, read_heldout
from diagnosis.ml.errors import CheckpointError


class Command(BaseCommand):
    help = "Register a model checkpoint as a candidate version and evaluate it."

    def add_arguments(self, parser):
        parser.add_argument("checkpoint", type=Path)
        parser.add_argument(
            "--heldout",
            type=Path,
            help="An export folder (manifest.csv, photos by split): its test photos judge it.",
        )
        parser.add_argument("--card", type=Path, help="The model card (Markdown) to keep.")

    def handle(self, *args, checkpoint: Path, heldout: Path | None, card: Path | None, **opts):
        try:
            items, fingerprint = read_heldout(heldout) if heldout else ([], "")
            text = card.read_text(encoding="utf-8") if card else ""
            version = versions.register_version(checkpoint, card=text)
        except (CheckpointError, HeldOutError, versions.VersionRefused, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Registered {version}.")
        if items:
            self._evaluate(version, items, fingerprint)
        else:
            self.stdout.write("Not evaluated: give --heldout DIR (an export folder) to judge it.")
        self.stdout.write(str(version.pk))

    def _evaluate(self, version, items, fingerprint: str) -> None:
        judged = [version]
        active = versions.active_version()
        if active is not None and active.evaluation.get("heldout") != fingerprint:
            judged.append(active)  # the figures staff compare must be on the same photos
        for each in judged:
            versions.evaluate_version(each, items, heldout=fingerprint)
            figures = each.evaluation
            self.stdout.write(
                f"{each}: accuracy {figures['accuracy']}, MAE {figures['mae']}, Spearman "
                f"{figures['spearman']}, referral sensitivity {figures['referral_sensitivity']}"
                f" on {figures['graded']} of {figures['photos']} held-out photos graded, "
                f"{figures['seconds_per_photo']} s a photo."
            )
