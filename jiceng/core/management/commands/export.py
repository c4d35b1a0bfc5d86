"""`jiceng export KIND FILE [--as USERNAME]`: export to Excel in the import's own columns."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.core.exchange import KINDS, cli_actor
from jiceng.core.exchange.exporting import workbook_export
from jiceng.core.exchange.formats import FORMATS


class Command(BaseCommand):
    help = "Export areas, Party organizations or units to an Excel .xlsx file that `jiceng import` reads back."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS, help="what to export")
        parser.add_argument("file", help="the .xlsx file to write")
        parser.add_argument(
            "--as", dest="username", default=None,
            help="export what this user may see (default: the system, everything)",
        )

    def handle(self, *args, kind: str, file: str, username: str | None, **options):
        actor = cli_actor(username)
        try:
            export = workbook_export(actor=actor, kind=kind)
        except PermissionDenied:
            raise CommandError(_("User %(user)s may not export data.") % {"user": username}) from None
        try:
            Path(file).write_bytes(export.content)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(n)d rows of %(what)s to %(file)s.")
                % {"n": export.rows, "what": FORMATS[kind].title, "file": file}
            )
        )
