from django.core.management.base import BaseCommand

from dossiers.groups import groups_setup


class Command(BaseCommand):
    help = "Create the staff groups (reception, processing) with their permissions."

    def handle(self, *args, **options):
        for name, count in groups_setup().items():
            self.stdout.write(f"{name}: {count} permissions")
