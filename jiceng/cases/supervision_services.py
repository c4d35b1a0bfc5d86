"""Writes of supervision (督办): issue an urging order on a case, reply to it, escalate a late one.

Each service runs in one transaction: permission and scope check, the write, the audit event, and the
notices (in the app now; email and the area's group robots after commit, through notify()).

Levels: a community worker urges at community level, the subdistrict at subdistrict level, the district
at district level (a user's highest role that covers the case). An order not answered by its reply date
is late (derived); a user of a higher level may escalate it to the next level, which issues a new order
there. The handler replies: the department the case is dispatched to, the grid's workers for a case
the grid handles itself, or, for a case still waiting for dispatch, the community's workers.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role
from jiceng.accounts.scope import Scope, scope_for
from jiceng.notify.services import notify

from . import calendar, workflow
from .case_models import Case, CaseState
from .case_notices import AT_UNIT, case_handlers
from .case_services import ConflictError
from .supervision_models import LEVEL_ORDER, SupervisionLevel, SupervisionOrder

# How long the handler has to reply when the issuer gives no date.
DEFAULT_REPLY_WORKING_DAYS = 1
ROLE_LEVEL = {
    Role.COMMUNITY_STAFF: SupervisionLevel.COMMUNITY,
    Role.SUBDISTRICT_STAFF: SupervisionLevel.SUBDISTRICT,
    Role.DISTRICT_ADMIN: SupervisionLevel.DISTRICT,
}
_FINISHED = (CaseState.CLOSED,)


def rank(level: str) -> int:
    return LEVEL_ORDER.index(level)


def actor_level(scope: Scope, case: Case) -> str | None:
    """The highest supervision level the user holds over the case, or None."""
    levels = [lvl for role, lvl in ROLE_LEVEL.items() if role in scope.roles]
    if not levels or not workflow.covers(scope, case):
        return None
    return max(levels, key=rank)


def is_open(order: SupervisionOrder) -> bool:
    return order.replied_at is None and not was_escalated(order)


def was_escalated(order: SupervisionOrder) -> bool:
    try:
        return order.escalation is not None
    except SupervisionOrder.escalation.RelatedObjectDoesNotExist:
        return False


def is_late(order: SupervisionOrder, now: datetime | None = None) -> bool:
    return is_open(order) and order.reply_due < (now or timezone.now())


def may_reply(scope: Scope, order: SupervisionOrder) -> bool:
    case = order.case
    if workflow.is_assignee(scope, case) and case.state in AT_UNIT:
        return True
    level = actor_level(scope, case)
    # A worker below the order's level answers for the area (a community urged by the subdistrict).
    return level is not None and rank(level) < rank(order.level) and case.state not in AT_UNIT


def may_escalate(scope: Scope, order: SupervisionOrder) -> bool:
    level = actor_level(scope, order.case)
    return (level is not None and order.level != LEVEL_ORDER[-1]
            and rank(level) >= rank(order.level) + 1)


def _default_due(now: datetime) -> datetime:
    return calendar.deadline_add(now, DEFAULT_REPLY_WORKING_DAYS, "working_days")


def _check_due(reply_due: datetime | None, now: datetime) -> datetime:
    if reply_due is None:
        return _default_due(now)
    if reply_due <= now:
        raise ValidationError({"reply_due": [_("The reply date must be in the future.")]})
    return reply_due


def _tell(users, *, kind: str, title: str, body: str, case: Case, robots: bool = True) -> None:
    notify(users=users, kind=kind, title=title, body=body, url=reverse("cases:case", args=[case.number]),
           area_path=case.area_path, robots=robots)


@transaction.atomic
def supervision_issue(*, actor, case: Case, note: str, reply_due: datetime | None = None,
                      request=None) -> SupervisionOrder:
    """Urge the handlers of a case; they are told in the app, by email and in the area's robot groups."""
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        raise ConflictError()
    scope = scope_for(actor)
    level = actor_level(scope, locked)
    if level is None:
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what must be done.")]})
    if locked.state in _FINISHED:
        raise ValidationError({"__all__": [_("A closed case needs no urging.")]})
    now = timezone.now()
    due = _check_due(reply_due, now)
    if SupervisionOrder.objects.filter(case=locked, level=level, replied_at__isnull=True,
                                       escalation__isnull=True).exists():
        raise ConflictError(_("This case already has an open order at this level."))
    order = SupervisionOrder.objects.create(case=locked, level=level, issued_by=actor, issued_at=now,
                                            note=note[:2000], reply_due=due)
    audit_record(actor=actor, action="case.supervise", obj=locked, request=request,
                 changes={"number": locked.number, "order": order.pk, "level": level,
                          "reply_due": due.isoformat()})
    # A community's own urging stays in the app and email; a subdistrict's or district's order is also
    # posted to the area's robots (the rule for all case notices is in case_notices).
    _tell(case_handlers(locked), kind="case.urge", case=locked, robots=level != SupervisionLevel.COMMUNITY,
          title=_("Urged (%(level)s): case %(number)s") % {"level": SupervisionLevel(level).label,
                                                           "number": locked.number},
          body=f"{locked.title}\n{note[:500]}")
    return order


@transaction.atomic
def supervision_reply(*, actor, order: SupervisionOrder, reply: str, request=None) -> SupervisionOrder:
    """The handler answers an open order: what was done, what is still needed."""
    locked = SupervisionOrder.objects.select_for_update().select_related("case").filter(pk=order.pk).first()
    if locked is None:
        raise ConflictError()
    scope = scope_for(actor)
    if not workflow.covers(scope, locked.case) and not workflow.is_assignee(scope, locked.case):
        raise PermissionDenied
    if not may_reply(scope, locked):
        raise PermissionDenied
    if not is_open(locked):
        raise ConflictError(_("This order was already answered or escalated."))
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": [_("Write the reply.")]})
    locked.reply, locked.replied_by, locked.replied_at = reply[:2000], actor, timezone.now()
    locked.save(update_fields=["reply", "replied_by", "replied_at"])
    audit_record(actor=actor, action="case.supervise_reply", obj=locked.case, request=request,
                 changes={"number": locked.case.number, "order": locked.pk,
                          "late": locked.replied_at > locked.reply_due})
    _tell([locked.issued_by], kind="case.urge_reply", case=locked.case,
          title=_("Reply to your order on case %(number)s") % {"number": locked.case.number}, body=reply[:500],
          robots=False)
    return locked


@transaction.atomic
def supervision_escalate(*, actor, order: SupervisionOrder, note: str, reply_due: datetime | None = None,
                         request=None) -> SupervisionOrder:
    """Escalate a late order to the next level: a new order there, issued by a user of that level or above."""
    locked = SupervisionOrder.objects.select_for_update().select_related("case").filter(pk=order.pk).first()
    if locked is None:
        raise ConflictError()
    scope = scope_for(actor)
    if actor_level(scope, locked.case) is None or not may_escalate(scope, locked):
        raise PermissionDenied
    now = timezone.now()
    if not is_open(locked):
        raise ConflictError(_("This order was already answered or escalated."))
    if locked.reply_due >= now:
        raise ValidationError({"__all__": [_("Only an order not answered by its reply date can be escalated.")]})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what must be done.")]})
    due = _check_due(reply_due, now)
    level = LEVEL_ORDER[rank(locked.level) + 1]
    try:
        with transaction.atomic():
            new = SupervisionOrder.objects.create(case=locked.case, level=level, issued_by=actor, issued_at=now,
                                                  note=note[:2000], reply_due=due, escalated_from=locked)
    except IntegrityError as exc:
        raise ConflictError(_("This order was already answered or escalated.")) from exc
    audit_record(actor=actor, action="case.supervise_escalate", obj=locked.case, request=request,
                 changes={"number": locked.case.number, "from_order": locked.pk, "order": new.pk, "level": level})
    _tell([*case_handlers(locked.case), locked.issued_by], kind="case.urge", case=locked.case,
          title=_("Escalated to %(level)s: case %(number)s") % {"level": SupervisionLevel(level).label,
                                                                "number": locked.case.number},
          body=f"{locked.case.title}\n{note[:500]}")
    return new
