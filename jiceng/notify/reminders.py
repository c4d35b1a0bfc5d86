"""What `jiceng notify-due` sends: near-due and overdue case notices, and reminders of meetings that fall
due soon. The job only notifies (DESIGN.md rule 5): every list it reads is derived from stored dates at
query time, and the pages show the same state whether or not the job ever ran.

Meeting reminders go to the community staff over the organization's area and to the organization's own
post holders who convene it (secretary, deputy secretary, group leader), in the app and by email, and to
the group robots (WeCom, DingTalk) covering the area.

Each reminder goes out once: its key (the case, its running stage's deadline and whether near due or
overdue; the organization, meeting kind and period) is remembered in SentReminder. A deadline that moves
(a resumed or reworked case) makes a new key, so the new deadline is announced again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.accounts.scope import CONVENING_TITLES

from .robot_models import SentReminder
from .services import chain_prefixes, notify

log = logging.getLogger("jiceng.notify")

# A meeting obligation is announced when its period ends within this many days and it is not met.
MEETING_REMIND_DAYS = 7
# A planned meeting is announced this many days before its date (0: on the day).
PLANNED_REMIND_DAYS = 1


@dataclass
class Report:
    cases_near_due: int = 0
    cases_overdue: int = 0
    meetings: int = 0
    planned: int = 0
    skipped: int = 0
    keys: list[str] = field(default_factory=list)


def _claim(key: str, now: datetime) -> bool:
    """Remember the key; False when it was already sent (by an earlier run or a concurrent one)."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(key=key, sent_at=now)
    except IntegrityError:
        return False
    return True


def case_reminders(report: Report, now: datetime) -> None:
    from jiceng.cases import workflow
    from jiceng.cases.case_models import Case
    from jiceng.cases.case_notices import case_handlers
    from jiceng.cases.case_selectors import with_due

    horizon = now + timedelta(hours=workflow.NEAR_DUE_HOURS)
    cases = list(with_due(Case.objects.filter(merged_into__isnull=True))
                 .filter(current_due__lt=horizon).only("pk", "number", "title", "state", "unit_id", "area_path",
                                                       "community_id", "dispatch_due", "handle_due", "verify_due")
                 .order_by("current_due", "pk"))
    keys = {c.pk: f"case:{c.pk}:{c.state}:{c.current_due:%Y%m%d%H%M}:{'over' if c.current_due < now else 'near'}"
            for c in cases}
    sent = set(SentReminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    for case in cases:
        key = keys[case.pk]
        if key in sent:
            report.skipped += 1
            continue
        overdue = case.current_due < now
        with transaction.atomic():
            if not _claim(key, now):
                report.skipped += 1
                continue
            due = timezone.localtime(case.current_due).strftime("%Y-%m-%d %H:%M")
            title = (_("Overdue: case %(number)s (due %(due)s)") if overdue
                     else _("Near due: case %(number)s (due %(due)s)")) % {"number": case.number, "due": due}
            notify(users=case_handlers(case), kind="case.overdue" if overdue else "case.near_due", title=title,
                   body=case.title, url=reverse("cases:case", args=[case.number]), area_path=case.area_path)
        report.keys.append(key)
        if overdue:
            report.cases_overdue += 1
        else:
            report.cases_near_due += 1


def meeting_reminders(report: Report, today: date) -> None:
    """Obligations of the current period not yet met whose period ends within MEETING_REMIND_DAYS, for
    every organization (the compliance calendar's own rules; a fixed handful of queries for the whole
    district, however many organizations are due)."""
    from jiceng.party import meeting_selectors as ms
    from jiceng.party.meeting_models import MeetingKind
    from jiceng.party.models import PartyOrg

    orgs = list(PartyOrg.objects.order_by("path"))
    ids = [o.pk for o in orgs]
    rulebook = ms.Rulebook()
    counts = ms._counts_by_month(ids, today.year)
    exemptions = ms._exemptions(ids, today.year)
    due: list[tuple[PartyOrg, str, ms.Cell]] = []
    for org in orgs:
        cal = ms._calendar(org, today.year, rulebook=rulebook, counts=counts, exemptions=exemptions, today=today)
        for row in cal.rows:
            for cell in row.cells:
                if cell.status == ms.Status.DUE_NOW and (cell.span.end - today).days <= MEETING_REMIND_DAYS:
                    due.append((org, row.kind, cell))
    if not due:
        return
    keys = {(o.pk, k, c.span.start): f"meeting:{o.pk}:{k}:{c.span.start:%Y%m%d}" for o, k, c in due}
    sent = set(SentReminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    staff = _community_staff()
    heads = _post_holders({o.pk for o, _k, _c in due}, today)
    now = timezone.now()
    for org, kind, cell in due:
        key = keys[(org.pk, kind, cell.span.start)]
        if key in sent:
            report.skipped += 1
            continue
        chain = set(chain_prefixes(org.area_path))
        users = [g.user for g in staff if g.area.path in chain] + heads.get(org.pk, [])
        with transaction.atomic():
            if not _claim(key, now):
                report.skipped += 1
                continue
            title = _("Due by %(end)s: %(kind)s of %(org)s (%(held)d of %(expected)d held)") % {
                "end": f"{cell.span.end:%Y-%m-%d}", "kind": MeetingKind(kind).label, "org": org.name,
                "held": cell.held, "expected": cell.expected}
            notify(users=users, kind="meeting.due", title=title,
                   url=reverse("party:meeting_compliance", args=[org.pk]), area_path=org.area_path)
        report.keys.append(key)
        report.meetings += 1


def _community_staff():
    return list(RoleGrant.objects.filter(role=Role.COMMUNITY_STAFF, user__is_active=True)
                .select_related("user", "area"))


def _post_holders(org_ids, today: date) -> dict[int, list[User]]:
    """The active accounts of those who convene each organization's meetings on `today`: its secretary and
    deputy secretary, or a group's leader (posts not ended). Two queries for any number of organizations."""
    from jiceng.party.models import Position

    if not org_ids:
        return {}
    posts = (Position.objects.held_on(today).filter(org_id__in=list(org_ids), title__in=CONVENING_TITLES)
             .values_list("org_id", "person_id"))
    by_person: dict[int, list[int]] = {}
    for org_id, person_id in posts:
        by_person.setdefault(person_id, []).append(org_id)
    holders: dict[int, list[User]] = {}
    for user in User.objects.filter(is_active=True, person_id__in=list(by_person)):
        for org_id in by_person[user.person_id]:
            holders.setdefault(org_id, []).append(user)
    return holders


def planned_meeting_reminders(report: Report, today: date) -> None:
    """Planned meetings whose date is today or within PLANNED_REMIND_DAYS (five queries)."""
    from jiceng.party.meeting_models import Meeting, MeetingState

    meetings = list(Meeting.objects.filter(state=MeetingState.PLANNED, planned_on__gte=today,
                                           planned_on__lte=today + timedelta(days=PLANNED_REMIND_DAYS))
                    .select_related("org").order_by("planned_on", "pk"))
    if not meetings:
        return
    keys = {m.pk: f"meeting-planned:{m.pk}:{m.planned_on:%Y%m%d}" for m in meetings}
    sent = set(SentReminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    staff = _community_staff()
    heads = _post_holders({m.org_id for m in meetings}, today)
    now = timezone.now()
    for m in meetings:
        if keys[m.pk] in sent:
            report.skipped += 1
            continue
        chain = set(chain_prefixes(m.area_path))
        with transaction.atomic():
            if not _claim(keys[m.pk], now):
                report.skipped += 1
                continue
            title = _("Meeting on %(day)s: %(kind)s of %(org)s") % {
                "day": f"{m.planned_on:%Y-%m-%d}", "kind": m.get_kind_display(), "org": m.org.name}
            notify(users=[g.user for g in staff if g.area.path in chain] + heads.get(m.org_id, []),
                   kind="meeting.planned", title=title,
                   body=m.title, url=reverse("party:meeting_detail", args=[m.pk]), area_path=m.area_path)
        report.keys.append(keys[m.pk])
        report.planned += 1


def send_due_reminders(*, now: datetime | None = None, language: str = "zh-hans") -> Report:
    """Send every reminder not sent yet; safe to run as often as wanted (from cron or a timer)."""
    now = now or timezone.now()
    report = Report()
    with override(language):
        case_reminders(report, now)
        meeting_reminders(report, timezone.localtime(now).date())
        planned_meeting_reminders(report, timezone.localtime(now).date())
    log.info("notify-due: %d near due, %d overdue, %d meetings due, %d planned, %d already sent",
             report.cases_near_due, report.cases_overdue, report.meetings, report.planned, report.skipped)
    return report
