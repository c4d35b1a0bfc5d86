"""The Party organization tree, positions and terms, and members."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("Working committee")
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Branch")
    GROUP = "group", _("Party group")


class PartyOrg(MP_Node):
    """A Party organization. Anchored on an area for scope, but its own tree: a building-complex
    general branch or a new-sector branch need not match one area."""

    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=40, unique=True)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="party_orgs", verbose_name=_("area")
    )
    # Denormalized from `area` so scope filters on one indexed column, without a join.
    area_path = models.CharField(max_length=255, db_index=True)
    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_orgs",
        verbose_name=_("unit"),
        help_text=_("For a unit's own Party organization"),
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("Party organization")
        verbose_name_plural = _("Party organizations")

    def __str__(self) -> str:
        return self.name


class PositionTitle(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    ORGANIZER = "organizer", _("Organizer")
    GROUP_LEADER = "group_leader", _("Group leader")


class PositionQuerySet(models.QuerySet):
    def held_on(self, day) -> PositionQuerySet:
        """The posts someone holds on `day`: begun, and not ended (ended_on is the first day without it)."""
        return self.filter(term_start__lte=day).filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=day))


class Position(models.Model):
    """A post in a Party organization for a term; part-time members come from units."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="positions")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(_("title"), max_length=24, choices=PositionTitle.choices)
    is_part_time = models.BooleanField(_("part-time member"), default=False)
    source_unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="part_time_positions",
        verbose_name=_("from unit"),
    )
    term_start = models.DateField(_("term start"))
    # Re-election is due when the term ends (5 years for a committee, 3 for a branch by the rules).
    term_end = models.DateField(_("re-election due"))
    # Set when the holder leaves the post (re-election, transfer); an ended position is history.
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        indexes = [models.Index(fields=["term_end"])]


class MemberCategory(models.TextChoices):
    COMMUNITY_RESIDENT = "community_resident", _("Community resident")
    IN_SERVICE = "in_service", _("In-service")
    RETIRED = "retired", _("Retired")
    MOBILE = "mobile", _("Mobile")
    NEW_EMPLOYMENT = "new_employment", _("New-employment worker")


class MemberStatus(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class Member(models.Model):
    person = models.OneToOneField("people.Person", on_delete=models.PROTECT, related_name="member")
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="members", verbose_name=_("organization")
    )
    area_path = models.CharField(max_length=255, db_index=True)  # the organization's, for scope
    category = models.CharField(_("category"), max_length=24, choices=MemberCategory.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    full_on = models.DateField(_("full membership on"), null=True, blank=True)
    show_on_board = models.BooleanField(_("shown on identity board"), default=True)

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
from .dues_models import *  # noqa
from .meeting_models import *  # noqa
from .points_models import *  # noqa
from .checkin_models import *  # noqa
from .dualreg_models import *  # noqa
