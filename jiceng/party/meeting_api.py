"""JSON API of Party meetings and obligations, on the Party router (mounted at /api/v1/party/meetings/...).

Registered on the Party app's own router (imported at the end of api.py), like dues_api. Scoped like the
pages: out of scope or lacking permission reads as 404; bad input gets 422 per field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from ninja import Field, File, Query, Schema
from ninja.files import UploadedFile

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for

from . import checkin_selectors, checkin_services, meeting_services
from . import meeting_selectors as sel
from .api import PageQuery, field_error, page_of, router, unprocessable
from .checkin_models import CheckInKind
from .meeting_models import Meeting, MeetingKind, MeetingState
from .models import PartyOrg

# --- schemas ---------------------------------------------------------------------------------------


class MeetingOut(Schema):
    id: int
    org_id: int
    org_name: str
    kind: str
    title: str
    planned_on: date
    held_on: date | None
    state: str
    chair_id: int | None
    recorder_id: int | None
    quorum_rule: str
    quorum_base: int
    quorum_present: int
    quorum_met: bool
    review_reason: str


class AttendanceOut(Schema):
    member_id: int
    name: str
    present: bool
    absence_reason: str
    voting: bool


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: datetime
    url: str = Field(description="Where the signed-in user downloads the file")


class MeetingDetailOut(MeetingOut):
    topics: str
    minutes: str
    decisions: str
    attendance: list[AttendanceOut]
    attachments: list[AttachmentOut]


class MeetingPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[MeetingOut]


class MeetingFilter(PageQuery):
    org_id: int | None = None
    kind: MeetingKind | None = None
    state: MeetingState | None = None
    year: int | None = Field(None, ge=2008, le=2100)


class PlanIn(Schema):
    kind: MeetingKind
    planned_on: date
    title: str = Field("", max_length=200)
    topics: str = Field("", max_length=20000)


class AttendanceIn(Schema):
    member_id: int
    present: bool
    absence_reason: str = Field("", max_length=200)


class HeldIn(Schema):
    held_on: date
    attendance: list[AttendanceIn] = Field(default_factory=list, description="Members left out are recorded absent")
    minutes: str = Field("", max_length=20000)
    decisions: str = Field("", max_length=20000)
    topics: str | None = Field(None, max_length=20000)
    chair_member_id: int | None = None
    recorder_member_id: int | None = None


class ReviewIn(Schema):
    approve: bool
    reason: str = Field("", max_length=500)


class ExemptionIn(Schema):
    meeting_kind: MeetingKind
    day: date = Field(description="Any day of the period to exempt")
    reason: str = Field(..., min_length=1, max_length=500)


class ExemptionOut(Schema):
    id: int
    org_id: int
    meeting_kind: str
    period_start: date
    reason: str


class CellOut(Schema):
    label: str
    start: date
    end: date
    expected: int
    held: int
    status: str = Field(description="met, missing, exempt, upcoming or due_now")


class RuleRowOut(Schema):
    kind: str
    period: str
    cells: list[CellOut]


class CalendarOut(Schema):
    org_id: int
    year: int
    missing: int
    rows: list[RuleRowOut]


class RollupRowOut(Schema):
    org_id: int
    name: str
    kind: str
    cells: dict[str, str] = Field(description="Meeting kind → worst status of the quarter")
    behind: int


class RollupOut(Schema):
    year: int
    quarter: int
    kinds: list[str]
    rows: list[RollupRowOut]


class RollupQuery(Schema):
    year: int | None = Field(None, ge=2008, le=2100)
    quarter: int | None = Field(None, ge=1, le=4)
    org_id: int | None = Field(None, description="Only this organization and those under it")


class YearQuery(Schema):
    year: int | None = Field(None, ge=2008, le=2100)


class CheckInCodeQuery(Schema):
    minutes: int = Field(checkin_services.DEFAULT_MINUTES, ge=1, le=checkin_services.MAX_MINUTES,
                         description="How long the code stays valid")


class CheckedInOut(Schema):
    member_id: int
    name: str
    org_name: str
    checked_in_at: datetime


class CheckInCodeOut(Schema):
    meeting_id: int
    token: str = Field(description="POST it to /api/v1/party/checkin as the member, or open `url` signed in")
    url: str = Field(description="What the QR code on the organizer's page encodes")
    expires_at: datetime
    open: bool = Field(description="Whether attendance can still be recorded (false once submitted)")
    check_ins: list[CheckedInOut]


class LapseOut(Schema):
    member_id: int
    name: str
    org_id: int
    since: date | None
    attended: bool
    level: str = Field(description="talk (3 months) or escalate (6 months, or dues lapsed)")
    dues_lapsed: bool


def meeting_out(m: Meeting) -> dict:
    return {
        "id": m.pk, "org_id": m.org_id, "org_name": m.org.name, "kind": m.kind, "title": m.title,
        "planned_on": m.planned_on, "held_on": m.held_on, "state": m.state, "chair_id": m.chair_id,
        "recorder_id": m.recorder_id, "quorum_rule": m.quorum_rule, "quorum_base": m.quorum_base,
        "quorum_present": m.quorum_present, "quorum_met": m.quorum_met, "review_reason": m.review_reason,
    }


def detail_out(m: Meeting) -> dict:
    out = meeting_out(m)
    out.update(topics=m.topics, minutes=m.minutes, decisions=m.decisions, attendance=[
        {"member_id": r.member_id, "name": r.member.person.name, "present": r.present,
         "absence_reason": r.absence_reason, "voting": r.voting}
        for r in sel.attendance_rows(m)
    ], attachments=[attachment_out(a) for a in sel.meeting_attachments(m)])
    return out


def attachment_out(a) -> dict:
    return {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size,
            "uploaded_at": a.uploaded_at, "url": reverse("party:meeting_attachment", args=[a.meeting_id, a.pk])}


def _for_change(request, meeting_id: int) -> Meeting:
    meeting = sel.meeting_get(request.auth, meeting_id, request=request)
    if not sel.can_change(request.auth, meeting.area_path):
        raise Http404
    return meeting


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc


# --- reads -----------------------------------------------------------------------------------------


@router.get("/meetings", response=MeetingPage, summary="Meetings in scope, filtered")
def meetings_list(request, query: Query[MeetingFilter]):
    if not sel.can_view(request.auth):
        raise Http404
    qs = sel.meeting_list(request.auth, org_id=query.org_id, kind=query.kind or "", state=query.state or "",
                          year=query.year)
    return page_of(qs, query, meeting_out)


@router.get("/meetings/rollup", response=RollupOut, summary="Compliance of every organization in scope for a quarter")
def meetings_rollup(request, query: Query[RollupQuery]):
    if not sel.can_view(request.auth):
        raise Http404
    today = sel.today_local()
    root = sel.org_get(request.auth, query.org_id, request=request) if query.org_id else None
    data = sel.compliance_rollup(request.auth, query.year or today.year, query.quarter or sel.quarter_of(today),
                                 root=root)
    return {
        "year": data.year, "quarter": data.quarter, "kinds": data.kinds,
        "rows": [{"org_id": r.org.pk, "name": r.org.name, "kind": r.org.kind, "cells": r.cells, "behind": r.behind}
                 for r in data.rows],
    }


@router.get("/meetings/lapses", response=list[LapseOut], summary="Members with no Party life for 3 or 6 months")
def meetings_lapses(request):
    scope = scope_for(request.auth)
    if not (scope.allows(roles.VIEW_ORG) and scope.allows(roles.VIEW_PEOPLE)):
        raise Http404
    return [
        {"member_id": x.member.pk, "name": x.member.person.name, "org_id": x.member.org_id, "since": x.since,
         "attended": x.attended, "level": x.level, "dues_lapsed": x.dues_lapsed}
        for x in sel.attendance_lapses(request.auth)
    ]


@router.get("/meetings/compliance/{org_id}", response=CalendarOut, summary="An organization's compliance calendar")
def meetings_compliance(request, org_id: int, query: Query[YearQuery]):
    org = sel.compliance_org_get(request.auth, org_id, request=request)
    cal = sel.compliance_calendar(org, query.year or sel.today_local().year)
    return {
        "org_id": org.pk, "year": cal.year, "missing": cal.missing,
        "rows": [
            {"kind": r.kind, "period": r.period,
             "cells": [{"label": c.span.label, "start": c.span.start, "end": c.span.end, "expected": c.expected,
                        "held": c.held, "status": c.status} for c in r.cells]}
            for r in cal.rows
        ],
    }


@router.get("/meetings/{meeting_id}/checkin-code", response=CheckInCodeOut,
            summary="A fresh QR check-in code for a meeting, and who has checked in (the organizer's)")
def meetings_checkin_code(request, meeting_id: int, query: Query[CheckInCodeQuery]):
    """What the organizer's check-in page shows, for a screen or app of its own: ask again before
    `expires_at` to renew the code, as the page does."""
    meeting = _for_change(request, meeting_id)
    token = checkin_services.checkin_token_make(kind=CheckInKind.MEETING, object_id=meeting.pk,
                                                minutes=query.minutes)
    ticket = checkin_services.checkin_token_read(token)
    return {
        "meeting_id": meeting.pk, "token": token,
        "url": request.build_absolute_uri(reverse("party:checkin", args=[token])),
        "expires_at": datetime.fromtimestamp(ticket.expires_at, tz=UTC),
        "open": checkin_selectors.can_check_in(meeting),
        "check_ins": [{"member_id": c.member_id, "name": c.member.person.name, "org_name": c.member.org.name,
                       "checked_in_at": c.checked_in_at} for c in checkin_selectors.meeting_check_ins(meeting)],
    }


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, summary="A meeting with its attendance")
def meetings_detail(request, meeting_id: int):
    return detail_out(sel.meeting_get(request.auth, meeting_id, request=request))


# --- writes ----------------------------------------------------------------------------------------


@router.post("/meetings/orgs/{org_id}", response={201: MeetingOut}, summary="Plan a meeting of an organization")
def meetings_plan(request, org_id: int, payload: PlanIn):
    org = sel.org_get(request.auth, org_id, request=request)
    if not sel.can_change(request.auth, org.area_path):
        raise Http404
    meeting = _call(meeting_services.meeting_plan, actor=request.auth, org=org, kind=payload.kind,
                    planned_on=payload.planned_on, title=payload.title, topics=payload.topics, request=request)
    return 201, meeting_out(meeting)


@router.post("/meetings/{meeting_id}/held", response=MeetingDetailOut, summary="Record a meeting as held")
def meetings_record_held(request, meeting_id: int, payload: HeldIn):
    meeting = _for_change(request, meeting_id)
    people = {}
    for name in ("chair_member_id", "recorder_member_id"):
        member_id = getattr(payload, name)
        if member_id is not None:
            member = sel.eligible_members(meeting.org).filter(pk=member_id).first()
            if member is None:
                raise field_error(name, str(PartyOrg._meta.verbose_name) + ": " + str(member_id))
            people[name] = member.person
    meeting = _call(
        meeting_services.meeting_record_held, actor=request.auth, meeting=meeting, held_on=payload.held_on,
        attendance=[a.dict() for a in payload.attendance], minutes=payload.minutes, decisions=payload.decisions,
        topics=payload.topics, chair=people.get("chair_member_id"), recorder=people.get("recorder_member_id"),
        request=request,
    )
    return detail_out(meeting)


@router.post("/meetings/{meeting_id}/attachments", response={201: list[AttachmentOut]},
             summary="Keep photos or PDF files with a meeting's record (multipart, field `files`)")
def meetings_attach(request, meeting_id: int, files: File[list[UploadedFile]] = None):
    meeting = _for_change(request, meeting_id)
    saved = _call(meeting_services.meeting_attachments_add, actor=request.auth, meeting=meeting,
                  files=list(files or []), request=request)
    return 201, [attachment_out(a) for a in saved]


@router.post("/meetings/{meeting_id}/submit", response=MeetingOut, summary="Submit to the higher organization")
def meetings_submit(request, meeting_id: int):
    meeting = _for_change(request, meeting_id)
    return meeting_out(_call(meeting_services.meeting_submit, actor=request.auth, meeting=meeting, request=request))


@router.post("/meetings/{meeting_id}/review", response=MeetingOut, summary="Approve or send back (higher org)")
def meetings_review(request, meeting_id: int, payload: ReviewIn):
    meeting = sel.meeting_get(request.auth, meeting_id, request=request)
    if not sel.can_review(request.auth, meeting):
        raise Http404
    meeting = _call(meeting_services.meeting_review, actor=request.auth, meeting=meeting, approve=payload.approve,
                    reason=payload.reason, request=request)
    return meeting_out(meeting)


@router.post("/meetings/compliance/{org_id}/exemptions", response={201: ExemptionOut},
             summary="Exempt an organization from a meeting kind for a period (higher org)")
def meetings_exemption_grant(request, org_id: int, payload: ExemptionIn):
    org = sel.org_get(request.auth, org_id, request=request)
    if not sel.can_change(request.auth, sel.review_path(org)):
        raise Http404
    exemption = _call(meeting_services.exemption_grant, actor=request.auth, org=org, meeting_kind=payload.meeting_kind,
                      day=payload.day, reason=payload.reason, request=request)
    return 201, {"id": exemption.pk, "org_id": org.pk, "meeting_kind": exemption.meeting_kind,
                 "period_start": exemption.period_start, "reason": exemption.reason}
