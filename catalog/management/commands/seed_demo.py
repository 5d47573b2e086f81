from django.core.management.base import BaseCommand

from catalog.services import demo_catalog_seed


class Command(BaseCommand):
    help = (
        "Load the demo acne-care catalog (categories, products, generated images, stock). "
        "Safe to run again: nothing changes, and existing stock rows are never reset."
    )

    def handle(self, *args, **options) -> None:
        summary = demo_catalog_seed()
        self.stdout.write(str(summary))
