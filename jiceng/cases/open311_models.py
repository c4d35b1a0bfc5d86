"""API keys for Open311 GeoReport v2 clients. Only a hash of the key is stored; the key itself is
shown once, when `jiceng apikey create` makes it."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ApiKey"]


def hash_key(raw: str) -> str:
    # Keys are 32 random bytes, so a plain SHA-256 is enough (no dictionary to guess from).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    # The account the integration reports as: its roles and area decide what it may report.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("acts as"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, *, name: str, user) -> tuple[ApiKey, str]:
        raw = secrets.token_urlsafe(32)
        return cls.objects.create(name=name, key_hash=hash_key(raw), prefix=raw[:8], user=user), raw

    @classmethod
    def verify(cls, raw: str) -> ApiKey | None:
        key = cls.objects.filter(key_hash=hash_key(raw or ""), revoked_at__isnull=True).select_related("user").first()
        if key is None or not key.user.is_active:
            return None
        cls.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key
