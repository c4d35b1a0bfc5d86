"""Who is told of a case's transitions, and on which channels.

Every notice goes through notify(): in the app inside the transition's transaction, by email and to the
area's group robots (WeCom, DingTalk) after it commits, so a rolled-back transition tells no one.

Which notices go to the robots (a group chat every worker of the area reads): only what the whole area must
see at once, or the group fills with routine traffic nobody reads any more.
  - dispatch of an urgent or emergency case: yes (the unit must move now, and the group sees who has it);
    of a normal case: in the app and by email only, to the unit's handlers or the grid's workers;
  - return: in the app and by email only, to the community that dispatches the case again;
  - handled, waiting for verification: in the app and by email only, to the community that verifies;
  - whistles and emergency linkage: yes (whistle_services);
  - supervision: an urging order at community level in the app and by email only, at subdistrict or
    district level and every escalation also to the robots (supervision_services);
  - near-due and overdue reminders: yes (jiceng.notify.reminders).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.notify.services import chain_prefixes, notify

from . import calendar
from .case_models import Case, CaseState
from .models import Urgency

# Urgencies whose dispatch is also posted to the area's robots.
ROBOT_URGENCIES = frozenset({Urgency.URGENT, Urgency.EMERGENCY})
# The states in which the case is with its unit or grid workers (they are the ones to act).
AT_UNIT = (CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.SUSPENDED)


# --- who: shared by the transitions, whistles, supervision, residents' ratings and the reminders ---------


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


# --- the transitions' notices ----------------------------------------------------------------------


def _url(case: Case) -> str:
    return reverse("cases:case", args=[case.number])


def _due(at) -> str:
    return f"{timezone.localtime(at, calendar.LOCAL):%Y-%m-%d %H:%M}" if at else "—"


def dispatched(case: Case) -> None:
    """Tell the unit's handlers (or the grid's workers) a case is theirs, and by when."""
    urgent = case.urgency in ROBOT_URGENCIES
    title = (_("Urgent case dispatched to you: %(number)s") if urgent
             else _("Case dispatched to you: %(number)s")) % {"number": case.number}
    notify(users=case_handlers(case), kind="case.dispatch", title=title,
           body=_("%(title)s\nHandle by %(due)s.") % {"title": case.title, "due": _due(case.handle_due)},
           url=_url(case), area_path=case.area_path, robots=urgent)


def returned(case: Case, *, reason: str) -> None:
    """Tell the community (who dispatches again) that the unit sent the case back, and why."""
    users = case_handlers(case)
    if not users:  # an unplaced case has no community: its dispatcher hears of it
        last = case.events.filter(transition="dispatch").select_related("actor").order_by("-seq").first()
        users = [last.actor] if last and last.actor else []
    notify(users=users, kind="case.return",
           title=_("Case returned for dispatch: %(number)s") % {"number": case.number},
           body=f"{case.title}\n{reason[:500]}", url=_url(case), area_path=case.area_path, robots=False)


def handled(case: Case) -> None:
    """Tell the community (who verifies) that the work is reported done, and by when to verify it."""
    notify(users=case_handlers(case), kind="case.verify",
           title=_("Case handled, verify it: %(number)s") % {"number": case.number},
           body=_("%(title)s\nVerify by %(due)s.") % {"title": case.title, "due": _due(case.verify_due)},
           url=_url(case), area_path=case.area_path, robots=False)
