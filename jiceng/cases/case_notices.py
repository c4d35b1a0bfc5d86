"""Who is told about a case's transitions, and how.

The rule (one place, so the channels stay predictable for the people on duty):
- a dispatch tells whoever must act: the unit's department handlers, or, when the case goes to the
  grid's own workers, the grid workers of its grid — in the app and by email; urgent and emergency
  dispatches also go to the area's WeCom/DingTalk group robots, because minutes count and the duty
  group watches the robot, while an ordinary dispatch in every group would drown the urgent ones;
- a return (wrong unit) tells the community and subdistrict staff over the case's place, who dispatch
  again — in the app and by email, not to the robots (it concerns one office);
- whistles, emergency linkage and supervision orders notify in their own services (robots included).
Notices are written in the transition's transaction; email and robots leave after commit (notify()).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.notify.services import chain_prefixes, notify

from .calendar import LOCAL
from .case_models import Case, CaseState
from .models import Urgency

ROBOT_URGENCIES = frozenset({Urgency.URGENT, Urgency.EMERGENCY})
# The states in which the case is with its unit or grid workers (they are the ones to act).
AT_UNIT = (CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.SUSPENDED)


def department_handlers(unit_ids: Iterable[int]) -> list[User]:
    """The active users who handle cases for these units (one query)."""
    grants = (RoleGrant.objects.filter(role=Role.DEPARTMENT_HANDLER, unit_id__in=list(unit_ids),
                                       user__is_active=True).select_related("user"))
    return [g.user for g in grants]


def staff_over(case: Case) -> list[User]:
    """The community and subdistrict staff over the case's place (the district's administrators for a
    case not yet placed)."""
    prefixes = chain_prefixes(case.area_path)
    grants = Q(grants__role__in=[Role.COMMUNITY_STAFF, Role.SUBDISTRICT_STAFF], grants__area__path__in=prefixes)
    users = list(User.objects.filter(grants, is_active=True).distinct()) if prefixes else []
    if not users:
        users = list(User.objects.filter(is_active=True, grants__role=Role.DISTRICT_ADMIN).distinct())
    return users


def case_handlers(case: Case) -> list[User]:
    """The users who must act on the case now (one query)."""
    grants = RoleGrant.objects.select_related("user").filter(user__is_active=True)
    if case.state in AT_UNIT and case.unit_id:
        grants = grants.filter(role=Role.DEPARTMENT_HANDLER, unit_id=case.unit_id)
    elif case.state in AT_UNIT and case.area_path:
        grants = grants.filter(role=Role.GRID_WORKER, area__path__in=chain_prefixes(case.area_path))
    elif case.community_id:
        grants = grants.filter(role=Role.COMMUNITY_STAFF, area_id=case.community_id)
    else:
        return []
    return list({g.user_id: g.user for g in grants}.values())


def notify_dispatched(case: Case) -> None:
    title = _("Case %(number)s is yours to handle: %(category)s") % {
        "number": case.number, "category": case.category.name}
    body = case.description[:200]
    if case.handle_due:
        body += "\n" + _("Handle by %(due)s") % {"due": case.handle_due.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")}
    notify(users=case_handlers(case), kind="case.dispatched", title=title, body=body,
           url=reverse("cases:case", args=[case.number]), area_path=case.area_path,
           robots=case.urgency in ROBOT_URGENCIES)


def notify_returned(case: Case, *, reason: str) -> None:
    title = _("Case %(number)s was returned for dispatch") % {"number": case.number}
    notify(users=staff_over(case), kind="case.returned", title=title, body=reason,
           url=reverse("cases:case", args=[case.number]), area_path=case.area_path, robots=False)
