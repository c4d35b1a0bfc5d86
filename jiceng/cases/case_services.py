"""Writes on cases: intake with routing, and one service per transition of the state machine.

Every transition runs in one transaction, locks the case row (select_for_update), checks the expected
version and the transition map, checks the actor's role and scope, then appends a CaseEvent and an
audit event. Two people acting on the same case at once: the first wins, the second gets ConflictError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_for
from jiceng.areas import geo
from jiceng.areas.models import Area
from jiceng.people.services import area_chain, personal_fields
from jiceng.units.models import Unit

from . import calendar, case_notices, workflow
from .attachments import attachments_add
from .case_models import Case, CaseChannel, CaseCounter, CaseEvent, CaseState, DispatchCatalogue
from .models import Category, Urgency
from .selectors import _ancestors_and_self, _pick


class ConflictError(Exception):
    """The case changed since the user loaded it, or the action is not allowed in its current state."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Someone else changed this case; reload it and try again."))


# --- deadlines and routing ------------------------------------------------------------------------


def stage_due(category: Category, stage: str, urgency: str, start: datetime) -> datetime | None:
    """When `stage` ends if it starts at `start`: the category's limits (else its major class's),
    steps of a staged limit one after another, on the working-day calendar. None without a limit."""
    return stage_dues(category, (stage,), urgency, start)[stage]


def stage_dues(category: Category, stages: tuple[str, ...], urgency: str, start: datetime
               ) -> dict[str, datetime | None]:
    """stage_due for several stages starting together (intake's register and dispatch limits): the
    category's limits and the calendar's overrides are read once for all of them."""
    chain = _ancestors_and_self(category)
    cal = calendar.WorkingCalendar()
    dues: dict[str, datetime | None] = {}
    for stage in stages:
        rows, _owner = _pick(chain, stage, urgency)
        due = start if rows else None
        for row in rows:
            due = cal.deadline_add(due, row.amount, row.unit)
        dues[stage] = due
    return dues


def handle_due(case: Case, start: datetime) -> datetime | None:
    """The handle deadline of a case sent to a unit at `start`. A 12345 hotline work order that carries
    the city platform's own deadline keeps it, earlier or later than the category's: the city assesses
    the district on its deadline (办结时限), so the inbox's overdue and near-due, the reminders and the
    on-time rate must count against the same one. A rework or a second dispatch does not give the
    resident's call more time, so the city's deadline stands then too. Otherwise: the category's limit."""
    if case.channel == CaseChannel.HOTLINE_12345:
        from .hotline_models import HotlineTicket

        city = HotlineTicket.objects.filter(case_id=case.pk).values_list("due_at", flat=True).first()
        if city is not None:
            return city
    return stage_due(case.category, "handle", case.urgency, start)


def catalogue_unit(category: Category, area_path: str) -> Unit | None:
    """The unit the dispatch catalogue names for this category at this place: the entry on the
    deepest area containing the place wins; among those, the most specific category."""
    if not area_path:
        return None
    steplen = Area.steplen
    prefixes = [area_path[:i] for i in range(steplen, len(area_path) + 1, steplen)]
    cat_paths = [category.path[:i] for i in range(Category.steplen, len(category.path) + 1, Category.steplen)]
    entries = (DispatchCatalogue.objects.filter(area__path__in=prefixes, category__path__in=cat_paths)
               .select_related("unit").order_by("-area__depth", "-category__depth"))
    first = entries.first()
    return first.unit if first else None


@dataclass(frozen=True)
class Route:
    chain: dict
    building: Area | None
    unit: Unit | None
    reason: str


def route(*, category: Category, lat: float | None, lng: float | None, crs: str, building: Area | None) -> Route:
    """Place a report: a building gives its grid and chain through its ancestry, a point its grid
    through the grid polygons. Then the catalogue gives the unit. `reason` says why not, if not: kept
    in the English source and translated where shown, so every reader sees it in their language."""
    place: Area | None = None
    if building is not None:
        place = building
    elif lat is not None and lng is not None:
        place = geo.grid_for_point(lat, lng, crs)
        if place is None:
            return Route(area_chain(None), None, None, gettext_noop("The place is outside every grid."))
    else:
        return Route(area_chain(None), None, None, gettext_noop("No place was given."))
    chain = area_chain(place)
    if chain["grid_id"] is None:
        return Route(chain, building, None, gettext_noop("The place is not inside a grid."))
    unit = catalogue_unit(category, chain["area_path"])
    reason = "" if unit else gettext_noop("The dispatch catalogue names no unit for this category here.")
    return Route(chain, building, unit, reason)


def _next_number(now: datetime) -> str:
    day = timezone.localtime(now, calendar.LOCAL).date()
    # The UPDATE counts and holds the day's row locked until the intake commits, so the SELECT after it
    # reads this intake's own number: two statements a report (the day's first report creates the row).
    if not CaseCounter.objects.filter(day=day).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                CaseCounter.objects.create(day=day, last=1)
        except IntegrityError:  # another intake created the day's row first
            CaseCounter.objects.filter(day=day).update(last=F("last") + 1)
    last = CaseCounter.objects.filter(day=day).values_list("last", flat=True).get()
    return f"GL{day:%Y%m%d}{last:05d}"


# --- intake ---------------------------------------------------------------------------------------


def _append(case: Case, *, actor, transition: str, from_state: str, note: str = "", data: dict | None = None,
            at: datetime | None = None, first: bool = False) -> CaseEvent:
    """Append the case's next event; `first`: a new case's first event (no need to look up the last)."""
    last = 0 if first else case.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    return CaseEvent.objects.create(case=case, seq=last + 1, at=at or timezone.now(), actor=actor,
                                    transition=transition, from_state=from_state, to_state=case.state,
                                    note=note, data=data or {})


@sensitive_variables("reporter_phone")
def case_report(
    *,
    actor,
    channel: str,
    category: Category,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    crs: str = geo.WGS84,
    building: Area | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    source_ref: str = "",
    urgency: str = Urgency.NORMAL,
    title: str = "",
    address: str = "",
    suggested_category: Category | None = None,
    request=None,
) -> Case:
    """Register a report from staff, a grid worker or an integration. Routed cases are registered
    (with the catalogue's unit as suggestion); unroutable ones go to triage with the reason.

    `suggested_category` is the category the reporter's form suggested from the text
    (category_suggest): the report event keeps it and whether the reporter kept it, so how often the
    suggestion was right can be counted (category_suggest.suggestion_outcomes).

    A resident has no account: `actor=None` is taken for the resident channel only (the caller,
    resident_services.resident_report, applies the rate limits), and a resident's place may be a
    compound as well as a building (the compound's QR poster)."""
    scope = scope_for(actor) if actor is not None else None
    if scope is None and channel != CaseChannel.RESIDENT_APP:
        raise PermissionDenied
    if scope is not None and not (scope.roles & workflow.REPORTERS):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Describe the problem.")]
    if channel not in CaseChannel.values:
        errors["channel"] = [_("Unknown channel.")]
    if not category.active:
        errors["category"] = [_("This category is no longer in use.")]
    if urgency not in Urgency.values or (category.urgency_levels and urgency not in category.urgency_levels):
        errors["urgency"] = [_("This category does not take that urgency.")]
    if crs not in geo.CRS_CHOICES:
        errors["crs"] = [_("Unknown coordinate system.")]
    if (lat is None) != (lng is None):
        errors["lat"] = [_("Give both latitude and longitude, or neither.")]
    elif lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        errors["lat"] = [_("The coordinates are out of range.")]
    if building is not None and building.kind != "building" and not (scope is None and building.kind == "compound"):
        errors["building"] = [_("Choose a building.")]
    if building is None and lat is None and channel in (CaseChannel.PATROL, CaseChannel.STAFF):
        errors["lat"] = [_("Give the place: a location or a building.")]
    try:
        personal = personal_fields(phone=reporter_phone or None, id_number=None)
    except ValidationError as exc:
        errors["reporter_phone"] = exc.message_dict.get("phone", exc.messages)
        personal = {}
    if errors:
        raise ValidationError(errors)
    routed = route(category=category, lat=lat, lng=lng, crs=crs, building=building)
    if scope is not None and routed.chain["area_path"] and not scope.covers_path(routed.chain["area_path"]):
        raise ValidationError({"lat": [_("This place is outside your area.")]})
    if building is None and lat is not None:
        lat, lng = geo.to_wgs84(lat, lng, crs)
    now = timezone.now()
    state = CaseState.REGISTERED if routed.unit else CaseState.TRIAGE
    dues = stage_dues(category, ("register", "dispatch"), urgency, now)
    with transaction.atomic():
        case = Case.objects.create(
            number=_next_number(now),
            channel=channel,
            source_ref=source_ref.strip()[:64],
            category=category,
            urgency=urgency,
            title=(title.strip() or description.splitlines()[0])[:200],
            description=description,
            lat=lat,
            lng=lng,
            address=address.strip()[:200],
            building=building,
            reporter_name=reporter_name.strip()[:50],
            **{f"reporter_{k}": v for k, v in personal.items() if k.startswith("phone_")},
            suggested_unit=routed.unit,
            state=state,
            triage_reason=routed.reason if state == CaseState.TRIAGE else "",
            created_by=actor,
            created_at=now,
            register_due=dues["register"],
            dispatch_due=dues["dispatch"],
            **routed.chain,
        )
        _append(case, actor=actor, transition="report", from_state="", at=now, first=True,
                data={"channel": channel, "suggested_unit": routed.unit.pk if routed.unit else None,
                      "triage_reason": case.triage_reason,
                      **({"suggested_category": suggested_category.code,
                          "suggestion_kept": suggested_category.pk == category.pk} if suggested_category else {})})
        audit_record(actor=actor, action="case.report", obj=case, request=request,
                     changes={"number": case.number, "state": state, "channel": channel,
                              "reporter_phone": case.reporter_phone_masked})
        if category.is_major_hazard:
            # Emergency linkage (a major hazard whistles at once); imported here, as it imports this module.
            from .whistle_services import whistle_emergency

            whistle_emergency(actor=actor, case=case, request=request)
    return case


# --- transitions ----------------------------------------------------------------------------------


def _transition(*, actor, case: Case, action: str, expected_version: int, note: str = "", request=None,
                changes=None, by_resident: bool = False) -> tuple[Case, str]:
    """Lock, check version, map and permission; returns the locked case and its current state. The
    caller sets fields, then calls _commit. `by_resident`: the resident's private link is the
    permission (checked by resident_services), for the actions in workflow.RESIDENT_ACTIONS."""
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        raise ConflictError()
    if by_resident:
        if action not in workflow.RESIDENT_ACTIONS:
            raise PermissionDenied
    elif not workflow.may_act(scope_for(actor), locked, action):
        raise PermissionDenied
    if locked.merged_into_id:  # a merged duplicate follows its target and takes no action of its own
        raise ConflictError(_("This case was merged into another; act on that one."))
    if locked.version != expected_version or workflow.next_state(locked.state, action) is None:
        raise ConflictError()
    last = locked.events.order_by("-seq").values_list("to_state", flat=True).first()
    if last != locked.state:
        # The log and the row disagree: refuse rather than build on a corrupted history.
        raise ConflictError(_("This case's history does not match its state; ask an administrator."))
    if action in workflow.NOTE_REQUIRED and not note.strip():
        raise ValidationError({"note": [_("Say why.")] if action != "handle" else [_("Describe what was done.")]})
    return locked, locked.state


def _commit(case: Case, *, actor, action: str, from_state: str, note: str, request, data: dict | None = None) -> Case:
    case.state = workflow.next_state(from_state, action)
    case.version += 1
    case.save()
    _append(case, actor=actor, transition=action, from_state=from_state, note=note.strip(), data=data)
    audit_record(actor=actor, action=f"case.{action}", obj=case, request=request,
                 changes={"number": case.number, "from": from_state, "to": case.state, **(data or {})})
    return case


@transaction.atomic
def case_dispatch(*, actor, case: Case, unit: Unit | None, expected_version: int, note: str = "",
                  request=None) -> Case:
    """Send the case to a unit; with no unit, to its grid's own workers."""
    locked, state = _transition(actor=actor, case=case, action="dispatch", expected_version=expected_version,
                                note=note)
    if unit is None and locked.grid_id is None:
        raise ValidationError({"unit_id": [_("This case has no grid: choose a unit.")]})
    now = timezone.now()
    locked.unit = unit
    locked.triage_reason = ""
    locked.handle_due = handle_due(locked, now)
    locked.verify_due = None
    locked = _commit(locked, actor=actor, action="dispatch", from_state=state, note=note, request=request,
                     data={"unit": unit.pk if unit else None})
    case_notices.dispatched(locked)
    return locked


@transaction.atomic
def case_route(*, actor, case: Case, area: Area, expected_version: int, note: str = "", request=None) -> Case:
    """Place a triage case in an area (a grid or below); it becomes registered for dispatch."""
    locked, state = _transition(actor=actor, case=case, action="route", expected_version=expected_version,
                                note=note)
    chain = area_chain(area)
    if chain["grid_id"] is None:
        raise ValidationError({"area_id": [_("Choose a grid or a place inside one.")]})
    if not scope_for(actor).covers_path(chain["area_path"]):
        raise ValidationError({"area_id": [_("This place is outside your area.")]})
    for k, v in chain.items():
        setattr(locked, k, v)
    locked.suggested_unit = catalogue_unit(locked.category, chain["area_path"])
    locked.triage_reason = ""
    return _commit(locked, actor=actor, action="route", from_state=state, note=note, request=request,
                   data={"area": area.pk})


def _simple(action: str):
    @transaction.atomic
    def service(*, actor, case: Case, expected_version: int, note: str = "", request=None) -> Case:
        locked, state = _transition(actor=actor, case=case, action=action, expected_version=expected_version,
                                    note=note)
        return _commit(locked, actor=actor, action=action, from_state=state, note=note, request=request)

    service.__name__ = f"case_{action}"
    return service


case_accept = _simple("accept")


@transaction.atomic
def case_return(*, actor, case: Case, expected_version: int, reason: str = "", note: str = "",
                request=None) -> Case:
    """The unit sends the case back (wrong unit, not its duty); it waits for dispatch again."""
    reason = reason or note
    locked, state = _transition(actor=actor, case=case, action="return", expected_version=expected_version,
                                note=reason)
    returned_by = locked.unit_id
    locked.unit = None
    locked.handle_due = None
    locked.dispatch_due = stage_due(locked.category, "dispatch", locked.urgency, timezone.now())
    locked = _commit(locked, actor=actor, action="return", from_state=state, note=reason, request=request,
                     data={"unit": returned_by})
    case_notices.returned(locked, reason=reason)
    return locked


@transaction.atomic
def case_handle(*, actor, case: Case, expected_version: int, note: str = "", photos: list[UploadedFile] | None = None,
                request=None) -> Case:
    """The assignee reports the work done, with photos of the result if taken (the "after" photos the
    verifier checks and the resident sees): stored with the handle event, or the report fails whole."""
    locked, state = _transition(actor=actor, case=case, action="handle", expected_version=expected_version,
                                note=note)
    locked.verify_due = stage_due(locked.category, "verify", locked.urgency, timezone.now())
    photos = list(photos or [])
    locked = _commit(locked, actor=actor, action="handle", from_state=state, note=note, request=request,
                     data={"photos": len(photos)} if photos else None)
    if photos:
        attachments_add(case=locked, files=photos, actor=actor, event=locked.events.order_by("-seq").first())
    case_notices.handled(locked)
    return locked


def handler_ids(case: Case) -> set[int]:
    """Everyone who reported the work done on this case."""
    return set(case.events.filter(transition="handle").values_list("actor_id", flat=True))


@transaction.atomic
def case_verify(*, actor, case: Case, expected_version: int, note: str = "", request=None) -> Case:
    """Someone other than the handler confirms the work was done."""
    locked, state = _transition(actor=actor, case=case, action="verify", expected_version=expected_version,
                                note=note)
    if actor.pk in handler_ids(locked):
        raise ValidationError({"__all__": [_("The handler cannot verify their own work.")]})
    return _commit(locked, actor=actor, action="verify", from_state=state, note=note, request=request)


@transaction.atomic
def case_rework(*, actor, case: Case, expected_version: int, note: str = "", request=None) -> Case:
    """The verifier (not the handler) finds the work not done: back to the unit, with a fresh handle clock."""
    locked, state = _transition(actor=actor, case=case, action="rework", expected_version=expected_version,
                                note=note)
    if actor.pk in handler_ids(locked):
        raise ValidationError({"__all__": [_("The handler cannot send their own work back for rework.")]})
    locked.handle_due = handle_due(locked, timezone.now())
    locked.verify_due = None
    return _commit(locked, actor=actor, action="rework", from_state=state, note=note, request=request)


@transaction.atomic
def case_close(*, actor, case: Case, expected_version: int, note: str = "", request=None) -> Case:
    locked, state = _transition(actor=actor, case=case, action="close", expected_version=expected_version,
                                note=note)
    locked.closed_at = timezone.now()
    return _commit(locked, actor=actor, action="close", from_state=state, note=note, request=request)


@transaction.atomic
def case_suspend(*, actor, case: Case, expected_version: int, note: str = "", request=None) -> Case:
    """Defer the case with the subdistrict's or district's approval; its clock stops."""
    locked, state = _transition(actor=actor, case=case, action="suspend", expected_version=expected_version,
                                note=note)
    locked.suspended_at = timezone.now()
    return _commit(locked, actor=actor, action="suspend", from_state=state, note=note, request=request)


@transaction.atomic
def case_resume(*, actor, case: Case, expected_version: int, note: str = "", request=None) -> Case:
    """Resume a suspended case: the handle deadline moves by the time spent suspended."""
    locked, state = _transition(actor=actor, case=case, action="resume", expected_version=expected_version,
                                note=note)
    now = timezone.now()
    paused = now - locked.suspended_at if locked.suspended_at else timedelta(0)
    if locked.handle_due is not None:
        locked.handle_due += paused
    locked.suspended_at = None
    return _commit(locked, actor=actor, action="resume", from_state=state, note=note, request=request,
                   data={"paused_seconds": int(paused.total_seconds())})


@transaction.atomic
def case_reopen(*, actor, case: Case, expected_version: int, note: str = "", request=None,
                by_resident: bool = False) -> Case:
    """Reopen a closed case (an unsatisfied rating) within the policy window; it waits for dispatch.
    Staff reopen by role and scope; a resident (actor None) through the private link's rating."""
    locked, state = _transition(actor=actor, case=case, action="reopen", expected_version=expected_version,
                                note=note, by_resident=by_resident)
    now = timezone.now()
    if locked.closed_at and now - locked.closed_at > timedelta(days=workflow.REOPEN_WINDOW_DAYS):
        raise ConflictError(_("This case was closed more than %(days)d days ago and cannot be reopened.")
                            % {"days": workflow.REOPEN_WINDOW_DAYS})
    locked.closed_at = None
    locked.unit = None
    locked.handle_due = locked.verify_due = None
    locked.dispatch_due = stage_due(locked.category, "dispatch", locked.urgency, now)
    return _commit(locked, actor=actor, action="reopen", from_state=state, note=note, request=request)


SERVICES = {
    "accept": case_accept,
    "return": case_return,
    "handle": case_handle,
    "verify": case_verify,
    "rework": case_rework,
    "close": case_close,
    "suspend": case_suspend,
    "resume": case_resume,
    "reopen": case_reopen,
}


def case_act(*, actor, case: Case, action: str, expected_version: int, note: str = "", unit: Unit | None = None,
             area: Area | None = None, photos: list[UploadedFile] | None = None, request=None) -> Case:
    """One entry point for pages and the API: the action's own service. Photos go with the handling
    report only (the other steps take none)."""
    if photos and action != "handle":
        raise ValidationError({"photos": [_("Photos go with the report that the work is done.")]})
    if action == "handle":
        return case_handle(actor=actor, case=case, expected_version=expected_version, note=note, photos=photos,
                           request=request)
    if action == "dispatch":
        return case_dispatch(actor=actor, case=case, unit=unit, expected_version=expected_version, note=note,
                             request=request)
    if action == "route":
        if area is None:
            raise ValidationError({"area_id": [_("Choose a grid or a place inside one.")]})
        return case_route(actor=actor, case=case, area=area, expected_version=expected_version, note=note,
                          request=request)
    service = SERVICES.get(action)
    if service is None:
        raise ValidationError({"action": [_("Unknown action.")]})
    return service(actor=actor, case=case, expected_version=expected_version, note=note, request=request)


@transaction.atomic
def catalogue_set(*, actor, category: Category, area: Area, unit: Unit, request=None) -> DispatchCatalogue:
    """Name the unit for a category in an area's subtree (district administrators)."""
    if Role.DISTRICT_ADMIN not in scope_for(actor).roles or not scope_for(actor).covers_path(area.path):
        raise PermissionDenied
    entry, created = DispatchCatalogue.objects.update_or_create(category=category, area=area,
                                                                defaults={"unit": unit})
    audit_record(actor=actor, action="catalogue.set", obj=entry, request=request,
                 changes={"category": category.code, "area": area.code, "unit": unit.pk})
    return entry


@transaction.atomic
def catalogue_delete(*, actor, entry: DispatchCatalogue, request=None) -> None:
    if Role.DISTRICT_ADMIN not in scope_for(actor).roles:
        raise PermissionDenied
    audit_record(actor=actor, action="catalogue.delete", obj=entry, request=request,
                 changes={"category": entry.category_id, "area": entry.area_id})
    entry.delete()
