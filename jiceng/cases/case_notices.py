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

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import calendar
from .case_models import Case
from .models import Urgency

# case_handlers lives with supervision (it imports case_services, which imports this module): taken
# at call time.

# Urgencies whose dispatch is also posted to the area's robots.
ROBOT_URGENCIES = frozenset({Urgency.URGENT, Urgency.EMERGENCY})


def _url(case: Case) -> str:
    return reverse("cases:case", args=[case.number])


def _due(at) -> str:
    return f"{timezone.localtime(at, calendar.LOCAL):%Y-%m-%d %H:%M}" if at else "—"


def dispatched(case: Case) -> None:
    """Tell the unit's handlers (or the grid's workers) a case is theirs, and by when."""
    from jiceng.notify.services import notify

    from .supervision_services import case_handlers

    urgent = case.urgency in ROBOT_URGENCIES
    title = (_("Urgent case dispatched to you: %(number)s") if urgent
             else _("Case dispatched to you: %(number)s")) % {"number": case.number}
    notify(users=case_handlers(case), kind="case.dispatch", title=title,
           body=_("%(title)s\nHandle by %(due)s.") % {"title": case.title, "due": _due(case.handle_due)},
           url=_url(case), area_path=case.area_path, robots=urgent)


def returned(case: Case, *, reason: str) -> None:
    """Tell the community (who dispatches again) that the unit sent the case back, and why."""
    from jiceng.notify.services import notify

    from .supervision_services import case_handlers

    users = case_handlers(case)
    if not users:  # an unplaced case has no community: its dispatcher hears of it
        last = case.events.filter(transition="dispatch").select_related("actor").order_by("-seq").first()
        users = [last.actor] if last and last.actor else []
    notify(users=users, kind="case.return",
           title=_("Case returned for dispatch: %(number)s") % {"number": case.number},
           body=f"{case.title}\n{reason[:500]}", url=_url(case), area_path=case.area_path, robots=False)


def handled(case: Case) -> None:
    """Tell the community (who verifies) that the work is reported done, and by when to verify it."""
    from jiceng.notify.services import notify

    from .supervision_services import case_handlers

    notify(users=case_handlers(case), kind="case.verify",
           title=_("Case handled, verify it: %(number)s") % {"number": case.number},
           body=_("%(title)s\nVerify by %(due)s.") % {"title": case.title, "due": _due(case.verify_due)},
           url=_url(case), area_path=case.area_path, robots=False)
