"""`jiceng taxonomy load`: create the shipped default case categories that are missing.
`jiceng taxonomy export FILE` / `jiceng taxonomy import FILE`: the one-sheet Excel format."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiceng.cases import selectors, services, taxonomy
from jiceng.cases.models import Category
from jiceng.core.excel import workbook_bytes


class Command(BaseCommand):
    help = "Load the default case taxonomy, or export / import the taxonomy as Excel."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="create the default categories that are missing (by code)")
        export = sub.add_parser("export", help="write the taxonomy to an .xlsx file")
        export.add_argument("file")
        imp = sub.add_parser("import", help="create or update categories from an .xlsx file (all or nothing)")
        imp.add_argument("file")
        imp.add_argument("--as", dest="username", required=True, help="a district administrator's user name")

    def handle(self, *args, action: str, **options) -> None:
        if action == "load":
            result = services.taxonomy_load_default(actor=None)
            self.stdout.write(f"{result.created} categories created, {result.rows - result.created} already present")
        elif action == "export":
            rows = list(Category.objects.order_by("path").prefetch_related("limits"))
            data = workbook_bytes("taxonomy", taxonomy.headers(),
                                  taxonomy.export_rows(rows, selectors.parent_codes(rows)))
            Path(options["file"]).write_bytes(data)
            self.stdout.write(f"{len(rows)} categories written to {options['file']}")
        else:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
            if user is None or not services.can_edit_taxonomy(user):
                raise CommandError("No active district administrator has that user name.")
            result = services.taxonomy_import(actor=user, content=Path(options["file"]).read_bytes())
            for e in result.errors:
                self.stderr.write(f"row {e.row or '-'} · {e.column or '-'}: {e.message}")
            if not result.ok:
                raise CommandError(f"{len(result.errors)} problems; nothing was imported.")
            self.stdout.write(f"{result.created} created, {result.updated} updated")
