"""`jiceng createadmin USERNAME [--password P]`: a system administrator (manages accounts only).

The grant is on the district (the root area) when one exists; without areas yet the role is held
on no area: the account can sign in and manage accounts that hold no grant yet.
"""

from __future__ import annotations

import getpass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.accounts.services import user_create
from jiceng.areas.models import Area, AreaKind


class Command(BaseCommand):
    help = "Create a system administrator. Without --password it asks for one (twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="Prefer the prompt: a password here stays in the shell history.")
        parser.add_argument("--name", default="", help="Full name.")

    def handle(self, *args, **options) -> None:
        username = options["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = options["password"]
        if password is None:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ.")
        district = Area.get_root_nodes().filter(kind=AreaKind.DISTRICT).order_by("code").first()
        try:
            # Messages in the site's language (management commands otherwise mix English and it).
            with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
                if district is not None:
                    user = user_create(
                        actor=None, username=username, password=password, role=Role.SYSTEM_ADMIN,
                        area=district, full_name=options["name"],
                    )
                else:
                    user = self._create_without_area(username, password, options["name"])
        except ValidationError as exc:
            raise CommandError("\n".join(_messages(exc))) from exc
        where = f"on {district.name} {district.code}" if district else "(no district yet: its role covers no area)"
        self.stdout.write(self.style.SUCCESS(f"System administrator {user.username} created {where}."))

    def _create_without_area(self, username: str, password: str, full_name: str) -> User:
        from django.contrib.auth.password_validation import validate_password
        from django.utils import timezone

        from jiceng.accounts.audit import audit_record

        user = User(username=username, first_name=full_name)
        validate_password(password, user=user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save()
        # No area yet: the role is held on none, which gives the permission to manage accounts but no
        # subtree; `jiceng createadmin` again (or another administrator) adds the district grant later.
        RoleGrant.objects.create(user=user, role=Role.SYSTEM_ADMIN)
        audit_record(actor=None, action="user.create", obj=user, changes={"role": Role.SYSTEM_ADMIN, "area": None})
        return user


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, errors in exc.message_dict.items() for m in errors]
    return list(exc.messages)
