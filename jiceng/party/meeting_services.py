"""Writes of Party meetings: plan, record as held (with attendance and the quorum check), submit to the
higher organization, its review (approve or send back), files kept with the record, and exemptions from
the rulebook.

The state machine is explicit and each transition is one service:
    planned ──record──▶ held ──submit──▶ submitted ──approve──▶ approved
                         ▲  (re-record)                 └──send back──▶ sent_back ──record──▶ held
A transition updates the row only if it is still in a state the transition starts from (a conditional
UPDATE), so of two concurrent actions one wins and the other gets a clear conflict error. Every service
checks permission, validates with field-level errors and writes its audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.core.uploads import check_document

from . import meeting_selectors as sel
from .checkin_models import CheckIn, CheckInKind
from .meeting_models import (
    Exemption,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    MeetingKind,
    MeetingState,
    QuorumRule,
)
from .models import MemberStatus, PartyOrg
from .points_services import points_post_for_meeting
from .services import check_org_change

RECORDABLE = (MeetingState.PLANNED, MeetingState.HELD, MeetingState.SENT_BACK)
MAX_TEXT = 20000
MAX_ATTACHMENTS = 10  # per meeting: photos of the meeting and the sign-in sheet, the signed minutes


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _transition(meeting: Meeting, allowed: Iterable[str], **fields) -> None:
    """Move the meeting only if it is still in an allowed state; otherwise a conflict error."""
    fields["updated_at"] = timezone.now()
    updated = Meeting.objects.filter(pk=meeting.pk, state__in=list(allowed)).update(**fields)
    if not updated:
        current = Meeting.objects.filter(pk=meeting.pk).values_list("state", flat=True).first()
        raise ValidationError(
            {"state": [_("This meeting is now “%(state)s”; reload the page and try again.")
                       % {"state": MeetingState(current).label if current else "?"}]}
        )
    for name, value in fields.items():
        setattr(meeting, name, value)


def _check_texts(errors: dict, **texts: str) -> None:
    for name, value in texts.items():
        if value is not None and len(value) > MAX_TEXT:
            errors[name] = [_("Keep this under %(n)s characters.") % {"n": MAX_TEXT}]


def meeting_plan(
    *,
    actor,
    org: PartyOrg,
    kind: str,
    planned_on: date,
    title: str = "",
    topics: str = "",
    chair=None,
    recorder=None,
    request=None,
) -> Meeting:
    """Plan a meeting of an organization."""
    check_org_change(actor, org.area_path)
    errors: dict[str, list[str]] = {}
    if kind not in MeetingKind.values:
        errors["kind"] = [_("Choose a valid meeting kind.")]
    if planned_on is None:
        errors["planned_on"] = [_("This field is required.")]
    if len(title) > 200:
        errors["title"] = [_("Keep the title under 200 characters.")]
    _check_texts(errors, topics=topics)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            org=org, area_path=org.area_path, kind=kind, planned_on=planned_on, title=title.strip(),
            topics=topics, chair=chair, recorder=recorder, created_by=_user(actor),
        )
        audit_record(actor=actor, action="meeting.plan", obj=meeting, request=request,
                     changes={"org": org.pk, "kind": kind, "planned_on": planned_on.isoformat()})
    return meeting


def quorum_for(meeting: Meeting, rows: list[MeetingAttendance], held_on: date) -> tuple[str, int, int, bool]:
    """(rule, base, present, met) for a meeting from its attendance and the rule in force on `held_on`.

    Members' meeting: more than half of the members with a vote present. Committee meeting: more than half
    of those holding a post in the organization that day present. Exactly half is not a quorum."""
    rule = sel.Rulebook().in_force(meeting.org.kind, meeting.kind, held_on)
    quorum = rule.quorum if rule is not None else QuorumRule.NONE
    present_rows = [r for r in rows if r.present]
    if quorum == QuorumRule.VOTING_MAJORITY:
        base = sum(1 for r in rows if r.voting)
        present = sum(1 for r in present_rows if r.voting)
    elif quorum == QuorumRule.COMMITTEE_MAJORITY:
        committee = sel.committee_person_ids(meeting.org, held_on)
        base = len(committee)
        present = len({r.member.person_id for r in present_rows} & committee)
    else:
        return QuorumRule.NONE, len(rows), len(present_rows), True
    return quorum, base, present, base > 0 and present * 2 > base


def meeting_record_held(
    *,
    actor,
    meeting: Meeting,
    held_on: date,
    attendance: Iterable[dict],
    minutes: str = "",
    decisions: str = "",
    topics: str | None = None,
    chair=None,
    recorder=None,
    request=None,
) -> Meeting:
    """Record that a meeting was held, with its attendance (each a dict with `member_id`, `present` and
    an optional `absence_reason`; members of the organization left out are recorded absent), and fix
    whether its quorum was met. A sent-back meeting is corrected the same way."""
    check_org_change(actor, meeting.area_path)
    errors: dict[str, list[str]] = {}
    today = sel.today_local()
    if held_on is None:
        errors["held_on"] = [_("This field is required.")]
    elif held_on > today:
        errors["held_on"] = [_("A meeting cannot be recorded as held on a future date.")]
    if meeting.state not in RECORDABLE:
        errors["state"] = [_("A submitted or approved meeting cannot be changed.")]
    _check_texts(errors, minutes=minutes, decisions=decisions, topics=topics)
    eligible = {m.pk: m for m in sel.eligible_members(meeting.org)}
    given: dict[int, dict] = {}
    for item in attendance:
        try:
            member_id = int(item["member_id"])
        except (KeyError, TypeError, ValueError):
            errors["attendance"] = [_("Each attendance row needs a member.")]
            break
        if member_id not in eligible:
            errors["attendance"] = [_("Member %(id)s is not a member of this organization.") % {"id": member_id}]
            break
        reason = str(item.get("absence_reason") or "").strip()
        if len(reason) > 200:
            errors["attendance"] = [_("Keep each reason for absence under 200 characters.")]
            break
        given[member_id] = {"present": bool(item.get("present")), "absence_reason": reason}
    if errors:
        raise ValidationError(errors)
    # A member who checked in by QR code was there, whatever the form says (honest attendance).
    checked_in = set(CheckIn.objects.filter(kind=CheckInKind.MEETING, object_id=meeting.pk)
                     .values_list("member_id", flat=True))
    for pk in checked_in & set(eligible):
        given[pk] = {"present": True, "absence_reason": ""}
    rows = [
        MeetingAttendance(
            meeting=meeting,
            member=member,
            present=given.get(pk, {}).get("present", False),
            absence_reason="" if given.get(pk, {}).get("present") else given.get(pk, {}).get("absence_reason", ""),
            voting=member.status == MemberStatus.FULL,
        )
        for pk, member in eligible.items()
    ]
    quorum, base, present, met = quorum_for(meeting, rows, held_on)
    fields = {
        "state": MeetingState.HELD, "held_on": held_on, "minutes": minutes, "decisions": decisions,
        "quorum_rule": quorum, "quorum_base": base, "quorum_present": present, "quorum_met": met,
        "review_reason": "",
    }
    if topics is not None:
        fields["topics"] = topics
    if chair is not None:
        fields["chair"] = chair
    if recorder is not None:
        fields["recorder"] = recorder
    with transaction.atomic():
        previous = meeting.state
        _transition(meeting, RECORDABLE, **fields)
        MeetingAttendance.objects.filter(meeting=meeting).delete()
        MeetingAttendance.objects.bulk_create(rows)
        audit_record(
            actor=actor, action="meeting.record_held", obj=meeting, request=request,
            changes={"from": previous, "to": MeetingState.HELD, "held_on": held_on.isoformat(),
                     "present": sum(1 for r in rows if r.present), "expected": len(rows),
                     "quorum": quorum, "quorum_met": met},
        )
    return meeting


def meeting_submit(*, actor, meeting: Meeting, request=None) -> Meeting:
    """Submit a held meeting's record to the higher organization for review."""
    check_org_change(actor, meeting.area_path)
    if meeting.state == MeetingState.HELD and not meeting.minutes.strip():
        raise ValidationError({"minutes": [_("Write the minutes before submitting.")]})
    with transaction.atomic():
        _transition(meeting, [MeetingState.HELD], state=MeetingState.SUBMITTED)
        audit_record(actor=actor, action="meeting.submit", obj=meeting, request=request,
                     changes={"from": MeetingState.HELD, "to": MeetingState.SUBMITTED})
    return meeting


def meeting_review(*, actor, meeting: Meeting, approve: bool, reason: str = "", request=None) -> Meeting:
    """Approve a submitted meeting, or send it back with a reason. Only the higher organization may:
    a user who may change organizations over the parent organization's area."""
    if actor is not None and not sel.can_review(actor, meeting):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("Say why the meeting is sent back.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    target = MeetingState.APPROVED if approve else MeetingState.SENT_BACK
    with transaction.atomic():
        _transition(meeting, [MeetingState.SUBMITTED], state=target, review_reason="" if approve else reason,
                    reviewed_by=_user(actor), reviewed_at=timezone.now())
        audit_record(actor=actor, action="meeting.review", obj=meeting, request=request, reason=reason,
                     changes={"from": MeetingState.SUBMITTED, "to": target})
        if approve:  # an approved meeting is a verified event: points for those present
            points_post_for_meeting(actor=actor, meeting=meeting, request=request)
    return meeting


def meeting_attachments_add(*, actor, meeting: Meeting, files: list[UploadedFile], request=None
                            ) -> list[MeetingAttachment]:
    """Keep files with a meeting's record (photos or PDFs, judged by content). Only while the record can
    still be changed: once submitted, the higher organization reviews what it was sent. All or none."""
    check_org_change(actor, meeting.area_path)
    errors: list[str] = []
    if not files:
        errors.append(_("Choose at least one file."))
    elif meeting.state not in RECORDABLE:
        errors.append(_("A submitted or approved meeting cannot be changed."))
    elif MeetingAttachment.objects.filter(meeting=meeting).count() + len(files) > MAX_ATTACHMENTS:
        errors.append(_("A meeting keeps at most %(n)d files.") % {"n": MAX_ATTACHMENTS})
    types = []
    for upload in files if not errors else ():
        try:
            types.append(check_document(upload))
        except ValidationError as exc:
            errors.append(f"{upload.name}: {exc.messages[0]}")
    if errors:
        raise ValidationError({"files": errors})
    now = timezone.now()
    with transaction.atomic():
        saved = [
            MeetingAttachment.objects.create(
                meeting=meeting, file=upload, name=(upload.name or "file")[-120:], content_type=content_type,
                size=upload.size or 0, uploaded_by=_user(actor), uploaded_at=now,
            )
            for upload, content_type in zip(files, types, strict=True)
        ]
        audit_record(actor=actor, action="meeting.attach", obj=meeting, request=request,
                     changes={"files": len(saved), "types": sorted(set(types))})
    return saved


def exemption_grant(*, actor, org: PartyOrg, meeting_kind: str, day: date, reason: str, request=None) -> Exemption:
    """Excuse an organization from a meeting kind for the period (of the rule in force) containing `day`.
    Granted by the higher organization, like a review."""
    parent_path = sel.review_path(org)
    check_org_change(actor, parent_path)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if meeting_kind not in MeetingKind.values:
        errors["meeting_kind"] = [_("Choose a valid meeting kind.")]
    if day is None:
        errors["day"] = [_("This field is required.")]
    if not reason:
        errors["reason"] = [_("Give the reason for the exemption.")]
    elif len(reason) > 500:
        errors["reason"] = [_("Keep the reason under 500 characters.")]
    rule = None
    if not errors:
        rule = sel.Rulebook().in_force(org.kind, meeting_kind, day)
        if rule is None or rule.count == 0:
            errors["meeting_kind"] = [_("No rule requires this meeting of this organization then.")]
    if errors:
        raise ValidationError(errors)
    start = sel.period_start_for(rule.period, day)
    try:
        with transaction.atomic():
            exemption = Exemption.objects.create(
                org=org, area_path=org.area_path, meeting_kind=meeting_kind, period_start=start, reason=reason,
                approved_by=_user(actor),
            )
            audit_record(actor=actor, action="exemption.grant", obj=exemption, request=request, reason=reason,
                         changes={"org": org.pk, "kind": meeting_kind, "period_start": start.isoformat()})
    except IntegrityError as exc:
        raise ValidationError({"day": [_("This period is already exempt.")]}) from exc
    return exemption
