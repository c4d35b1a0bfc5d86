"""The 12345 hotline's work orders as received: one row per ticket number, linked to the case it became.

The unique ticket number is what makes import and push idempotent even when two imports run at once;
the case itself carries channel `hotline_12345` and the ticket as its `source_ref`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["HotlineTicket"]


class HotlineTicket(models.Model):
    ticket = models.CharField(_("ticket number"), max_length=64, unique=True)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="hotline_ticket",
                                verbose_name=_("case"))
    # What the city platform said, kept as it said it: its call time and its own deadline may differ
    # from when the case reached us and from the deadline our category gives.
    received_at = models.DateTimeField(_("call time"))
    request_type = models.CharField(_("request type"), max_length=16, blank=True)
    due_at = models.DateTimeField(_("hotline deadline"), null=True, blank=True)
    area_hint = models.CharField(_("subdistrict or community given"), max_length=100, blank=True)
    # "import" or "push", and the file name of an import.
    via = models.CharField(max_length=8)
    source_file = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hotline ticket")
        verbose_name_plural = _("hotline tickets")

    def __str__(self) -> str:
        return self.ticket
