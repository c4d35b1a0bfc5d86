"""JSON API of suspension with approval (mounted with the cases at /api/v1/cases): a case's requests,
the handler's request, the approver's decision. Out of scope or not theirs: 404; a missing reason: 422
with the field; a request already decided or a case no longer accepted: 409."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Schema

from jiceng.party.api import unprocessable

from . import case_selectors as sel
from .api import router
from .case_services import ConflictError
from .suspension_models import SuspensionRequest
from .suspension_selectors import case_suspension_requests
from .suspension_services import suspension_decide, suspension_request


class SuspensionOut(Schema):
    id: int
    reason: str
    requested_by: str
    requested_at: datetime
    pending: bool
    approved: bool | None
    decided_by: str
    decided_at: datetime | None
    decision_note: str


class SuspensionIn(Schema):
    reason: str = Field(..., max_length=500, description="Why the work must wait")


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=500, description="Required when refusing")


class SuspensionConflictOut(Schema):
    detail: str


def _out(s: SuspensionRequest) -> dict:
    return {"id": s.pk, "reason": s.reason, "requested_by": s.requested_by.username, "requested_at": s.requested_at,
            "pending": s.pending, "approved": s.approved, "decided_by": s.decided_by.username if s.decided_by else "",
            "decided_at": s.decided_at, "decision_note": s.decision_note}


def _call(fn):
    try:
        return fn()
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc


@router.get("/suspensions/{number}", response=list[SuspensionOut], summary="A case's suspension requests")
def suspension_list(request, number: str):
    case = sel.case_get(request.auth, number, request=request)
    return [_out(s) for s in case_suspension_requests(case)]


@router.post("/suspensions/{number}", response={201: SuspensionOut, 409: SuspensionConflictOut},
             summary="Ask the subdistrict to suspend an accepted case (the handler)")
def suspension_create(request, number: str, payload: SuspensionIn):
    case = sel.case_get(request.auth, number, request=request)
    try:
        item = _call(lambda: suspension_request(actor=request.auth, case=case, reason=payload.reason,
                                                request=request))
    except ConflictError as exc:
        return 409, {"detail": str(exc)}
    return 201, _out(item)


@router.post("/suspensions/{number}/{int:request_id}/decision",
             response={200: SuspensionOut, 409: SuspensionConflictOut},
             summary="Approve (the case is suspended) or refuse a suspension request (subdistrict or district)")
def suspension_decision(request, number: str, request_id: int, payload: DecisionIn):
    case = sel.case_get(request.auth, number, request=request)
    item = SuspensionRequest.objects.filter(pk=request_id, case=case).select_related("requested_by").first()
    if item is None:
        raise Http404
    try:
        item = _call(lambda: suspension_decide(actor=request.auth, item=item, approve=payload.approve,
                                               note=payload.note, request=request))
    except ConflictError as exc:
        return 409, {"detail": str(exc)}
    return 200, _out(SuspensionRequest.objects.select_related("requested_by", "decided_by").get(pk=item.pk))
