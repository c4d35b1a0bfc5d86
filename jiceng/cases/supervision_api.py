"""JSON API of supervision (mounted with the cases at /api/v1/cases/supervision): the overdue and near-due
lists, urging orders, and the actions issue, reply and escalate.

Out of scope or lacking permission: 404. An order already answered or escalated: 409. Bad input: 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Query, Schema

from jiceng.party.api import PageQuery, page_of, unprocessable

from . import case_selectors
from . import supervision_selectors as sel
from . import supervision_services as svc
from .api import router
from .case_api import CaseOut, case_out
from .case_services import ConflictError
from .supervision_models import SupervisionLevel, SupervisionOrder


class DueCaseOut(CaseOut):
    open_orders: int


class DuePage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[DueCaseOut]


class DueQuery(PageQuery):
    kind: Literal["overdue", "near_due"] = "overdue"
    community_id: int | None = None
    q: str = ""


class OrderOut(Schema):
    id: int
    case_number: str
    level: str
    issued_by: str
    issued_at: datetime
    note: str
    reply_due: datetime
    late: bool
    reply: str
    replied_by: str
    replied_at: datetime | None
    escalated_to: int | None
    escalated_from: int | None


class OrderPage(Schema):
    count: int
    page: int
    size: int
    pages: int
    items: list[OrderOut]


class OrderQuery(PageQuery):
    state: Literal["open", "late", "replied", "all"] = "open"
    level: SupervisionLevel | None = None
    community_id: int | None = None


class IssueIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000)
    reply_due: datetime | None = None


class ReplyIn(Schema):
    reply: str = Field(..., min_length=1, max_length=2000)


class ConflictOut(Schema):
    detail: str


def order_out(o: SupervisionOrder) -> dict:
    escalation = o.escalation if svc.was_escalated(o) else None
    return {"id": o.pk, "case_number": o.case.number, "level": o.level, "issued_by": o.issued_by.username,
            "issued_at": o.issued_at, "note": o.note, "reply_due": o.reply_due,
            "late": bool(getattr(o, "late", svc.is_late(o))), "reply": o.reply,
            "replied_by": o.replied_by.username if o.replied_by else "", "replied_at": o.replied_at,
            "escalated_to": escalation.pk if escalation else None, "escalated_from": o.escalated_from_id}


def _one(request, order_id: int) -> dict:
    return order_out(sel.order_get(request.auth, order_id))


@router.get("/supervision/due", response=DuePage, summary="Overdue or near-due cases in scope")
def supervision_due(request, filters: Query[DueQuery]):
    qs = sel.due_cases(request.auth, kind=filters.kind, community=filters.community_id, q=filters.q.strip())
    return page_of(qs, filters, lambda c: {**case_out(c), "open_orders": c.open_orders})


@router.get("/supervision/orders", response=OrderPage, summary="Urging orders on cases in scope")
def supervision_orders(request, filters: Query[OrderQuery]):
    qs = sel.orders(request.auth, state=filters.state, level=filters.level or "", community=filters.community_id)
    return page_of(qs, filters, order_out)


@router.post("/supervision/cases/{number}/orders", response={201: OrderOut, 409: ConflictOut},
             summary="Issue an urging order on a case")
def supervision_issue(request, number: str, payload: IssueIn):
    case = case_selectors.case_get(request.auth, number, request=request)
    try:
        order = svc.supervision_issue(actor=request.auth, case=case, note=payload.note, reply_due=payload.reply_due,
                                      request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        return 409, {"detail": str(exc)}
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, _one(request, order.pk)


@router.post("/supervision/orders/{order_id}/reply", response={200: OrderOut, 409: ConflictOut},
             summary="Reply to an urging order")
def supervision_reply(request, order_id: int, payload: ReplyIn):
    order = sel.order_get(request.auth, order_id)
    try:
        svc.supervision_reply(actor=request.auth, order=order, reply=payload.reply, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        return 409, {"detail": str(exc)}
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 200, _one(request, order_id)


@router.post("/supervision/orders/{order_id}/escalate", response={201: OrderOut, 409: ConflictOut},
             summary="Escalate a late urging order to the next level")
def supervision_escalate(request, order_id: int, payload: IssueIn):
    order = sel.order_get(request.auth, order_id)
    try:
        new = svc.supervision_escalate(actor=request.auth, order=order, note=payload.note,
                                       reply_due=payload.reply_due, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        return 409, {"detail": str(exc)}
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, _one(request, new.pk)
