"""Excel exchange of the organization network: areas, Party organizations and units.

    formats.py    the columns of each kind of file, how a cell is read, which kind names are accepted
    importing.py  `workbook_import`: check a whole file, report every bad cell, apply all or nothing
    exporting.py  `workbook_export` and `workbook_template`: the same columns, scoped to the actor

An exported file imports again unchanged (into a database that does not hold its rows yet).
"""

from __future__ import annotations

KINDS = ("areas", "party_orgs", "units")
# Kinds that are only imported, each by its own app's function with `workbook_import`'s signature; the
# file is read and checked by this package's machinery all the same.
IMPORTERS = {"hotline": "jiceng.cases.hotline_import.hotline_import"}
IMPORT_KINDS = (*KINDS, *IMPORTERS)


def kind_title(kind: str):
    """What a file of `kind` holds, for messages."""
    if kind in IMPORTERS:
        from django.utils.module_loading import import_string

        return import_string(IMPORTERS[kind].rsplit(".", 1)[0] + ".FORMAT").title
    from .formats import FORMATS

    return FORMATS[kind].title


def cli_actor(username: str | None):
    """The actor of a command-line import or export: a user by name, or None (the system itself)."""
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError
    from django.utils.translation import gettext as _

    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user named %(user)s.") % {"user": username})
    return user
