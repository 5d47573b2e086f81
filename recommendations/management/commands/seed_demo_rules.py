from django.core.management.base import BaseCommand

from recommendations.demo import seed_demo_rules


class Command(BaseCommand):
    help = (
        "Load the demo treatment plans and rules for every GEA grade (needs the demo catalog). "
        "Safe to run again: nothing changes."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(str(seed_demo_rules()))
