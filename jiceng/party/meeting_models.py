"""Party life (组织生活) as obligations: meetings with attendance, the rulebook that says how often each
kind of organization must hold each kind of meeting, and exemptions from it.

The rulebook is data, not code: `ObligationRule` rows (loaded by a data migration from
jiceng/party/data/meeting_rulebook.json) say, per organization kind and meeting kind, how many meetings
are due per period and which quorum rule applies, from `valid_from` on. Compliance is derived from these
rows and the meetings at query time (jiceng/party/meeting_selectors.py); nothing is swept or stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import OrgKind

__all__ = [
    "Exemption",
    "Meeting",
    "MeetingAttachment",
    "MeetingAttendance",
    "MeetingKind",
    "MeetingState",
    "ObligationRule",
    "Period",
    "QuorumRule",
]


class MeetingKind(models.TextChoices):
    MEMBERS_MEETING = "members_meeting", _("Members' meeting")
    COMMITTEE_MEETING = "committee_meeting", _("Committee meeting")
    GROUP_MEETING = "group_meeting", _("Party group meeting")
    PARTY_LESSON = "party_lesson", _("Party lesson")
    THEME_DAY = "theme_day", _("Theme Party day")
    LIFE_MEETING = "life_meeting", _("Organizational life meeting")
    MEMBER_APPRAISAL = "member_appraisal", _("Democratic appraisal of members")
    NIGHT_TALK = "night_talk", _("Evening branch talk")


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    SENT_BACK = "sent_back", _("Sent back")


class Period(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class QuorumRule(models.TextChoices):
    NONE = "none", _("No quorum")
    VOTING_MAJORITY = "voting_majority", _("More than half of the members with a vote")
    COMMITTEE_MAJORITY = "committee_majority", _("More than half of the committee")


class Meeting(models.Model):
    """One meeting of a Party organization, from plan to review by the higher organization."""

    org = models.ForeignKey(
        "party.PartyOrg", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("organization")
    )
    area_path = models.CharField(max_length=255, db_index=True)  # the organization's, for scope
    kind = models.CharField(_("kind"), max_length=24, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    planned_on = models.DateField(_("planned on"))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    chair = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("chair")
    )
    recorder = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("recorder"),
    )
    topics = models.TextField(_("topics"), blank=True, default="")
    minutes = models.TextField(_("minutes"), blank=True, default="")
    decisions = models.TextField(_("decisions"), blank=True, default="")
    state = models.CharField(
        _("state"), max_length=16, choices=MeetingState.choices, default=MeetingState.PLANNED, db_index=True
    )
    # Fixed when the meeting is recorded as held, from the attendance and the rule in force then.
    quorum_rule = models.CharField(max_length=24, choices=QuorumRule.choices, default=QuorumRule.NONE)
    quorum_base = models.PositiveIntegerField(_("quorum base"), default=0)
    quorum_present = models.PositiveIntegerField(_("present towards quorum"), default=0)
    quorum_met = models.BooleanField(_("quorum met"), default=False)
    review_reason = models.CharField(_("reason for sending back"), max_length=500, blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["org", "kind", "held_on"]), models.Index(fields=["held_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on or self.planned_on}"


class MeetingAttendance(models.Model):
    """A member at a meeting: present, or absent with a reason; `voting` is fixed when recorded
    (probationary members have no vote)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField(_("present"), default=False)
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True, default="")
    voting = models.BooleanField(_("voting member"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="party_attendance_once")]
        indexes = [models.Index(fields=["member", "present"])]


class MeetingAttachment(models.Model):
    """A file kept with a meeting's record: a photo of the meeting or of the sign-in sheet, or a PDF
    (the minutes as signed, a lesson's slides). Judged by its content when uploaded (meeting_services)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("meeting attachment")
        verbose_name_plural = _("meeting attachments")
        ordering = ["uploaded_at", "pk"]


class ObligationRule(models.Model):
    """Organizations of `org_kind` hold `count` meetings of `meeting_kind` per `period`, from
    `valid_from` on (until a later rule for the same pair; a count of 0 ends the obligation)."""

    org_kind = models.CharField(_("organization kind"), max_length=24, choices=OrgKind.choices)
    meeting_kind = models.CharField(_("meeting kind"), max_length=24, choices=MeetingKind.choices)
    period = models.CharField(_("period"), max_length=12, choices=Period.choices)
    count = models.PositiveSmallIntegerField(_("meetings per period"), default=1)
    quorum = models.CharField(_("quorum"), max_length=24, choices=QuorumRule.choices, default=QuorumRule.NONE)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("obligation rule")
        verbose_name_plural = _("obligation rules")
        ordering = ["org_kind", "meeting_kind", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_kind", "meeting_kind", "valid_from"], name="party_obligation_rule_once"
            )
        ]


class Exemption(models.Model):
    """An organization is excused from a meeting kind for the period that starts on `period_start`
    (the first day of the month, quarter or year of the rule in force)."""

    org = models.ForeignKey("party.PartyOrg", on_delete=models.CASCADE, related_name="exemptions")
    area_path = models.CharField(max_length=255, db_index=True)
    meeting_kind = models.CharField(_("meeting kind"), max_length=24, choices=MeetingKind.choices)
    period_start = models.DateField(_("period start"))
    reason = models.CharField(_("reason"), max_length=500)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        constraints = [
            models.UniqueConstraint(fields=["org", "meeting_kind", "period_start"], name="party_exemption_once")
        ]
