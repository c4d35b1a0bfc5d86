"""Supervision (督办): urging orders on late or stuck cases, escalated level by level.

An order is open until the handler replies. Whether it is late (no reply by `reply_due`) is derived at
query time; a late order may be escalated by a user of a higher level, which issues a new order at the
next level that points back at it (`escalated_from`). Nothing is swept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SupervisionLevel", "SupervisionOrder"]


class SupervisionLevel(models.TextChoices):
    COMMUNITY = "community", _("Community")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    DISTRICT = "district", _("District")


# Levels from lowest to highest: an order escalates to the next one.
LEVEL_ORDER = [SupervisionLevel.COMMUNITY, SupervisionLevel.SUBDISTRICT, SupervisionLevel.DISTRICT]


class SupervisionOrder(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supervision_orders",
                             verbose_name=_("case"))
    level = models.CharField(_("level"), max_length=12, choices=SupervisionLevel.choices, db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    note = models.TextField(_("note"))
    reply_due = models.DateTimeField(_("reply due"), db_index=True)
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("replied by"))
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    escalated_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="escalation", verbose_name=_("escalated from"))

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.level}@{self.issued_at:%Y-%m-%d}"
