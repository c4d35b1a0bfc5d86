"""JSON API of whistle and check-in (mounted at /api/v1/whistles): list, whistle, one whistle, each
department's check-in, report-back and rating, closing, and department statistics.

Out of scope or lacking permission: 404. A stale `expected_version` or a step the state does not allow: 409
with a message to reload. Bad input: 422 with one message per field. Photos are taken by the page (multipart),
not here.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile

from jiceng.accounts import roles
from jiceng.core.uploads import MAX_PHOTOS
from jiceng.party.api import PageQuery, field_error, page_of, require, unprocessable

from . import case_selectors as case_sel
from . import whistle_selectors as sel
from . import whistle_services as svc
from .case_services import ConflictError
from .models import Urgency
from .whistle_models import Whistle, WhistleResponse, WhistleState

router = Router(tags=["whistles"])


class ResponseOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    role: str
    state: str
    version: int
    check_in_due: datetime
    report_due: datetime
    checked_in_at: datetime | None
    reported_at: datetime | None
    report_note: str
    rating: int | None
    rating_comment: str
    check_in_overdue: bool = Field(..., description="Not checked in and past the check-in deadline")
    check_in_late: bool = Field(..., description="Checked in after the deadline")
    report_overdue: bool
    report_late: bool


class WhistleOut(Schema):
    id: int
    title: str
    description: str
    subdistrict_id: int
    urgency: str
    emergency: bool
    state: str
    version: int
    created_at: datetime
    closed_at: datetime | None
    cases: list[str]
    responses: list[ResponseOut]


class WhistlePage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[WhistleOut]


class WhistleQuery(PageQuery):
    state: WhistleState | None = None
    overdue: bool = Field(False, description="Open whistles with a department past its running deadline")
    unit_id: int | None = None
    emergency: bool = False


class WhistleIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    cases: list[str] = Field(..., min_length=1, max_length=200, description="Case numbers")
    lead_id: int
    co_ids: list[int] = []
    description: str = Field("", max_length=5000)
    urgency: Urgency = Urgency.NORMAL


class StepIn(Schema):
    expected_version: int = Field(..., ge=1)
    note: str = Field("", max_length=2000)
    rating: int | None = Field(None, ge=1, le=5)
    comment: str = Field("", max_length=500)


class ConflictOut(Schema):
    detail: str
    version: int


class StatsOut(Schema):
    unit_id: int
    unit_name: str
    received: int
    lead: int
    checked_in_on_time: int
    reported_on_time: int
    rated: int
    average_rating: float | None


def _response_out(r: WhistleResponse, now: datetime) -> dict:
    return {"id": r.pk, "unit_id": r.unit_id, "unit_name": r.unit.name, "role": r.role, "state": r.state,
            "version": r.version, "check_in_due": r.check_in_due, "report_due": r.report_due,
            "checked_in_at": r.checked_in_at, "reported_at": r.reported_at, "report_note": r.report_note,
            "rating": r.rating, "rating_comment": r.rating_comment, **sel.response_flags(r, now)}


def whistle_out(w: Whistle) -> dict:
    now = timezone.now()
    return {"id": w.pk, "title": w.title, "description": w.description, "subdistrict_id": w.subdistrict_id,
            "urgency": w.urgency, "emergency": w.emergency, "state": w.state, "version": w.version,
            "created_at": w.created_at, "closed_at": w.closed_at, "cases": [c.number for c in w.cases.all()],
            "responses": [_response_out(r, now) for r in w.responses.all()]}


@router.get("", response=WhistlePage, summary="The scoped whistles (a department's: those summoning it)")
def whistle_list(request, filters: Query[WhistleQuery]):
    require(request, roles.VIEW_ORG)
    qs = sel.whistle_list(request.auth, sel.WhistleFilters(state=filters.state or "", overdue=filters.overdue,
                                                           unit=filters.unit_id, emergency=filters.emergency))
    return page_of(qs, filters, whistle_out)


@router.post("", response={201: WhistleOut}, summary="Whistle departments on one or more cases")
def whistle_create(request, payload: WhistleIn):
    require(request, roles.VIEW_ORG)
    if not sel.may_whistle(request.auth):
        raise Http404
    found = {c.number: c for c in case_sel.case_inbox(request.auth).filter(number__in=payload.cases)}
    missing = [n for n in payload.cases if n not in found]
    if missing:
        raise field_error("cases", "No such case: " + ", ".join(missing))
    units = {u.pk: u for u in case_sel.dispatch_units(request.auth).filter(pk__in=[payload.lead_id, *payload.co_ids])}
    if payload.lead_id not in units:
        raise field_error("lead_id", "No such unit.")
    if any(i not in units for i in payload.co_ids):
        raise field_error("co_ids", "No such unit.")
    try:
        whistle = svc.whistle_create(actor=request.auth, title=payload.title, cases=[found[n] for n in payload.cases],
                                     lead=units[payload.lead_id], co=[units[i] for i in payload.co_ids],
                                     description=payload.description, urgency=payload.urgency, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"lead": "lead_id"}) from exc
    return 201, whistle_out(sel.whistle_get(request.auth, whistle.pk))


@router.get("/stats", response=list[StatsOut], summary="Per department: received, on time, average rating")
def whistle_stats(request, start: date, end: date):
    return sel.department_stats(request.auth, min(start, end), max(start, end))


@router.get("/{int:whistle_id}", response=WhistleOut, summary="One whistle with each department's clocks")
def whistle_detail(request, whistle_id: int):
    require(request, roles.VIEW_ORG)
    return whistle_out(sel.whistle_get(request.auth, whistle_id, request=request))


@router.post("/{int:whistle_id}/close", response={200: WhistleOut, 409: ConflictOut},
             summary="Close the whistle (after the lead department reported back)")
def whistle_close(request, whistle_id: int, payload: StepIn):
    require(request, roles.VIEW_ORG)
    whistle = sel.whistle_get(request.auth, whistle_id, request=request)
    try:
        svc.whistle_close(actor=request.auth, whistle=whistle, expected_version=payload.expected_version,
                          note=payload.note, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        current = Whistle.objects.filter(pk=whistle.pk).values_list("version", flat=True).first() or 0
        return 409, {"detail": str(exc), "version": current}
    return 200, whistle_out(sel.whistle_get(request.auth, whistle_id))


@router.post("/{int:whistle_id}/responses/{int:response_id}/{action}", response={200: WhistleOut, 409: ConflictOut},
             summary="A department checks in or reports back (check_in, report); the subdistrict rates (rate)")
def response_step(request, whistle_id: int, response_id: int, action: str, payload: StepIn):
    require(request, roles.VIEW_ORG)
    if action not in ("check_in", "report", "rate"):
        raise Http404
    response = sel.response_get(request.auth, whistle_id, response_id, request=request)

    def step() -> None:
        if action == "check_in":
            svc.whistle_check_in(actor=request.auth, response=response, expected_version=payload.expected_version,
                                 note=payload.note, request=request)
        elif action == "report":
            svc.whistle_report(actor=request.auth, response=response, expected_version=payload.expected_version,
                               note=payload.note, request=request)
        else:
            if payload.rating is None:
                raise field_error("rating", "Rate from 1 to 5.")
            svc.whistle_rate(actor=request.auth, response=response, expected_version=payload.expected_version,
                             rating=payload.rating, comment=payload.comment, request=request)

    return _step(request, whistle_id, response, step)


def _step(request, whistle_id: int, response: WhistleResponse, step, *, with_photos: bool = False) -> tuple[int, dict]:
    """Run one department step for the API: out of scope is 404, a lost race 409 with the current version,
    the service's field errors 422 (photo errors under `photos`); otherwise the whistle as it is now."""
    from .case_api import photo_errors

    try:
        step()
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        current = WhistleResponse.objects.filter(pk=response.pk).values_list("version", flat=True).first() or 0
        return 409, {"detail": str(exc), "version": current}
    except DjangoValidationError as exc:
        raise unprocessable(photo_errors(exc) if with_photos else exc) from exc
    return 200, whistle_out(sel.whistle_get(request.auth, whistle_id))



@router.post("/{int:whistle_id}/responses/{int:response_id}/report/photos",
             response={200: WhistleOut, 409: ConflictOut},
             summary="A department reports back with photos (multipart/form-data)",
             description=f"The report action with up to {MAX_PHOTOS} photos (JPEG, PNG or WebP, checked by content "
                         "and size as on the whistle page), kept with the whistle's first case.")
def response_report_with_photos(request, whistle_id: int, response_id: int, expected_version: Form[int] = 0,
                                note: Form[str] = "", photos: File[list[UploadedFile]] = None):
    require(request, roles.VIEW_ORG)
    response = sel.response_get(request.auth, whistle_id, response_id, request=request)
    return _step(request, whistle_id, response, lambda: svc.whistle_report(
        actor=request.auth, response=response, expected_version=expected_version, note=note,
        photos=list(photos or [])[: MAX_PHOTOS + 1], request=request), with_photos=True)
