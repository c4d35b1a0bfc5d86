from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from jiceng.areas.models import Area
from jiceng.cases.services import taxonomy_load_default


class Command(BaseCommand):
    help = "Migrate, build the demo district if the database has none, print the demo logins, serve."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up and print the logins only")

    def handle(self, *args, host: str, port: int, no_serve: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        # The default case taxonomy ships with the package; loading is idempotent and keeps edits.
        loaded = taxonomy_load_default(actor=None)
        if loaded.created:
            self.stdout.write(f"Loaded the default case taxonomy: {loaded.created} categories.")
        if not Area.objects.filter(kind="district").exists():
            call_command("demo")
        else:
            self.stdout.write(
                "The database already holds a district; keeping it (jiceng demo --reset rebuilds)."
            )
        from jiceng.demo.logins import DEMO_LOGINS

        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        for username, description in DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} {description}")
        self.stdout.write("")
        if not no_serve:
            call_command("serve", host=host, port=port)
