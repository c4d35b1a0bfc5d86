"""Whistle and check-in (吹哨报到): the subdistrict summons departments on a case or on a problem spanning
cases; each summoned department has its own response with its own clocks. Imported by models.py; the state
machine and every write live in whistle_services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = ["WhistleState", "ResponseRole", "ResponseState", "Whistle", "WhistleResponse", "WhistleEvent"]


class WhistleState(models.TextChoices):
    OPEN = "open", pgettext_lazy("whistle state", "Open")
    CLOSED = "closed", pgettext_lazy("whistle state", "Closed")


class ResponseRole(models.TextChoices):
    LEAD = "lead", _("Lead department")
    CO = "co", _("Co-handling department")


class ResponseState(models.TextChoices):
    SUMMONED = "summoned", _("Summoned")
    CHECKED_IN = "checked_in", _("Checked in")
    REPORTED = "reported", _("Reported back")


class Whistle(models.Model):
    """One summons. `area_path` is the deepest area holding all its cases (at least their subdistrict):
    staff whose scope covers it see the whistle; summoned departments see it through their response."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    subdistrict = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("subdistrict"))
    area_path = models.CharField(max_length=255, db_index=True)
    cases = models.ManyToManyField("cases.Case", related_name="whistles", verbose_name=_("cases"))
    urgency = models.CharField(_("urgency"), max_length=16, default="normal")
    # Raised by emergency linkage at intake (a major hazard category), not by a person's decision.
    emergency = models.BooleanField(_("emergency linkage"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=WhistleState.choices, default=WhistleState.OPEN,
                             db_index=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("whistled at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("whistle")
        verbose_name_plural = _("whistles")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class WhistleResponse(models.Model):
    """One summoned department's answer: summoned → checked_in → reported, with its own deadlines.
    Overdue is derived from the deadlines and the times stored here, never swept."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="whistle_responses",
                             verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=8, choices=ResponseRole.choices)
    state = models.CharField(_("state"), max_length=16, choices=ResponseState.choices,
                             default=ResponseState.SUMMONED, db_index=True)
    version = models.PositiveIntegerField(default=1)
    check_in_due = models.DateTimeField(_("check-in due"))
    report_due = models.DateTimeField(_("report-back due"))
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    report_note = models.TextField(_("report"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)  # 1 (poor) to 5 (excellent)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("department response")
        verbose_name_plural = _("department responses")
        ordering = ["whistle", "-role", "id"]  # the lead first ("lead" sorts after "co")
        constraints = [models.UniqueConstraint(fields=["whistle", "unit"], name="cases_whistle_unit_unique")]

    def __str__(self) -> str:
        return f"{self.whistle_id}/{self.unit_id} {self.state}"


class WhistleEvent(models.Model):
    """One step of a whistle or of one department's response; append-only."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="events")
    response = models.ForeignKey(WhistleResponse, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    transition = models.CharField(_("action"), max_length=16)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["whistle", "at", "id"]

    def __str__(self) -> str:
        return f"{self.whistle_id} {self.transition}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("whistle events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("whistle events are append-only")
