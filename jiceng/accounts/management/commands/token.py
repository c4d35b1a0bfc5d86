"""`jiceng token create USERNAME [--name N]` prints a new API token; `list` and `revoke` manage them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.accounts.models import ApiToken, User
from jiceng.accounts.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (Authorization: Bearer <token>)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Print a new token for USERNAME (shown once).")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for.")
        listing = sub.add_parser("list", help="List USERNAME's tokens (never their values).")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "revoke":
            token = ApiToken.objects.select_related("user").filter(pk=options["token_id"]).first()
            if token is None:
                raise CommandError(f"No token with id {options['token_id']}.")
            api_token_revoke(actor=None, token=token)
            self.stdout.write(f"Revoked token {token.pk} ({token.prefix}…) of {token.user.username}.")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if action == "list":
            for t in ApiToken.objects.filter(user=user).order_by("id"):
                state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
                self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.name}\t{state}")
            return
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is deactivated.")
        _token, value = api_token_create(actor=None, user=user, name=options["name"])
        # The value alone on stdout, so scripts can capture it; it is never stored or shown again.
        self.stdout.write(value)
