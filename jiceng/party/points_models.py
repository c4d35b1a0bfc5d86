"""Points-based management of members (积分制管理): a yearly, versioned rulebook and a ledger per member.

The rulebook is data, not code. A `PointsRulebook` is one version of the rules for a year: its categories
and items (points per event or per hour, a yearly cap per member and item, which verified events post to
it) and the member classes excluded or weighted. The default (the five categories and fifteen items of the
district's responsibility list) is loaded by a data migration from jiceng/party/data/points_rulebook.json.
An edit never changes a version: it creates the next version of that year, so what was posted under an
older version, and every older year, keeps its rules. The rulebook in force for year Y is the highest
version of the latest year on or before Y.

The ledger is append-only: a `PointsEntry` is written once, by a posting service, with its points fixed
(weight and cap applied) and the source it came from; one entry per source and member, so posting is
idempotent. Manual awards and deductions are proposals (`PointsAward`) approved by someone else.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import MemberCategory

__all__ = [
    "AwardState",
    "PointsAward",
    "PointsCategory",
    "PointsClassRule",
    "PointsEntry",
    "PointsItem",
    "PointsRulebook",
    "PointsUnit",
    "SourceKind",
]


class SourceKind(models.TextChoices):
    MEETING = "meeting", _("Meeting attendance")
    SERVICE_RECORD = "service_record", _("Confirmed service record")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")
    MANUAL = "manual", _("Manual award or deduction")


class PointsUnit(models.TextChoices):
    EVENT = "event", _("per event")
    HOUR = "hour", _("per hour")


class PointsRulebook(models.Model):
    """One version of the points rules for a year (and the years after it, until a later year's)."""

    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("points rulebook")
        verbose_name_plural = _("points rulebooks")
        ordering = ["year", "version"]
        constraints = [models.UniqueConstraint(fields=["year", "version"], name="party_points_rulebook_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.year} v{self.version}"


class PointsCategory(models.Model):
    rulebook = models.ForeignKey(PointsRulebook, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("points category")
        verbose_name_plural = _("points categories")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["rulebook", "code"], name="party_points_category_once")]

    def __str__(self) -> str:
        return self.name


class PointsItem(models.Model):
    """`points` per event (or per hour); negative for a deduction. `yearly_cap` bounds what one member
    can get (or lose) from this item in a year. `source_kind` says which verified events post here
    automatically; `source_detail` narrows it (for meetings: the meeting kinds, comma-separated)."""

    rulebook = models.ForeignKey(PointsRulebook, on_delete=models.CASCADE, related_name="items")
    category = models.ForeignKey(PointsCategory, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=8, choices=PointsUnit.choices, default=PointsUnit.EVENT)
    yearly_cap = models.DecimalField(_("yearly cap"), max_digits=8, decimal_places=2, null=True, blank=True)
    source_kind = models.CharField(_("posted from"), max_length=20, choices=SourceKind.choices,
                                   default=SourceKind.MANUAL)
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("points item")
        verbose_name_plural = _("points items")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["rulebook", "code"], name="party_points_item_once")]

    def __str__(self) -> str:
        return self.name

    def matches(self, source_kind: str, detail: str) -> bool:
        if not self.active or self.source_kind != source_kind:
            return False
        wanted = [d.strip() for d in self.source_detail.split(",") if d.strip()]
        return not wanted or detail in wanted


class PointsClassRule(models.Model):
    """Members of `member_category` get `weight` × the points (of `item`, or of every item when blank),
    or none at all when `excluded`. An item's own rule wins over the rulebook-wide one."""

    rulebook = models.ForeignKey(PointsRulebook, on_delete=models.CASCADE, related_name="class_rules")
    item = models.ForeignKey(PointsItem, on_delete=models.CASCADE, null=True, blank=True, related_name="class_rules")
    member_category = models.CharField(_("member class"), max_length=24, choices=MemberCategory.choices)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=2, default=1)
    excluded = models.BooleanField(_("excluded"), default=False)

    class Meta:
        verbose_name = _("points class rule")
        verbose_name_plural = _("points class rules")
        constraints = [
            models.UniqueConstraint(fields=["rulebook", "item", "member_category"], name="party_points_class_once"),
        ]


class PointsEntry(models.Model):
    """One line of a member's ledger: never updated or deleted. `requested` is weight × points × quantity
    before the cap; `points` what was posted (0 when the cap was reached)."""

    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="points_entries")
    # The member's organization when posted, for branch totals and scope (its area path).
    org = models.ForeignKey("party.PartyOrg", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    rulebook = models.ForeignKey(PointsRulebook, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(PointsItem, on_delete=models.PROTECT, related_name="entries")
    # An item keeps its code across versions of a year's rulebook: caps count by code, not by row.
    item_code = models.CharField(_("item code"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    occurred_on = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2, default=1)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=2, default=1)
    requested = models.DecimalField(_("before cap"), max_digits=9, decimal_places=2)
    points = models.DecimalField(_("points"), max_digits=9, decimal_places=2)
    capped = models.BooleanField(_("capped"), default=False)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_id = models.PositiveBigIntegerField(_("source id"))
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("approved by"),
    )
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.UniqueConstraint(fields=["source_kind", "source_id", "member"], name="party_points_once_per_source"),
        ]
        indexes = [
            # Covers the ranking's per-member sum of a year: answered from the index, no table reads.
            models.Index(fields=["year", "member", "points"], name="party_points_year_member_pts"),
            models.Index(fields=["member", "item_code", "year"]),
        ]


class AwardState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PointsAward(models.Model):
    """A manual award or deduction: proposed with a reason, then approved (posting a ledger entry) or
    rejected by someone other than the proposer."""

    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="points_awards")
    area_path = models.CharField(max_length=255, db_index=True)
    item = models.ForeignKey(PointsItem, on_delete=models.PROTECT, related_name="awards")
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2, default=1)
    occurred_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(_("state"), max_length=12, choices=AwardState.choices, default=AwardState.PROPOSED,
                             db_index=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("points award")
        verbose_name_plural = _("points awards")
