"""Reads for QR check-in: who has checked in to a meeting, and what a check-in code names."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .checkin_models import CheckIn, CheckInKind
from .meeting_models import Meeting


def meeting_check_ins(meeting: Meeting) -> list[CheckIn]:
    """Check-ins at a meeting (fetched in scope by the caller), earliest first. One query."""
    return list(
        CheckIn.objects.filter(kind=CheckInKind.MEETING, object_id=meeting.pk)
        .select_related("member__person", "member__org")
        .order_by("checked_in_at", "pk")
    )


def can_check_in(meeting: Meeting) -> bool:
    from .meeting_services import RECORDABLE

    return meeting.state in RECORDABLE


def meeting_for_ticket(ticket) -> Meeting:
    """The meeting a valid ticket names (its title and organization are shown to whoever holds the code)."""
    meeting = (
        Meeting.objects.select_related("org").filter(pk=ticket.object_id).first()
        if ticket.kind == CheckInKind.MEETING else None
    )
    if meeting is None:
        raise ValidationError({"token": [_("This check-in code is not valid.")]})
    return meeting
