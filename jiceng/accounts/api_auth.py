"""API authentication: bearer tokens for integrations, the session (with CSRF) for the browser."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken

TOKEN_PREFIX = "jc_"


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_new_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        # Endpoints that must not be reached with a token (minting more tokens) look for this.
        request.api_token = row
        return row.user


class ActiveSessionAuth(SessionAuth):
    """Session auth (CSRF-checked by django-ninja on unsafe methods) for active users only."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api_auth = [BearerToken(), ActiveSessionAuth()]
