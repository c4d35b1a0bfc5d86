"""Suspension with approval (挂起审批): the handler asks, the subdistrict or the district decides.

`suspension_request` is the assignee's (the department handler the case is dispatched to, or the grid's
worker for a case kept in the grid); `suspension_decide` is for whoever may take the case's `suspend`
transition (workflow.ACTION_ROLES). Approving takes that transition in the same transaction, so the
case stops its clock exactly when the request is approved and its event names the approver, with the
handler's reason. A decision on a request already decided, or on a case no longer accepted, is a
conflict; nothing is changed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role, User
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.notify.services import notify

from . import case_services, workflow
from .case_models import Case, CaseState
from .case_services import ConflictError
from .suspension_models import SuspensionRequest

MAX_TEXT = 500


def approvers_of(case: Case) -> list[User]:
    """The subdistrict staff over the case's place, or the district's administrators when it has none."""
    steplen = Area.steplen
    prefixes = [case.area_path[:i] for i in range(steplen, len(case.area_path) + 1, steplen)]
    users = list(User.objects.filter(is_active=True, grants__role=Role.SUBDISTRICT_STAFF,
                                     grants__area__path__in=prefixes).distinct()) if prefixes else []
    return users or list(User.objects.filter(is_active=True, grants__role=Role.DISTRICT_ADMIN).distinct())


def may_request(user, case: Case) -> bool:
    return case.state == CaseState.ACCEPTED and not case.merged_into_id and workflow.is_assignee(scope_for(user), case)


def may_decide(user, case: Case) -> bool:
    return workflow.may_act(scope_for(user), case, "suspend")


@transaction.atomic
def suspension_request(*, actor, case: Case, reason: str, request=None) -> SuspensionRequest:
    """The handler asks to suspend an accepted case, saying why; the approvers are notified."""
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or not workflow.is_assignee(scope_for(actor), locked):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the work must wait.")]})
    if len(reason) > MAX_TEXT:
        raise ValidationError({"reason": [_("At most %(n)d characters.") % {"n": MAX_TEXT}]})
    if locked.state != CaseState.ACCEPTED or locked.merged_into_id:
        raise ConflictError(_("Only an accepted case that is being handled can be suspended."))
    try:
        with transaction.atomic():
            item = SuspensionRequest.objects.create(case=locked, reason=reason, requested_by=actor,
                                                    requested_at=timezone.now())
    except IntegrityError:
        raise ConflictError(_("A suspension request for this case is already waiting for a decision.")) from None
    audit_record(actor=actor, action="cases.suspension.request", obj=item,
                 changes={"case": locked.number}, request=request)
    notify(users=approvers_of(locked), kind="case.suspension",
           title=_("Suspension requested: %(number)s") % {"number": locked.number}, body=reason,
           url=reverse("cases:case", args=[locked.number]), area_path=locked.area_path)
    return item


@transaction.atomic
def suspension_decide(*, actor, item: SuspensionRequest, approve: bool, note: str = "",
                      request=None) -> SuspensionRequest:
    """Approve (the case is suspended, by the approver, in this transaction) or refuse (a note is
    required: the handler must know why). The handler is notified either way."""
    case = Case.objects.filter(pk=item.case_id).first()
    if case is None or not may_decide(actor, case):
        raise PermissionDenied
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": [_("Say why the request is refused.")]})
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": [_("At most %(n)d characters.") % {"n": MAX_TEXT}]})
    # Claim the request: of two approvers deciding at once, one updates the row and the other gets 0.
    now = timezone.now()
    claimed = SuspensionRequest.objects.filter(pk=item.pk, decided_at__isnull=True).update(
        decided_by=actor, decided_at=now, approved=approve, decision_note=note)
    if not claimed:
        raise ConflictError(_("This request was decided already."))
    if approve:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
        text = item.reason if not note else f"{item.reason}\n{note}"
        case_services.case_suspend(actor=actor, case=case, expected_version=current, note=text, request=request)
    item.refresh_from_db()
    audit_record(actor=actor, action="cases.suspension.approve" if approve else "cases.suspension.refuse",
                 obj=item, changes={"case": case.number, "approved": approve}, request=request)
    title = (_("Suspension approved: %(number)s") if approve else _("Suspension refused: %(number)s")) % {
        "number": case.number}
    notify(users=[item.requested_by], kind="case.suspension", title=title, body=note,
           url=reverse("cases:case", args=[case.number]))
    return item
