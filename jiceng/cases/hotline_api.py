"""Push integration for the 12345 city platform: one work order per request (mounted at /api/v1/cases).

Bearer token as every integration (the token's user reports the case, within their role and scope).
Idempotent by ticket number: a new ticket gives 201 and the new case number; a ticket received before
gives 200 and the case number it became, and changes nothing. Bad fields give 422, one message each,
the same messages as a file import.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Schema

from jiceng.party.api import unprocessable

from . import workflow
from .api import router
from .hotline_import import hotline_order_read
from .hotline_services import hotline_case, hotline_receive


class HotlineOrderIn(Schema):
    ticket: str = Field(..., min_length=1, max_length=64, description="工单编号, the city platform's ticket number")
    received_at: str = Field(..., max_length=40, description="来电/受理时间, ISO 8601 (local time if no zone)")
    request_type: str = Field("", max_length=20, description="诉求类型: inquiry, help, complaint, report, suggestion "
                                                             "(or 咨询, 求助, 投诉, 举报, 建议)")
    category: str = Field("", max_length=100, description="诉求分类: a category code or name")
    description: str = Field(..., max_length=5000, description="诉求内容")
    address: str = Field("", max_length=200, description="诉求地址")
    area: str = Field("", max_length=100, description="所属街道/社区: an area code or name")
    building_code: str = Field("", max_length=40, description="楼栋编码")
    lat: float | None = Field(None, description="WGS-84")
    lng: float | None = Field(None, description="WGS-84")
    reporter_name: str = Field("", max_length=50, description="联系人")
    reporter_phone: str = Field("", max_length=30, description="联系电话")
    urgency: str = Field("", max_length=20, description="紧急程度: normal, urgent, emergency (or 一般, 紧急, 特急)")
    due_at: str = Field("", max_length=40, description="办结时限, ISO 8601 date or time")


class HotlineReceiptOut(Schema):
    ticket: str
    number: str
    created: bool
    state: str
    received: datetime


@router.post("/hotline/orders", response={200: HotlineReceiptOut, 201: HotlineReceiptOut},
             summary="Push one 12345 hotline work order (idempotent by ticket number)")
def hotline_push(request, payload: HotlineOrderIn):
    from jiceng.accounts.scope import scope_for

    if not scope_for(request.auth).roles & workflow.REPORTERS:
        raise Http404
    existing = hotline_case(payload.ticket)
    if existing is not None:  # received before: the same answer, whatever the payload says now
        return 200, {"ticket": payload.ticket.strip(), "number": existing.number, "created": False,
                     "state": existing.state, "received": existing.created_at}
    fields = {k: (v if v != "" else None) for k, v in payload.dict().items()}
    try:
        order = hotline_order_read(actor=request.auth, fields=fields)
        case, created = hotline_receive(actor=request.auth, order=order, via="push", request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, {"building": "building_code"}) from exc
    return (201 if created else 200), {"ticket": order.ticket, "number": case.number, "created": created,
                                       "state": case.state, "received": case.created_at}
