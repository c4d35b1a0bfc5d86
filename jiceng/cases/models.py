"""Case taxonomy and time limits: the category tree, the limits per stage and urgency, and the
administrators' overrides of the working-day calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from jiceng.units.models import UnitKind


class CaseClass(models.TextChoices):
    """The two case classes of digital city management (GB/T 30428)."""

    COMPONENT = "component", _("Component")
    EVENT = "event", _("Event")


class RequestType(models.TextChoices):
    """The five 12345 hotline request types."""

    INQUIRY = "inquiry", _("Inquiry")
    HELP = "help", _("Help")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report")
    SUGGESTION = "suggestion", _("Suggestion")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Stage(models.TextChoices):
    REGISTER = "register", _("Register")
    DISPATCH = "dispatch", _("Dispatch")
    HANDLE = "handle", _("Handle")
    VERIFY = "verify", _("Verify")


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    NATURAL_DAYS = "natural_days", _("natural days")
    NATURAL_HOURS = "natural_hours", _("natural hours")


class Category(MP_Node):
    """A major class (depth 1) or a minor class (depth 2) of cases.

    A digital city management class carries `case_class`; a 12345 request type carries
    `request_type`; a category may carry both (a complaint about an event)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    case_class = models.CharField(_("case class"), max_length=16, choices=CaseClass.choices, blank=True)
    request_type = models.CharField(_("request type"), max_length=16, choices=RequestType.choices, blank=True)
    # Which urgency levels a reporter or dispatcher may choose, in Urgency order.
    urgency_levels = models.JSONField(_("urgency levels"), default=list)
    unit_kind = models.CharField(_("responsible unit kind"), max_length=24, blank=True)
    is_major_hazard = models.BooleanField(_("major hazard"), default=False)
    # The unit kinds a major hazard whistles to at once (emergency linkage).
    hazard_unit_kinds = models.JSONField(_("linked unit kinds"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def level(self) -> str:
        return "major" if self.depth == 1 else "minor"

    def get_level_display(self) -> str:
        return str(_("Major class") if self.depth == 1 else _("Minor class"))

    # Labels for templates and exports (the stored values are identifiers).
    def get_unit_kind_display(self) -> str:
        return str(UnitKind(self.unit_kind).label) if self.unit_kind in UnitKind.values else ""

    def urgency_labels(self) -> list[str]:
        return [str(Urgency(u).label) for u in self.urgency_levels if u in Urgency.values]

    def hazard_unit_kind_labels(self) -> list[str]:
        return [str(UnitKind(k).label) for k in self.hazard_unit_kinds if k in UnitKind.values]


class TimeLimit(models.Model):
    """How long one stage of a category's case may take at one urgency. A stage that practice
    splits into ordered steps (illegal construction: stop the work, penalty, demolition) has one
    row per step, numbered by `order`; an unsplit stage has one row with an empty `step`."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="limits")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    step = models.CharField(_("step"), max_length=50, blank=True)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["category", "stage", "urgency", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "stage", "urgency", "step"], name="cases_limit_unique_step"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.amount} {self.get_unit_display()}"


class CalendarOverride(models.Model):
    """An administrator's decision that one date is (or is not) a working day, whatever the
    holiday package says: a local holiday, a late-announced make-up day, a year not yet covered."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.is_working_day else '-'}"
from .case_models import *  # noqa: F401,F403,E402
from .feedback_models import *  # noqa: F401,F403,E402
from .hotline_models import *  # noqa: F401,F403,E402
from .open311_models import *  # noqa: F401,F403,E402
from .resident_models import *  # noqa: F401,F403,E402
from .rollup_models import *  # noqa: F401,F403,E402
from .supervision_models import *  # noqa: F401,F403,E402
from .suspension_models import *  # noqa: F401,F403,E402
from .whistle_models import *  # noqa: F401,F403,E402
from .workbench_models import *  # noqa: F401,F403,E402
