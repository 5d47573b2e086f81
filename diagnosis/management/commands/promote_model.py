"""``manage.py promote_model VERSION``: makes a registered version the model the workers use
from their next task (rolling back is the same on the previous version); ``--shadow`` runs it in
shadow instead, ``--stop-shadow`` stops that."""

from django.core.management.base import BaseCommand, CommandError

from diagnosis import versions
from diagnosis.models import ModelVersion


class Command(BaseCommand):
    help = "Make a model version the one in use (or run it in shadow)."

    def add_arguments(self, parser):
        parser.add_argument(
            "version", type=int, help="The version's id (register_model prints it)."
        )
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--shadow", action="store_true", help="Run it in shadow instead.")
        what.add_argument("--stop-shadow", action="store_true", help="Stop its shadow runs.")

    def handle(self, *args, version: int, shadow: bool, stop_shadow: bool, **options):
        found = ModelVersion.objects.filter(pk=version).first()
        if found is None:
            raise CommandError(f"There is no model version {version}.")
        try:
            if shadow:
                found = versions.run_in_shadow(found)
            elif stop_shadow:
                found = versions.stop_shadow(found)
            else:
                found = versions.promote(found)
        except versions.VersionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{found}.")
