"""JSON API of Party dues, on the Party router (mounted at /api/v1/party/dues/...).

The operations are registered on the Party app's own router (imported at the end of api.py) rather than
on a sub-router, so the app's route list, its access cases and the OpenAPI tags stay one set.
Scoped like the pages: out of scope or lacking permission reads as 404; bad input gets 422 per field.
No pay figure ever leaves the server: a basis shows its class and bracket.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Schema

from . import dues_selectors as sel
from . import dues_services
from .api import router, unprocessable
from .dues_models import DuesBasis, DuesClass, DuesPayment
from .models import Member

# --- schemas ---------------------------------------------------------------------------------------


class YearQuery(Schema):
    year: int | None = Field(None, ge=2008, le=2100, description="Defaults to the current year")


class RollupRowOut(Schema):
    org_id: int | None
    name: str
    members: int
    due: Decimal = Field(description="Dues recorded for the year")
    paid: Decimal
    unpaid_months: int = Field(description="Member-months owed up to the current month with no payment")
    in_arrears: int


class CommunityRollupOut(Schema):
    area_id: int | None
    name: str
    total: RollupRowOut
    branches: list[RollupRowOut]


class PaymentOut(Schema):
    id: int
    member_id: int
    month: date
    amount_due: Decimal
    amount_paid: Decimal
    paid_on: date
    voided: bool
    void_reason: str


class BasisOut(Schema):
    id: int
    member_id: int
    dues_class: str
    bracket: str = Field(description="The pay bracket; the pay itself is never returned")
    valid_from: date


class ArrearsOut(Schema):
    start: date | None
    unpaid_months: list[date]
    arrears_count: int
    arrears_sum: Decimal
    lapsed: bool = Field(description="6 or more consecutive months unpaid")


class MemberDuesOut(Schema):
    member_id: int
    name: str
    org_id: int
    org_name: str
    current_due: Decimal | None
    current_bracket: str
    arrears: ArrearsOut
    bases: list[BasisOut]
    payments: list[PaymentOut]


class LedgerRowOut(Schema):
    member_id: int
    name: str
    org_id: int
    months: list[str] = Field(description="Per month: paid, unpaid (owed) or empty (not owed)")
    paid: Decimal
    arrears: ArrearsOut


class LedgerOut(Schema):
    org_id: int
    year: int
    total_due: Decimal
    total_paid: Decimal
    unpaid_months: int
    rows: list[LedgerRowOut]


class PaymentIn(Schema):
    month: date = Field(description="Any day of the month; kept as its first day")
    paid_on: date
    amount_paid: Decimal | None = Field(None, ge=0, description="Defaults to the amount due")


class BasisIn(Schema):
    dues_class: DuesClass
    valid_from: date = Field(description="Any day of the first month; kept as its first day")
    pay: Decimal | None = Field(None, ge=0, description="After-tax monthly pay in yuan; in-service and retired only")


class VoidIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


def payment_out(p: DuesPayment) -> dict:
    return {
        "id": p.pk,
        "member_id": p.member_id,
        "month": p.month,
        "amount_due": p.amount_due,
        "amount_paid": p.amount_paid,
        "paid_on": p.paid_on,
        "voided": p.voided_at is not None,
        "void_reason": p.void_reason,
    }


def basis_out(b: DuesBasis) -> dict:
    return {"id": b.pk, "member_id": b.member_id, "dues_class": b.dues_class, "bracket": b.bracket,
            "valid_from": b.valid_from}


def arrears_out(f: sel.MemberDues) -> dict:
    return {"start": f.start, "unpaid_months": f.unpaid, "arrears_count": f.arrears_count,
            "arrears_sum": f.arrears_sum, "lapsed": f.lapsed}


def history_out(h: sel.MemberHistory) -> dict:
    m = h.member
    return {
        "member_id": m.pk,
        "name": m.person.name,
        "org_id": m.org.pk,
        "org_name": m.org.name,
        "current_due": h.current_due,
        "current_bracket": h.current_bracket,
        "arrears": arrears_out(h.facts),
        "bases": [basis_out(b) for b in h.bases],
        "payments": [payment_out(p) for p in h.payments],
    }


def _row_out(r: sel.RollupRow) -> dict:
    return {"org_id": r.org_id, "name": r.name, "members": r.members, "due": r.due, "paid": r.paid,
            "unpaid_months": r.unpaid_months, "in_arrears": r.in_arrears}


def _year(query: YearQuery) -> int:
    return query.year or timezone.localdate().year


def _member_for_change(request, member_id: int) -> Member:
    member = sel.dues_member_get(request.auth, member_id, request=request)
    if not sel.can_record_for(request.auth, member.area_path):
        raise Http404
    return member


# --- reads -----------------------------------------------------------------------------------------


@router.get("/dues/rollup", response=list[CommunityRollupOut], summary="Dues per community and branch for a year")
def dues_rollup(request, query: Query[YearQuery]):
    if not sel.can_view_dues(request.auth):
        raise Http404
    return [
        {"area_id": c.area.pk if c.area else None, "name": c.total.name, "total": _row_out(c.total),
         "branches": [_row_out(r) for r in c.branches]}
        for c in sel.dues_rollup(request.auth, _year(query))
    ]


@router.get("/dues/orgs/{org_id}", response=LedgerOut, summary="A branch's dues ledger for a year")
def dues_ledger(request, org_id: int, query: Query[YearQuery]):
    org = sel.dues_org_get(request.auth, org_id, request=request)
    ledger = sel.org_ledger(request.auth, org, _year(query))

    def state(cell) -> str:
        return "paid" if isinstance(cell, DuesPayment) else ("unpaid" if cell is None else "")

    return {
        "org_id": org.pk,
        "year": ledger.year,
        "total_due": ledger.total_due,
        "total_paid": ledger.total_paid,
        "unpaid_months": ledger.unpaid_months,
        "rows": [
            {"member_id": r.member.pk, "name": r.member.person.name, "org_id": r.member.org.pk,
             "months": [state(c) for c in r.cells], "paid": r.paid_sum, "arrears": arrears_out(r.facts)}
            for r in ledger.rows
        ],
    }


@router.get("/dues/members/{member_id}", response=MemberDuesOut, summary="A member's dues: bases, payments, arrears")
def dues_member(request, member_id: int):
    member = sel.dues_member_get(request.auth, member_id, request=request)
    return history_out(sel.member_history(member))


@router.get("/dues/me", response=MemberDuesOut, summary="The signed-in member's own dues")
def dues_me(request):
    return history_out(sel.member_history(sel.dues_member_for_self(request.auth)))


# --- writes ----------------------------------------------------------------------------------------


@router.post("/dues/members/{member_id}/payments", response={201: PaymentOut}, summary="Record a month's dues")
def dues_payment_record(request, member_id: int, payload: PaymentIn):
    member = _member_for_change(request, member_id)
    try:
        payment = dues_services.dues_payment_record(
            actor=request.auth,
            member=member,
            month=payload.month,
            paid_on=payload.paid_on,
            amount_paid=payload.amount_paid,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, payment_out(payment)


@router.post("/dues/members/{member_id}/basis", response={201: BasisOut}, summary="Set a member's dues basis")
def dues_basis_set(request, member_id: int, payload: BasisIn):
    member = _member_for_change(request, member_id)
    try:
        basis = dues_services.dues_basis_set(
            actor=request.auth,
            member=member,
            dues_class=payload.dues_class,
            valid_from=payload.valid_from,
            pay=payload.pay,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, basis_out(basis)


@router.post("/dues/payments/{payment_id}/void", response=PaymentOut, summary="Void a payment recorded in error")
def dues_payment_void(request, payment_id: int, payload: VoidIn):
    payment = DuesPayment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    payment.member = _member_for_change(request, payment.member_id)
    try:
        payment = dues_services.dues_payment_void(
            actor=request.auth, payment=payment, reason=payload.reason, request=request
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return payment_out(payment)
