"""Check-in by QR code at a meeting (reusable for activities: a new CheckInKind and its handler).

The organizer's page shows a QR code of a URL carrying a signed token: kind, object id and an expiry time,
signed with the project's secret (django.core.signing, salted for this purpose), so it cannot be forged or
altered, and it is refused after its expiry. The page renews the code while it is open, so a photo of it
passed on to someone who is not in the room stops working within minutes. A member who scans it while
signed in is recorded present: once (idempotent), only when expected at the meeting, and only while the
meeting's attendance can still be recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record

from .checkin_models import CheckIn, CheckInKind
from .meeting_models import Meeting, MeetingAttendance
from .models import Member, MemberStatus

SALT = "jiceng.party.checkin"
DEFAULT_MINUTES = 5
MAX_MINUTES = 120


@dataclass(frozen=True)
class CheckInTicket:
    kind: str
    object_id: int
    expires_at: float  # Unix time


def checkin_token_make(*, kind: str, object_id: int, minutes: int = DEFAULT_MINUTES, now: float | None = None) -> str:
    """A signed token for checking in to one event, valid for `minutes` (1 to 120)."""
    if kind not in CheckInKind.values:
        raise ValueError(kind)
    minutes = max(1, min(int(minutes), MAX_MINUTES))
    expires = int((now if now is not None else time.time()) + minutes * 60)
    return signing.dumps({"k": kind, "id": int(object_id), "exp": expires}, salt=SALT)


def checkin_token_read(token: str, *, now: float | None = None) -> CheckInTicket:
    """The ticket in a token, or a ValidationError when it was tampered with or has expired."""
    try:
        data = signing.loads(token, salt=SALT)
        ticket = CheckInTicket(kind=str(data["k"]), object_id=int(data["id"]), expires_at=float(data["exp"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ValidationError({"token": [_("This check-in code is not valid.")]}) from exc
    if ticket.kind not in CheckInKind.values:
        raise ValidationError({"token": [_("This check-in code is not valid.")]})
    if (now if now is not None else time.time()) > ticket.expires_at:
        raise ValidationError({"token": [_("This check-in code has expired; scan the code shown now.")]})
    return ticket


def _self_member(actor) -> Member:
    person_id = getattr(actor, "person_id", None)
    member = Member.objects.select_related("org").filter(person_id=person_id).first() if person_id else None
    if member is None:
        raise PermissionDenied
    return member


def meeting_check_in(*, actor, token: str, now: float | None = None, request=None) -> CheckIn:
    """Record the signed-in member present at the meeting the token names. Refused for an expired or
    altered code, for a member not expected at the meeting (not of its organization or one under it) and
    for a meeting already submitted for review. Checking in twice keeps the first check-in."""
    from . import meeting_selectors as msel
    from .meeting_services import RECORDABLE

    member = _self_member(actor)  # nobody but a member checks in, whatever the code
    ticket = checkin_token_read(token, now=now)
    if ticket.kind != CheckInKind.MEETING:
        raise ValidationError({"token": [_("This check-in code is not valid.")]})
    meeting = Meeting.objects.select_related("org").filter(pk=ticket.object_id).first()
    if meeting is None:
        raise ValidationError({"token": [_("This check-in code is not valid.")]})
    if not member.org.path.startswith(meeting.org.path):
        raise ValidationError({"member": [_("You are not expected at this meeting.")]})
    if meeting.state not in RECORDABLE:
        raise ValidationError({"state": [_("Attendance at this meeting can no longer be recorded.")]})
    existing = CheckIn.objects.filter(kind=CheckInKind.MEETING, object_id=meeting.pk, member=member).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        try:
            with transaction.atomic():
                check_in = CheckIn.objects.create(kind=CheckInKind.MEETING, object_id=meeting.pk, member=member,
                                                  area_path=meeting.area_path)
        except IntegrityError:
            return CheckIn.objects.get(kind=CheckInKind.MEETING, object_id=meeting.pk, member=member)
        MeetingAttendance.objects.update_or_create(
            meeting=meeting, member=member,
            defaults={"present": True, "absence_reason": "", "voting": member.status == MemberStatus.FULL},
        )
        audit_record(actor=actor, action="meeting.check_in", obj=meeting, request=request,
                     changes={"member": member.pk, "at": msel.today_local().isoformat()})
    return check_in
