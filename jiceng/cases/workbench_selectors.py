"""Reads for the workbench: a user's saved inbox views, and a grid worker's or handler's own tasks."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import F, QuerySet

from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_for

from .case_models import Case
from .case_selectors import _mine_q, case_scope_q, with_due
from .workbench_models import SavedView

# Who has tasks of their own: the workers a case is dispatched to (workflow's "assignee").
TASK_ROLES = frozenset({Role.GRID_WORKER, Role.DEPARTMENT_HANDLER})


@dataclass(frozen=True)
class SavedViewLink:
    id: int
    name: str
    query: str  # the inbox's query string for the view's filters


def saved_views_for(user) -> list[SavedViewLink]:
    """The user's own saved views (never anyone else's), by name; one query."""
    if not user.is_authenticated:
        return []
    return [SavedViewLink(v.id, v.name, urlencode(v.filters))
            for v in SavedView.objects.filter(user=user).only("id", "name", "filters")]


def saved_view_get(user, view_id: int) -> SavedView | None:
    return SavedView.objects.filter(user=user, pk=view_id).first()


def has_tasks(user) -> bool:
    return bool(scope_for(user).roles & TASK_ROLES)


def my_tasks(user) -> QuerySet:
    """The cases this user must work on now, in their scope: dispatched to their unit, or (for a
    grid worker) dispatched to no unit in their grid. The nearest deadline first; overdue ones lead,
    cases with no running clock (suspended) last."""
    qs = with_due(Case.objects.filter(case_scope_q(user)).filter(_mine_q(user)))
    return qs.select_related("category", "community", "grid", "unit").defer(
        "community__geometry", "grid__geometry").order_by(
        F("current_due").asc(nulls_last=True), "created_at", "id")
