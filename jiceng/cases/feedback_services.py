"""Staff's follow-up calls (回访) to the resident, and reading a case's feedback.

A follow-up call is recorded once the work is reported done: whether the resident was reached and,
if so, their rating and whether the problem is solved. An unanswered call carries no rating. An
unsatisfied answer does not reopen the case by itself: the staff member decides, with the case's
Reopen action (within workflow.REOPEN_WINDOW_DAYS of closing).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_for

from . import workflow
from .case_models import Case
from .feedback_models import CaseFeedback, FeedbackSource, Satisfaction
from .resident_services import RATEABLE

# Who calls residents back: the staff over the case's place (not grid workers or departments,
# whose work is what the call asks about).
FOLLOW_UP_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF})


def may_follow_up(user, case: Case) -> bool:
    scope = scope_for(user)
    return bool(scope.roles & FOLLOW_UP_ROLES) and workflow.covers(scope, case)


@transaction.atomic
def case_follow_up(*, actor, case: Case, reached: bool, rating: str = "", resolved: bool | None = None,
                   comment: str = "", request=None) -> CaseFeedback:
    """Record one follow-up call on a case whose work is reported done."""
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or not may_follow_up(actor, locked):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if locked.state not in RATEABLE:
        errors["__all__"] = [_("Call the resident back once the work is reported done.")]
    rating = rating or ""
    if reached:
        if rating not in Satisfaction.values:
            errors["rating"] = [_("Choose the resident's rating.")]
    else:
        if rating or resolved is not None:
            errors["rating"] = [_("A call that did not reach the resident carries no rating.")]
    if errors:
        raise ValidationError(errors)
    feedback = CaseFeedback.objects.create(
        case=locked, source=FeedbackSource.FOLLOW_UP, rating=rating if reached else "",
        resolved=resolved if reached else None, comment=(comment or "").strip()[:2000], reached=reached,
        actor=actor, at=timezone.now(),
    )
    audit_record(actor=actor, action="case.follow_up", obj=locked, request=request,
                 changes={"number": locked.number, "reached": reached, "rating": feedback.rating,
                          "resolved": feedback.resolved})
    return feedback

