"""Merging a duplicate case into the case that carries the work (并案).

The merged case is closed by the `merge` transition (its own clocks stop: a closed case has no running
deadline), with an event naming the target; the target gets a `merged_in` event naming the duplicate,
its state unchanged. `Case.merged_into` links them (the target lists them as `merged`), reporters'
follow-up shows the target (`duplicate_selectors.case_followed`), and the metrics count the pair once
by leaving out every case with `merged_into` set. Unmerging is not offered.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for

from . import workflow
from .case_models import Case, CaseState
from .case_services import ConflictError, _append

# Who merges: the staff who dispatch (a merge is a dispatcher's triage decision), on both cases.
MERGERS = workflow.ACTION_ROLES["dispatch"]
# The merge transition, declared like the workflow's: from any open state to closed.
MERGE_FROM = frozenset(s for s in CaseState.values if s != CaseState.CLOSED)


def may_merge(scope, case: Case) -> bool:
    return bool(scope.roles & MERGERS) and workflow.covers(scope, case)


@transaction.atomic
def case_merge(*, actor, case: Case, into: Case, expected_version: int, note: str = "", request=None) -> Case:
    """Merge `case` (the duplicate) into `into`. Both rows are locked (in id order, so two merges of
    the same pair cannot deadlock); a stale `expected_version` of `case` is a conflict."""
    if case.pk == into.pk:
        raise ValidationError({"into": [_("A case cannot be merged into itself.")]})
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[case.pk, into.pk]).order_by("pk")}
    dup, target = locked.get(case.pk), locked.get(into.pk)
    if dup is None or target is None:
        raise ConflictError()
    scope = scope_for(actor)
    if not may_merge(scope, dup) or not may_merge(scope, target):
        raise PermissionDenied
    if dup.version != expected_version:
        raise ConflictError()
    if dup.merged_into_id or dup.state not in MERGE_FROM:
        raise ConflictError(_("This case is already closed or merged."))
    if target.merged_into_id:
        raise ValidationError({"into": [_("That case was itself merged into %(number)s; merge into that one.")
                                        % {"number": target.merged_into.number}]})
    if target.state == CaseState.CLOSED:
        message = _("That case is closed; a new report of the problem stays a case of its own.")
        raise ValidationError({"into": [message]})
    now = timezone.now()
    from_state = dup.state
    # Cases merged into the duplicate earlier now follow the target directly, so a chain is one step.
    earlier = list(Case.objects.select_for_update().filter(merged_into=dup).values_list("number", flat=True))
    Case.objects.filter(merged_into=dup).update(merged_into=target)
    dup.merged_into = target
    dup.state = CaseState.CLOSED
    dup.closed_at = now
    dup.suspended_at = None
    dup.version += 1
    dup.save()
    _append(dup, actor=actor, transition="merge", from_state=from_state, note=note.strip(), at=now,
            data={"into": target.number})
    _append(target, actor=actor, transition="merged_in", from_state=target.state, note=note.strip(), at=now,
            data={"case": dup.number, "also": earlier})
    audit_record(actor=actor, action="case.merge", obj=dup, request=request,
                 changes={"number": dup.number, "into": target.number, "from": from_state, "repointed": earlier})
    return dup
