"""Whistle and check-in (吹哨报到) and emergency linkage: every write.

The whistle moves open → closed; each summoned department's response moves by RESPONSE_TRANSITIONS
(summoned → checked_in → reported). Every service runs in one transaction, locks the row it changes, checks
the expected version, the transition map and the actor's role and scope, then appends a WhistleEvent and an
audit event. Two people acting on the same response at once: the first wins, the second gets ConflictError.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role, RoleGrant
from jiceng.accounts.scope import Scope, scope_for
from jiceng.areas.models import Area
from jiceng.notify.services import notify
from jiceng.units.models import Unit

from . import calendar
from .attachments import attachments_add
from .case_models import Case, CaseState
from .case_notices import department_handlers
from .case_services import ConflictError
from .models import Urgency
from .whistle_models import ResponseRole, ResponseState, Whistle, WhistleEvent, WhistleResponse, WhistleState

# Who whistles, rates and closes: the subdistrict (or the district on its behalf).
WHISTLERS = frozenset({Role.SUBDISTRICT_STAFF, Role.DISTRICT_ADMIN})

RESPONSE_TRANSITIONS: dict[tuple[str, str], str] = {
    (ResponseState.SUMMONED, "check_in"): ResponseState.CHECKED_IN,
    (ResponseState.CHECKED_IN, "report"): ResponseState.REPORTED,
}
WHISTLE_TRANSITIONS: dict[tuple[str, str], str] = {
    (WhistleState.OPEN, "close"): WhistleState.CLOSED,
}

# The clocks of a summoned department, by urgency: (amount, unit) to check in, and to report back,
# counted from the whistle on the working-day calendar. An emergency counts natural time: a gas leak at
# night does not wait for office hours.
CLOCKS: dict[str, tuple[tuple[int, str], tuple[int, str]]] = {
    Urgency.NORMAL: ((4, "working_hours"), (3, "working_days")),
    Urgency.URGENT: ((2, "working_hours"), (1, "working_days")),
    Urgency.EMERGENCY: ((1, "natural_hours"), (4, "natural_hours")),
}
RATINGS = (1, 2, 3, 4, 5)
_OPEN_CASE_STATES = frozenset(CaseState.values) - {CaseState.CLOSED}


def response_dues(urgency: str, start: datetime, cal: calendar.WorkingCalendar | None = None
                  ) -> tuple[datetime, datetime]:
    """(check-in due, report-back due) for a department summoned at `start` at `urgency`."""
    cal = cal or calendar.WorkingCalendar()
    (ci_amount, ci_unit), (rb_amount, rb_unit) = CLOCKS.get(urgency, CLOCKS[Urgency.NORMAL])
    return cal.deadline_add(start, ci_amount, ci_unit), cal.deadline_add(start, rb_amount, rb_unit)


def _common_path(paths: Iterable[str], floor: str) -> str:
    """The deepest area path that is a prefix of every path, at whole tree steps, never above `floor`."""
    paths = list(paths)
    common = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(common), len(p)) and common[n] == p[n]:
            n += 1
        common = common[:n]
    common = common[: len(common) - len(common) % Area.steplen]
    return common if len(common) >= len(floor) else floor


def duty_staff(subdistrict: Area) -> list:
    """The subdistrict's staff on duty: every active subdistrict-staff grant covering the subdistrict."""
    prefixes = [subdistrict.path[:i] for i in range(Area.steplen, len(subdistrict.path) + 1, Area.steplen)]
    grants = (RoleGrant.objects.filter(role=Role.SUBDISTRICT_STAFF, area__path__in=prefixes, user__is_active=True)
              .select_related("user"))
    return [g.user for g in grants]


def whistle_url(whistle: Whistle) -> str:
    return reverse("cases:whistle", args=[whistle.pk])


def _append(whistle: Whistle, *, actor, transition: str, from_state: str, to_state: str,
            response: WhistleResponse | None = None, note: str = "", data: dict | None = None,
            at: datetime | None = None) -> WhistleEvent:
    return WhistleEvent.objects.create(whistle=whistle, response=response, at=at or timezone.now(),
                                       actor=actor if getattr(actor, "is_authenticated", False) else None,
                                       transition=transition, from_state=from_state, to_state=to_state,
                                       note=note, data=data or {})


def _open(*, actor, title: str, description: str, cases: Sequence[Case], lead: Unit, co: Sequence[Unit],
          urgency: str, emergency: bool, request=None) -> Whistle:
    """Write a whistle, its responses with their clocks and its first event, and notify the handlers."""
    now = timezone.now()
    subdistrict = cases[0].subdistrict
    whistle = Whistle.objects.create(
        title=title[:200], description=description, subdistrict=subdistrict,
        area_path=_common_path([c.area_path for c in cases], subdistrict.path), urgency=urgency,
        emergency=emergency, created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now)
    whistle.cases.set(cases)
    check_in_due, report_due = response_dues(urgency, now)
    co_units = {u.pk: u for u in co if u.pk != lead.pk}  # a unit is summoned once, whatever the form sent
    units = [(lead, ResponseRole.LEAD)] + [(u, ResponseRole.CO) for u in co_units.values()]
    WhistleResponse.objects.bulk_create([
        WhistleResponse(whistle=whistle, unit=u, role=role, check_in_due=check_in_due, report_due=report_due)
        for u, role in units])
    data = {"cases": [c.number for c in cases], "lead": lead.pk, "co": [u.pk for u, _r in units[1:]],
            "urgency": urgency, "emergency": emergency}
    _append(whistle, actor=actor, transition="whistle", from_state="", to_state=WhistleState.OPEN, note=description,
            data=data, at=now)
    audit_record(actor=actor, action="whistle.create", obj=whistle, request=request, changes=data)
    local_due = timezone.localtime(check_in_due, calendar.LOCAL)
    notify(users=department_handlers(u.pk for u, _r in units), kind="case.whistle",
           title=(_("Emergency: %(title)s") if emergency else _("Whistle: %(title)s")) % {"title": whistle.title},
           body=_("Check in by %(due)s.") % {"due": f"{local_due:%Y-%m-%d %H:%M}"}, url=whistle_url(whistle),
           area_path=whistle.area_path)  # and to the area's robots: the whole area sees who is summoned
    return whistle


def _may_whistle(scope: Scope, cases: Sequence[Case]) -> bool:
    return bool(scope.roles & WHISTLERS) and all(c.area_path and scope.covers_path(c.area_path) for c in cases)


@transaction.atomic
def whistle_create(*, actor, title: str, cases: Sequence[Case], lead: Unit, co: Sequence[Unit] = (),
                   description: str = "", urgency: str = Urgency.NORMAL, request=None) -> Whistle:
    """The subdistrict (or the district) whistles on one case or a problem spanning cases: `lead` heads the
    work, `co` help; each gets a notice and its own clocks."""
    scope = scope_for(actor)
    cases = list(dict.fromkeys(cases))
    if not scope.roles & WHISTLERS:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the whistle a title.")]
    if not cases:
        errors["cases"] = [_("Choose at least one case.")]
    elif not _may_whistle(scope, cases):
        raise PermissionDenied
    elif any(c.state not in _OPEN_CASE_STATES or not c.subdistrict_id for c in cases):
        errors["cases"] = [_("Closed cases and cases with no place cannot be whistled on: %(list)s") % {
            "list": "、".join(c.number for c in cases if c.state not in _OPEN_CASE_STATES or not c.subdistrict_id)}]
    elif len({c.subdistrict_id for c in cases}) != 1:
        errors["cases"] = [_("The cases of one whistle must lie in one subdistrict.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency.")]
    if lead is None:
        errors["lead"] = [_("Choose the lead department.")]
    if errors:
        raise ValidationError(errors)
    return _open(actor=actor, title=title, description=(description or "").strip(), cases=cases, lead=lead,
                 co=list(co), urgency=urgency, emergency=False, request=request)


def linked_units(case: Case) -> list[Unit]:
    """The units emergency linkage summons for a case: for each of the category's linked kinds, the units of
    that kind serving the case's place most closely (a unit serving the community before one serving the whole
    district; a unit serving nowhere yet serves its home area), so a gas leak summons the local police station
    and the gas company, not every district bureau. The dispatch catalogue's unit for the case comes first."""
    kinds = list(case.category.hazard_unit_kinds or [])
    if not kinds or not case.area_path:
        return []
    prefixes = [case.area_path[:i] for i in range(Area.steplen, len(case.area_path) + 1, Area.steplen)]
    serving = Q(areas_served__path__in=prefixes) | Q(areas_served__isnull=True, home_area__path__in=prefixes)
    candidates = (Unit.objects.filter(serving, kind__in=kinds)
                  .distinct().select_related("home_area").prefetch_related("areas_served").order_by("name"))
    closest: dict[str, tuple[int, list[Unit]]] = {}
    for unit in candidates:
        served = [a.path for a in unit.areas_served.all()] or [unit.home_area.path]
        depth = max(len(p) for p in served if case.area_path.startswith(p))
        best, units = closest.get(unit.kind, (-1, []))
        if depth > best:
            closest[unit.kind] = (depth, [unit])
        elif depth == best:
            units.append(unit)
    chosen = [u for kind in kinds for u in closest.get(kind, (0, []))[1]]
    suggested = case.suggested_unit
    if suggested is not None:
        chosen = [suggested] + [u for u in chosen if u.pk != suggested.pk]
    return chosen


def whistle_emergency(*, actor, case: Case, request=None) -> Whistle | None:
    """Emergency linkage, called by case_report inside its transaction for a major hazard category: whistle
    at once to the linked units serving the place, with the shortest clocks, and alert the subdistrict's
    duty staff. The reporter's intake is the decision; no whistling permission is asked of them. Returns
    None when the case has no place or no linked unit serves it (the duty staff are alerted all the same)."""
    if not case.category.is_major_hazard:
        return None
    units = linked_units(case) if case.subdistrict_id else []
    whistle = None
    if units:
        lead = units[0]
        whistle = _open(actor=actor, title=case.title, description=case.description, cases=[case], lead=lead,
                        co=[u for u in units if u.pk != lead.pk], urgency=Urgency.EMERGENCY, emergency=True,
                        request=request)
    if case.subdistrict_id:
        staff = duty_staff(case.subdistrict)
    else:
        # An unplaced hazard: the district administrators are the only ones who see it.
        staff = [g.user for g in RoleGrant.objects.filter(role=Role.DISTRICT_ADMIN, user__is_active=True)
                 .select_related("user")]
    url = whistle_url(whistle) if whistle else reverse("cases:case", args=[case.number])
    body = (_("%(n)d departments summoned.") % {"n": len(units)}) if units else _(
        "No linked department serves this place: summon them yourself.")
    notify(users=staff, kind="case.emergency", url=url, body=body, area_path=case.area_path,
           title=_("Major hazard reported: %(number)s %(title)s") % {"number": case.number, "title": case.title})
    return whistle


def _lock_response(response: WhistleResponse, expected_version: int, action: str) -> WhistleResponse:
    locked = WhistleResponse.objects.select_for_update().select_related("whistle", "unit").filter(
        pk=response.pk).first()
    if locked is None:
        raise ConflictError()
    if locked.version != expected_version or (locked.state, action) not in RESPONSE_TRANSITIONS:
        raise ConflictError(_("Someone else changed this response; reload it and try again."))
    if locked.whistle.state != WhistleState.OPEN:
        raise ConflictError(_("This whistle is closed."))
    return locked


def _handler_of(actor, response: WhistleResponse) -> bool:
    scope = scope_for(actor)
    return Role.DEPARTMENT_HANDLER in scope.roles and response.unit_id in scope.unit_ids


def _step(locked: WhistleResponse, *, actor, action: str, note: str, request, data: dict | None = None
          ) -> WhistleResponse:
    from_state = locked.state
    locked.state = RESPONSE_TRANSITIONS[(from_state, action)]
    locked.version += 1
    locked.save()
    _append(locked.whistle, actor=actor, response=locked, transition=action, from_state=from_state,
            to_state=locked.state, note=note, data=data)
    audit_record(actor=actor, action=f"whistle.{action}", obj=locked, request=request,
                 changes={"whistle": locked.whistle_id, "unit": locked.unit_id, "from": from_state,
                          "to": locked.state, **(data or {})})
    return locked


@transaction.atomic
def whistle_check_in(*, actor, response: WhistleResponse, expected_version: int, note: str = "",
                     request=None) -> WhistleResponse:
    """The summoned department shows up (报到)."""
    if not _handler_of(actor, response):
        raise PermissionDenied
    locked = _lock_response(response, expected_version, "check_in")
    locked.checked_in_at = timezone.now()
    return _step(locked, actor=actor, action="check_in", note=(note or "").strip(), request=request)


@transaction.atomic
def whistle_report(*, actor, response: WhistleResponse, expected_version: int, note: str,
                   photos: Sequence[UploadedFile] = (), request=None) -> WhistleResponse:
    """The department reports back what it did, with photos (kept with the whistle's first case)."""
    if not _handler_of(actor, response):
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Describe what was done.")]})
    locked = _lock_response(response, expected_version, "report")
    locked.reported_at = timezone.now()
    locked.report_note = note
    saved = []
    if photos:
        first = locked.whistle.cases.order_by("created_at", "id").first()
        try:
            saved = attachments_add(case=first, files=list(photos), actor=actor)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    return _step(locked, actor=actor, action="report", note=note, request=request,
                 data={"photos": [a.pk for a in saved]} if saved else None)


def _may_oversee(actor, whistle: Whistle) -> bool:
    scope = scope_for(actor)
    return bool(scope.roles & WHISTLERS) and scope.covers_path(whistle.area_path)


@transaction.atomic
def whistle_rate(*, actor, response: WhistleResponse, expected_version: int, rating: int, comment: str = "",
                 request=None) -> WhistleResponse:
    """The subdistrict rates a department's response (1 poor … 5 excellent), once it has reported back."""
    if not _may_oversee(actor, response.whistle):
        raise PermissionDenied
    if rating not in RATINGS:
        raise ValidationError({"rating": [_("Rate from 1 to 5.")]})
    locked = WhistleResponse.objects.select_for_update().select_related("whistle").filter(pk=response.pk).first()
    if locked is None or locked.version != expected_version:
        raise ConflictError(_("Someone else changed this response; reload it and try again."))
    if locked.state != ResponseState.REPORTED:
        raise ConflictError(_("A department is rated once it has reported back."))
    if locked.rating is not None:
        raise ConflictError(_("This response is already rated."))
    locked.rating = rating
    locked.rating_comment = (comment or "").strip()[:500]
    locked.rated_at = timezone.now()
    locked.version += 1
    locked.save()
    _append(locked.whistle, actor=actor, response=locked, transition="rate", from_state=locked.state,
            to_state=locked.state, note=locked.rating_comment, data={"rating": rating})
    audit_record(actor=actor, action="whistle.rate", obj=locked, request=request,
                 changes={"whistle": locked.whistle_id, "unit": locked.unit_id, "rating": rating})
    return locked


@transaction.atomic
def whistle_close(*, actor, whistle: Whistle, expected_version: int, note: str = "", request=None) -> Whistle:
    """The subdistrict closes the whistle once the lead department has reported back."""
    if not _may_oversee(actor, whistle):
        raise PermissionDenied
    locked = Whistle.objects.select_for_update().filter(pk=whistle.pk).first()
    if locked is None or locked.version != expected_version or (locked.state, "close") not in WHISTLE_TRANSITIONS:
        raise ConflictError(_("Someone else changed this whistle; reload it and try again."))
    if not locked.responses.filter(role=ResponseRole.LEAD, state=ResponseState.REPORTED).exists():
        raise ConflictError(_("The lead department has not reported back yet."))
    from_state = locked.state
    locked.state = WHISTLE_TRANSITIONS[(from_state, "close")]
    locked.closed_at = timezone.now()
    locked.version += 1
    locked.save()
    _append(locked, actor=actor, transition="close", from_state=from_state, to_state=locked.state,
            note=(note or "").strip())
    audit_record(actor=actor, action="whistle.close", obj=locked, request=request,
                 changes={"from": from_state, "to": locked.state})
    return locked
