"""Users, role grants, API tokens and the append-only audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    SUBDISTRICT_STAFF = "subdistrict_staff", _("Subdistrict staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    PARTY_MEMBER = "party_member", _("Party member")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class User(AbstractUser):
    person = models.OneToOneField(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="user"
    )
    # Encrypted like personal data; empty when the second factor is off.
    totp_secret_encrypted = models.TextField(blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret_encrypted)


class RoleGrant(models.Model):
    """A role held on an area (its whole subtree) or on a unit."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area", "unit"], name="unique_grant"),
        ]


class ApiToken(models.Model):
    """A bearer token for integrations. Only its SHA-256 is stored; the value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class AuditKind(models.TextChoices):
    WRITE = "write", _("Change")
    REVEAL = "reveal", _("Personal data revealed")
    SECURITY = "security", _("Security event")
    LOGIN = "login", _("Sign-in")
    EXPORT = "export", _("Export")


class AuditEvent(models.Model):
    """Append-only: the model refuses updates and deletes, and database triggers do too.
    Each event carries an HMAC over its content and its predecessor's HMAC: a chain that shows
    any tampering with stored rows."""

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_name = models.CharField(_("actor"), max_length=150, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=AuditKind.choices, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")
