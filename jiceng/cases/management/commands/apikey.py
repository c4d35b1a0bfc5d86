"""`jiceng apikey create NAME --user USERNAME | list | revoke NAME`: keys for Open311 clients.
The key is printed once, at creation; only its hash is kept."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiceng.cases.models import ApiKey


class Command(BaseCommand):
    help = "Create, list or revoke Open311 API keys."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a key and print it once")
        create.add_argument("name")
        create.add_argument("--user", required=True, help="the account the client reports as")
        sub.add_parser("list", help="list keys (never the keys themselves)")
        revoke = sub.add_parser("revoke", help="stop a key from working")
        revoke.add_argument("name")

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {options['user']!r}")
            if ApiKey.objects.filter(name=options["name"]).exists():
                raise CommandError(f"a key named {options['name']!r} exists")
            _key, raw = ApiKey.issue(name=options["name"], user=user)
            self.stdout.write(raw)
        elif action == "list":
            for k in ApiKey.objects.select_related("user"):
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
                self.stdout.write(f"{k.name}\t{k.prefix}…\t{k.user.username}\t{k.created_at:%Y-%m-%d}\t"
                                  f"{state}\tlast used {used}")
        else:
            n = ApiKey.objects.filter(name=options["name"], revoked_at__isnull=True).update(revoked_at=timezone.now())
            if not n:
                raise CommandError(f"no active key named {options['name']!r}")
            self.stdout.write(f"revoked {options['name']}")
