"""JSON API of duplicate suggestions and merges (mounted at /api/v1/cases).

Out of scope or lacking the role: 404. A stale `expected_version`: 409. Bad input: 422 per field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Schema

from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.party.api import field_error, unprocessable

from . import case_selectors as sel
from . import duplicate_selectors as dup
from . import merge_services as svc
from .api import router
from .case_models import Case
from .case_services import ConflictError
from .models import Category


class CandidateOut(Schema):
    number: str
    title: str
    state: str
    category_code: str
    score: float
    text_similarity: float
    distance_m: float | None
    hours_apart: float
    reasons: list[str]


class DraftIn(Schema):
    category_id: int
    description: str = Field(..., min_length=1, max_length=5000)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    building_id: int | None = None


class MergeIn(Schema):
    case: str = Field(..., description="The duplicate's case number")
    into: str = Field(..., description="The case number it is merged into")
    expected_version: int = Field(..., ge=1, description="The duplicate's version as loaded")
    note: str = Field("", max_length=2000)


class MergeOut(Schema):
    number: str
    state: str
    version: int
    merged_into: str


class ConflictOut(Schema):
    detail: str
    version: int


def _out(c: dup.Candidate) -> dict:
    return {"number": c.case.number, "title": c.case.title, "state": c.case.state,
            "category_code": c.case.category.code, "score": c.score, "text_similarity": c.text,
            "distance_m": c.distance_m, "hours_apart": c.hours_apart, "reasons": c.reasons}


def _require_staff(request) -> None:
    if not scope_for(request.auth).roles & svc.MERGERS:
        raise Http404


@router.get("/duplicates/{number}", response=list[CandidateOut], summary="Probable duplicates of a case")
def duplicates_of_case(request, number: str):
    _require_staff(request)
    case = sel.case_get(request.auth, number, request=request)
    return [_out(c) for c in dup.duplicate_candidates(request.auth, case)]


@router.post("/duplicates", response=list[CandidateOut], summary="Probable duplicates of a report not yet saved")
def duplicates_of_draft(request, payload: DraftIn):
    _require_staff(request)
    category = Category.objects.filter(pk=payload.category_id).first()
    if category is None:
        raise field_error("category_id", "No such category.")
    if (payload.lat is None) != (payload.lng is None):
        raise field_error("lat", "Give both latitude and longitude, or neither.")
    building = None
    if payload.building_id is not None:
        building = Area.objects.filter(pk=payload.building_id, kind="building").first()
        if building is None:
            raise field_error("building_id", "No such building.")
    lat, lng = payload.lat, payload.lng
    if lat is None and building is not None:
        lat, lng = building.lat, building.lng
    probe = dup.Probe(category=category, description=payload.description, created_at=timezone.now(), lat=lat,
                      lng=lng, building_id=building.pk if building else None)
    return [_out(c) for c in dup.duplicate_candidates(request.auth, probe)]


@router.post("/merges", response={200: MergeOut, 409: ConflictOut}, summary="Merge a duplicate into another case")
def case_merge(request, payload: MergeIn):
    _require_staff(request)
    case = sel.case_get(request.auth, payload.case, request=request)
    target = Case.objects.filter(sel.case_scope_q(request.auth), number=payload.into).first()
    if target is None:
        raise field_error("into", "No such case in your scope.")
    try:
        merged = svc.case_merge(actor=request.auth, case=case, into=target, expected_version=payload.expected_version,
                                note=payload.note, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first() or 0
        return 409, {"detail": str(exc), "version": current}
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 200, {"number": merged.number, "state": merged.state, "version": merged.version,
                 "merged_into": target.number}
