"""The case itself, its append-only event log and the dispatch catalogue.

Imported by models.py so Django sees these models as part of the cases app. The state machine lives in
workflow.py; every change goes through case_services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.people.models import AreaChain

__all__ = ["CaseChannel", "CaseState", "Case", "CaseEvent", "CaseCounter", "DispatchCatalogue"]


class CaseChannel(models.TextChoices):
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    PATROL = "patrol", _("Grid patrol")
    RESIDENT_APP = "resident_app", _("Resident (phone)")
    OPEN311 = "open311", _("Open311")
    STAFF = "staff", _("Staff")


class CaseState(models.TextChoices):
    TRIAGE = "triage", _("Triage")
    REGISTERED = "registered", _("Registered")
    RETURNED = "returned", _("Returned")
    DISPATCHED = "dispatched", _("Dispatched")
    ACCEPTED = "accepted", _("Accepted")
    SUSPENDED = "suspended", _("Suspended")
    HANDLED = "handled", _("Handled")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")


class Case(AreaChain):
    """One demand from any channel. `state` and `version` change only through case_services; the
    state always equals the last CaseEvent's `to_state`."""

    number = models.CharField(_("case number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=CaseChannel.choices, db_index=True)
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True, db_index=True)
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("category"))
    urgency = models.CharField(_("urgency"), max_length=16, default="normal")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    lat = models.FloatField(_("latitude"), null=True, blank=True)  # WGS-84
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    building = models.ForeignKey("areas.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("building"))
    reporter_name = models.CharField(_("reporter"), max_length=50, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True)
    reporter_phone_index = models.CharField(max_length=40, blank=True, db_index=True)
    reporter_phone_masked = models.CharField(_("reporter phone"), max_length=16, blank=True)
    # The unit the catalogue proposes at intake, and the unit the case is dispatched to. A case
    # dispatched with no unit is handled by its grid's workers (grid self-handling).
    suggested_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("suggested unit"))
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
                             verbose_name=_("assigned unit"))
    state = models.CharField(_("state"), max_length=16, choices=CaseState.choices, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    triage_reason = models.CharField(_("triage reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("reported at"), db_index=True)
    # Each stage's deadline is computed from the category's time limits when the stage starts.
    register_due = models.DateTimeField(_("register due"), null=True, blank=True)
    dispatch_due = models.DateTimeField(_("dispatch due"), null=True, blank=True)
    handle_due = models.DateTimeField(_("handle due"), null=True, blank=True)
    verify_due = models.DateTimeField(_("verify due"), null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A duplicate merged into another case: it follows that case and counts once (as that case) in
    # every metric. Selectors for rates and rankings exclude cases with merged_into set.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged",
                                    verbose_name=_("merged into"))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area_path", "state"], name="cases_case_path_state"),
                   # Covers the inbox's id page (scope by path, newest first): see case_selectors.inbox_rows.
                   models.Index(fields=["area_path", "created_at", "id"], name="cases_case_path_created"),
                   # Overdue and near-due lists seek the running states first (most cases are closed).
                   models.Index(fields=["state", "area_path"], name="cases_case_state_path")]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """One transition of one case; append-only (never updated or deleted by the application)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    transition = models.CharField(_("action"), max_length=16)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="cases_event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.transition}"

    # The log is the case's history: a stored event is never changed or removed one by one.
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("case events are append-only")


class CaseCounter(models.Model):
    """The last case number issued on one day (numbers are GL + yyyymmdd + five digits)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class DispatchCatalogue(models.Model):
    """Which unit handles a category in an area's subtree; the most specific area wins, then the
    most specific category (a minor class before its major class)."""

    category = models.ForeignKey("cases.Category", on_delete=models.CASCADE, related_name="catalogue",
                                 verbose_name=_("category"))
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("unit"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dispatch catalogue entry")
        verbose_name_plural = _("dispatch catalogue")
        constraints = [models.UniqueConstraint(fields=["category", "area"], name="cases_catalogue_unique")]

    def __str__(self) -> str:
        return f"{self.category_id}@{self.area_id} -> {self.unit_id}"
