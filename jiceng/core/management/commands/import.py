"""`jiceng import KIND FILE [--as USERNAME]`: import an Excel (or, for hotline work orders, CSV) file, all or
nothing."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from jiceng.core.exchange import IMPORT_KINDS, IMPORTERS, cli_actor, kind_title
from jiceng.core.exchange.importing import workbook_import


class Command(BaseCommand):
    help = (
        "Import areas, Party organizations or units from an Excel .xlsx file, or 12345 hotline work orders "
        "(hotline, .xlsx or CSV, as a user who may report cases: --as). The whole file is checked "
        "first; on any problem nothing is written, every problem is printed as row, column and message, "
        "and the command exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=IMPORT_KINDS, help="what the file holds")
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument(
            "--as", dest="username", default=None,
            help="import as this user, within their permissions and scope (default: the system, unrestricted)",
        )

    def handle(self, *args, kind: str, file: str, username: str | None, **options):
        actor = cli_actor(username)
        if kind in IMPORTERS and actor is None:
            raise CommandError(_("Name the user the cases are reported as: --as USERNAME."))
        path = Path(file)
        try:
            size = path.stat().st_size
            content = path.read_bytes() if size <= settings.MAX_IMPORT_BYTES else b""
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from None
        if size > settings.MAX_IMPORT_BYTES:
            raise CommandError(
                _("The file is %(size)s; at most %(limit)s may be imported at once.")
                % {"size": filesizeformat(size), "limit": filesizeformat(settings.MAX_IMPORT_BYTES)}
            )
        try:
            result = workbook_import(actor=actor, kind=kind, content=content, filename=path.name)
        except PermissionDenied:
            raise CommandError(_("User %(user)s may not import data.") % {"user": username}) from None
        for error in result.errors:
            where = _("row %(row)d") % {"row": error.row} if error.row else _("file")
            column = f", {error.column}" if error.column else ""
            self.stderr.write(f"{file}: {where}{column}: {error.message}")
        if not result.ok:
            raise CommandError(
                _("Nothing was imported: %(n)d problem(s) in %(file)s.") % {"n": len(result.errors), "file": file}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(n)d rows of %(what)s from %(file)s.")
                % {"n": result.created, "what": kind_title(kind), "file": file}
            )
        )
        if result.unchanged:
            self.stdout.write(_("%(n)d rows were imported before and are unchanged.") % {"n": result.unchanged})
