"""Writes for identity boards: a member's own choice to be shown on the board of where they live."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from jiceng.accounts.audit import audit_record

from .models import Member


def member_board_visibility_set(*, actor, member: Member, show: bool, request=None) -> Member:
    """Opt in to (or out of) the identity board. The choice is the member's own: nobody else makes it
    for them (the system may, for imports)."""
    if actor is not None and getattr(actor, "person_id", None) != member.person_id:
        raise PermissionDenied
    with transaction.atomic():
        previous = Member.objects.select_for_update().filter(pk=member.pk).values_list("show_on_board", flat=True).get()
        Member.objects.filter(pk=member.pk).update(show_on_board=bool(show))
        member.show_on_board = bool(show)
        audit_record(actor=actor, action="member.board_visibility", obj=member, request=request,
                     changes={"from": previous, "to": bool(show)})
    return member
