"""Check-in by QR code (扫码签到): a member present at a meeting (or, later, an activity) records it
themselves by scanning a signed, expiring code the organizer shows. Append-only, one per event and member."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CheckIn", "CheckInKind"]


class CheckInKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")


class CheckIn(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=CheckInKind.choices)
    object_id = models.PositiveBigIntegerField()
    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="check_ins")
    area_path = models.CharField(max_length=255, db_index=True)  # the event's organization, for scope
    checked_in_at = models.DateTimeField(_("checked in at"), auto_now_add=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "member"], name="party_checkin_once"),
        ]
