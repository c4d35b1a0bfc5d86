"""A handler's request to suspend a case (挂起申请), decided by the subdistrict or the district.

The handling unit knows when work must wait (parts on order, a court ruling, the weather); the approvers
decide. Approval is the case's `suspend` transition, taken by the approver in the same transaction, so
the case's own event log keeps the one source of its state; this row keeps who asked, why, and the
decision. At most one request per case is pending at a time (a partial unique constraint)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["SuspensionRequest"]


class SuspensionRequest(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="suspension_requests",
                             verbose_name=_("case"))
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    approved = models.BooleanField(_("approved"), null=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("suspension request")
        verbose_name_plural = _("suspension requests")
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(decided_at__isnull=True),
                                               name="one_pending_suspension_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.reason[:40]}"

    @property
    def pending(self) -> bool:
        return self.decided_at is None
