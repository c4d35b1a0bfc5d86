"""JSON API of cases (mounted with the taxonomy at /api/v1/cases): report, inbox, one case, actions,
and the dispatch catalogue.

Out of scope or lacking permission: 404. A stale `expected_version` or an action the case's state does
not allow: 409 with a message to reload. Bad input: 422 with one message per field.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from ninja import Field, File, Form, Query, Schema, UploadedFile

from jiceng.accounts import roles
from jiceng.areas.models import Area
from jiceng.core.uploads import MAX_PHOTOS
from jiceng.party.api import PageQuery, field_error, page_of, require, unprocessable
from jiceng.units.models import Unit

from . import case_selectors as sel
from . import case_services as svc
from .api import router
from .case_models import Case, CaseChannel, CaseState
from .models import Category, Urgency
from .workflow import ACTIONS


class ReportIn(Schema):
    channel: CaseChannel = CaseChannel.STAFF
    category_id: int
    description: str = Field(..., min_length=1, max_length=5000)
    title: str = Field("", max_length=200)
    urgency: Urgency = Urgency.NORMAL
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02)$")
    building_id: int | None = None
    address: str = Field("", max_length=200)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=20)
    source_ref: str = Field("", max_length=64)
    suggested_category_id: int | None = Field(
        None, description="The first of /category-suggestions for the description, as shown to the reporter: "
                          "the case keeps it and whether the reporter kept it")


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    transition: str
    from_state: str
    to_state: str
    note: str


class CaseOut(Schema):
    number: str
    channel: str
    source_ref: str
    category_id: int
    category_code: str
    urgency: str
    title: str
    state: str
    version: int
    lat: float | None
    lng: float | None
    address: str
    area_path: str
    community_id: int | None
    grid_id: int | None
    unit_id: int | None
    suggested_unit_id: int | None
    triage_reason: str
    reporter_phone: str = Field(..., description="Masked")
    created_at: datetime
    current_due: datetime | None
    overdue: bool


class CaseDetailOut(CaseOut):
    description: str
    register_due: datetime | None
    dispatch_due: datetime | None
    handle_due: datetime | None
    verify_due: datetime | None
    closed_at: datetime | None
    actions: list[str]
    events: list[EventOut]
    suggested_category: str | None = Field(None, description="Code of the category suggested at the report")
    suggestion_kept: bool | None = None


class CasePage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[CaseOut]


class InboxQuery(PageQuery):
    state: CaseState | None = None
    category_id: int | None = None
    channel: CaseChannel | None = None
    community_id: int | None = None
    overdue: bool = False
    near_due: bool = False
    mine: bool = Field(False, description="Only the tasks the user's unit or grid must work on now")
    q: str = ""


class ActionIn(Schema):
    expected_version: int = Field(..., ge=1)
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=2000)
    unit_id: int | None = None
    area_id: int | None = None


class ConflictOut(Schema):
    detail: str
    version: int


class CatalogueIn(Schema):
    category_id: int
    area_id: int
    unit_id: int


class CatalogueOut(Schema):
    id: int
    category_id: int
    category_code: str
    area_id: int
    area_name: str
    unit_id: int
    unit_name: str


def case_out(c: Case) -> dict:
    return {
        "number": c.number, "channel": c.channel, "source_ref": c.source_ref, "category_id": c.category_id,
        "category_code": c.category.code, "urgency": c.urgency, "title": c.title, "state": c.state,
        "version": c.version, "lat": c.lat, "lng": c.lng, "address": c.address, "area_path": c.area_path,
        "community_id": c.community_id, "grid_id": c.grid_id, "unit_id": c.unit_id,
        "suggested_unit_id": c.suggested_unit_id, "triage_reason": gettext(c.triage_reason) if c.triage_reason else "",
        "reporter_phone": c.reporter_phone_masked, "created_at": c.created_at,
        "current_due": getattr(c, "current_due", None), "overdue": bool(getattr(c, "overdue", False)),
    }


def _detail(user, number: str, request) -> dict:
    info = sel.case_detail(user, number, request=request)
    c = info.case
    report = info.events[0].data if info.events else {}
    return {**case_out(c), "description": c.description, "register_due": c.register_due,
            "dispatch_due": c.dispatch_due, "handle_due": c.handle_due, "verify_due": c.verify_due,
            "closed_at": c.closed_at, "actions": info.actions,
            "suggested_category": report.get("suggested_category"), "suggestion_kept": report.get("suggestion_kept"),
            "events": [{"seq": e.seq, "at": e.at, "actor": e.actor.username if e.actor else "",
                        "transition": e.transition, "from_state": e.from_state, "to_state": e.to_state,
                        "note": e.note} for e in info.events]}


def _detail_or_gone(request, case: Case) -> dict:
    """The case after a write; when the write took it out of the user's view (reported into triage,
    returned by the department), what was written without the timeline."""
    if Case.objects.filter(sel.case_scope_q(request.auth), pk=case.pk).exists():
        return _detail(request.auth, case.number, request)
    c = sel.with_due(Case.objects.filter(pk=case.pk)).select_related("category").get()
    return {**case_out(c), "description": c.description, "register_due": c.register_due,
            "dispatch_due": c.dispatch_due, "handle_due": c.handle_due, "verify_due": c.verify_due,
            "closed_at": c.closed_at, "actions": [], "events": []}


@router.post("/reports", response={201: CaseDetailOut}, summary="Report a case (staff, grid worker, integration)")
def case_report(request, payload: ReportIn):
    category = Category.objects.filter(pk=payload.category_id).first()
    if category is None:
        raise field_error("category_id", "No such category.")
    building = None
    if payload.building_id is not None:
        building = Area.objects.filter(pk=payload.building_id, kind="building").first()
        if building is None:
            raise field_error("building_id", "No such building.")
    suggested = None
    if payload.suggested_category_id is not None:
        suggested = Category.objects.filter(pk=payload.suggested_category_id, active=True).first()
        if suggested is None:
            raise field_error("suggested_category_id", "No such category.")
    try:
        case = svc.case_report(
            actor=request.auth, channel=payload.channel, category=category, description=payload.description,
            title=payload.title, urgency=payload.urgency, lat=payload.lat, lng=payload.lng, crs=payload.crs,
            building=building, address=payload.address, reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone, source_ref=payload.source_ref, suggested_category=suggested,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"building": "building_id", "category": "category_id"}) from exc
    return 201, _detail_or_gone(request, case)


@router.get("/items", response=CasePage, summary="The scoped case inbox")
def case_inbox(request, filters: Query[InboxQuery]):
    require(request, roles.VIEW_ORG)
    qs = sel.case_inbox(request.auth, sel.InboxFilters(
        state=filters.state or "", category=filters.category_id, channel=filters.channel or "",
        community=filters.community_id, overdue=filters.overdue, near_due=filters.near_due, q=filters.q.strip(),
        mine=filters.mine))
    return page_of(qs, filters, case_out)


@router.get("/items/{number}", response=CaseDetailOut, summary="One case with its timeline")
def case_detail(request, number: str):
    return _detail(request.auth, number, request)


@router.post("/items/{number}/{action}", response={200: CaseDetailOut, 409: ConflictOut},
             summary="Take an action on a case: " + ", ".join(ACTIONS))
def case_action(request, number: str, action: str, payload: ActionIn):
    if action not in ACTIONS:
        raise Http404
    case = sel.case_get(request.auth, number, request=request)
    unit = area = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
        if unit is None:
            raise field_error("unit_id", "No such unit.")
    if payload.area_id is not None:
        area = Area.objects.filter(pk=payload.area_id).first()
        if area is None:
            raise field_error("area_id", "No such area.")
    return _act(request, case, {"note": "reason" if action == "return" else "note"}, action=action,
                expected_version=payload.expected_version, note=payload.reason or payload.note, unit=unit, area=area)


def photo_errors(exc: DjangoValidationError) -> DjangoValidationError:
    """attachments_add names the bad files without a field: they are the `photos` field's errors."""
    return exc if hasattr(exc, "error_dict") else DjangoValidationError({"photos": exc.messages})


def _act(request, case: Case, names: dict[str, str] | None = None, **action):
    """Run one transition for the API: out of scope is 404, a lost race 409 with the current version, the
    service's field errors 422 (photo errors under `photos`); otherwise the case as it is now."""
    try:
        svc.case_act(actor=request.auth, case=case, request=request, **action)
    except PermissionDenied as exc:
        raise Http404 from exc
    except svc.ConflictError as exc:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first() or 0
        return 409, {"detail": str(exc), "version": current}
    except DjangoValidationError as exc:
        raise unprocessable(photo_errors(exc) if "photos" in action else exc, names) from exc
    return 200, _detail_or_gone(request, case)


@router.post("/items/{number}/handle/photos", response={200: CaseDetailOut, 409: ConflictOut},
             summary="Report the work done with photos of the result (multipart/form-data)",
             description=f"The handle action with up to {MAX_PHOTOS} photos (JPEG, PNG or WebP, checked by content "
                         "and size as on the case page); a bad photo fails the whole report (422 on `photos`).")
def case_handle_with_photos(request, number: str, expected_version: Form[int] = 0, note: Form[str] = "",
                            photos: File[list[UploadedFile]] = None):
    case = sel.case_get(request.auth, number, request=request)
    return _act(request, case, action="handle", expected_version=expected_version, note=note[:2000],
                photos=list(photos or [])[: MAX_PHOTOS + 1])


def _catalogue_out(e) -> dict:
    return {"id": e.pk, "category_id": e.category_id, "category_code": e.category.code, "area_id": e.area_id,
            "area_name": e.area.name, "unit_id": e.unit_id, "unit_name": e.unit.name}


@router.get("/catalogue", response=list[CatalogueOut], summary="The dispatch catalogue in scope")
def catalogue_list(request):
    return [_catalogue_out(e) for e in sel.catalogue_list(request.auth)]


@router.post("/catalogue", response={201: CatalogueOut}, summary="Name the unit for a category in an area")
def catalogue_set(request, payload: CatalogueIn):
    if not sel.can_edit_catalogue(request.auth):
        raise Http404
    category = Category.objects.filter(pk=payload.category_id).first()
    area = Area.objects.filter(pk=payload.area_id).first()
    unit = Unit.objects.filter(pk=payload.unit_id).first()
    for name, obj in (("category_id", category), ("area_id", area), ("unit_id", unit)):
        if obj is None:
            raise field_error(name, "Not found.")
    try:
        entry = svc.catalogue_set(actor=request.auth, category=category, area=area, unit=unit, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    entry = sel.catalogue_list(request.auth).get(pk=entry.pk)
    return 201, _catalogue_out(entry)


@router.delete("/catalogue/{entry_id}", response={204: None}, summary="Remove a catalogue entry")
def catalogue_delete(request, entry_id: int):
    if not sel.can_edit_catalogue(request.auth):
        raise Http404
    entry = sel.catalogue_list(request.auth).filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    svc.catalogue_delete(actor=request.auth, entry=entry, request=request)
    return 204, None
