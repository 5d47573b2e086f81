from django.core.management.base import BaseCommand, CommandError

from labelling.export import ExportRefused, export_training_set


class Command(BaseCommand):
    help = (
        "Writes the consented, labelled photos (final grades, lesion marks) to OUT in the "
        "layout the model build reads, split by shopper, with a manifest and the data's terms."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("out", help="an empty folder, or a previous export to replace")

    def handle(self, *args, out: str, **options) -> None:
        try:
            report = export_training_set(out)
        except ExportRefused as refused:
            raise CommandError(refused.message) from refused
        splits = ", ".join(f"{name} {count}" for name, count in sorted(report.splits.items()))
        self.stdout.write(
            f"Exported {report.photos} photos to {out} ({splits or 'none'}); "
            f"{report.unsettled} consented photos not settled yet were left out."
        )
