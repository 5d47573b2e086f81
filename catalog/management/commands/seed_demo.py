from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalog.services import demo_catalog_seed


class Command(BaseCommand):
    help = (
        "Load the demo acne-care catalog (categories, products, generated images, stock). "
        "Safe to run again: nothing changes, and existing stock rows are never reset."
    )

    def handle(self, *args, **options) -> None:
        summary = demo_catalog_seed()
        # The demo rules need these products. Called by command name so that catalog does not
        # import recommendations (layering: recommendations -> orders -> catalog).
        rules = StringIO()
        call_command("seed_demo_rules", stdout=rules)
        self.stdout.write(f"{summary} {rules.getvalue().strip()}")
