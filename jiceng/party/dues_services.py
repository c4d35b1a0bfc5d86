"""Writes of Party dues: a member's dues basis, and recording or voiding a month's payment.

Each service needs `org.change` over the member's organization area, validates with field-level errors
and writes its audit event in the same transaction. The pay figure goes into the database only encrypted
and into the audit log not at all: the audit sees the class and the bracket.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts.audit import audit_record
from jiceng.people import personal

from . import dues_selectors as sel
from .dues_models import DuesBasis, DuesClass, DuesPayment
from .models import Member
from .services import check_org_change

# Payments may be made in advance (预交) up to a year ahead, never further.
MAX_MONTHS_AHEAD = 12
MAX_PAY = Decimal("10000000")


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@sensitive_variables("pay", "amount")  # the pay figure never reaches an error report
def dues_basis_set(
    *,
    actor,
    member: Member,
    dues_class: str,
    valid_from: date,
    pay: Decimal | str | None = None,
    request=None,
) -> DuesBasis:
    """Set what a member's dues are computed from, from the month of `valid_from` on.

    In-service and retired members give their after-tax monthly pay (stored encrypted, with its bracket);
    students, the unemployed and members on relief pay a flat amount and give no pay. An earlier basis
    stays as history for the months before."""
    check_org_change(actor, member.area_path)
    errors: dict[str, list[str]] = {}
    if dues_class not in DuesClass.values:
        errors["dues_class"] = [_("Choose a valid class.")]
    if valid_from is None:
        errors["valid_from"] = [_("This field is required.")]
    month = sel.month_start(valid_from) if valid_from else None
    tables = sel.RateTables()
    table = tables.for_month(month) if month else None
    if month is not None and table is None:
        errors["valid_from"] = [_("No dues rates are in force for this month.")]
    if month is not None and month > sel.current_month():
        errors["valid_from"] = [_("A basis cannot start after the current month.")]
    amount = _as_decimal(pay)
    flat = table is not None and dues_class in DuesClass.values and sel.is_flat(table, dues_class)
    if not errors and not flat:
        if amount is None:
            errors["pay"] = [_("Enter the after-tax monthly pay in yuan.")]
        elif amount < 0 or amount > MAX_PAY:
            errors["pay"] = [_("Enter a pay between 0 and 10,000,000 yuan.")]
        elif amount != amount.quantize(sel.CENT):
            errors["pay"] = [_("Enter the pay to the fen (at most two decimal places).")]
    if not errors and flat and amount is not None:
        errors["pay"] = [_("This class pays a flat amount: leave the pay empty.")]
    if errors:
        raise ValidationError(errors)
    bracket = sel.dues_amount(table, dues_class, None if flat else amount)[1]
    with transaction.atomic():
        basis = DuesBasis.objects.create(
            member=member,
            dues_class=dues_class,
            pay_encrypted="" if flat else personal.encrypt(f"{amount:.2f}"),
            bracket=bracket,
            valid_from=month,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="dues_basis.set",
            obj=basis,
            request=request,
            changes={"member": member.pk, "class": dues_class, "bracket": bracket, "valid_from": month.isoformat()},
        )
    return basis


def dues_payment_record(
    *,
    actor,
    member: Member,
    month: date,
    paid_on: date,
    amount_paid: Decimal | str | None = None,
    request=None,
) -> DuesPayment:
    """Record a member's dues for a month. The amount due is computed now, from the basis and the rate
    table in force for that month, and kept; `amount_paid` defaults to it and may not be less."""
    check_org_change(actor, member.area_path)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if month is None:
        raise ValidationError({"month": [_("This field is required.")]})
    month = sel.month_start(month)
    if sel.month_index(month) > sel.month_index(sel.current_month(today)) + MAX_MONTHS_AHEAD:
        errors["month"] = [_("Dues can be paid at most twelve months ahead.")]
    if paid_on is None:
        errors["paid_on"] = [_("This field is required.")]
    elif paid_on > today:
        errors["paid_on"] = [_("The date cannot be in the future.")]
    due = None
    if not errors:
        due = sel.due_for_month(member.pk, month, bases=sel.Bases([member.pk]), tables=sel.RateTables())
        if due is None:
            errors["month"] = [_("No dues basis is in force for this month: set the member's basis first.")]
    paid = _as_decimal(amount_paid) if amount_paid not in (None, "") else due
    if not errors:
        if paid is None:
            errors["amount_paid"] = [_("Enter a valid amount.")]
        elif paid != paid.quantize(sel.CENT) or paid < due:
            errors["amount_paid"] = [
                _("The amount paid must be at least the amount due (%(due)s yuan), to the fen.") % {"due": due}
            ]
    if not errors and DuesPayment.objects.filter(member=member, month=month, voided_at__isnull=True).exists():
        errors["month"] = [_("Dues for %(month)s are already recorded for this member.") % {"month": f"{month:%Y-%m}"}]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            payment = DuesPayment.objects.create(
                member=member,
                month=month,
                amount_due=due,
                amount_paid=paid,
                paid_on=paid_on,
                recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                action="dues_payment.record",
                obj=payment,
                request=request,
                changes={
                    "member": member.pk,
                    "month": f"{month:%Y-%m}",
                    "amount_due": str(due),
                    "amount_paid": str(paid),
                    "paid_on": paid_on.isoformat(),
                },
            )
    except IntegrityError as exc:
        # Two clerks recording the same month at once: the unique constraint lets one win.
        raise ValidationError(
            {"month": [_("Dues for %(month)s are already recorded for this member.") % {"month": f"{month:%Y-%m}"}]}
        ) from exc
    return payment


def dues_payment_void(*, actor, payment: DuesPayment, reason: str, request=None) -> DuesPayment:
    """Void a payment recorded in error; it stays as history, and the month counts as unpaid again."""
    check_org_change(actor, payment.member.area_path)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for voiding.")]})
    if len(reason) > 200:
        raise ValidationError({"reason": [_("A reason has at most 200 characters.")]})
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        updated = DuesPayment.objects.filter(pk=payment.pk, voided_at__isnull=True).update(
            voided_at=now, voided_by=user, void_reason=reason
        )
        if not updated:
            raise ValidationError({"reason": [_("This payment has already been voided.")]})
        payment.voided_at, payment.voided_by, payment.void_reason = now, user, reason
        audit_record(
            actor=actor,
            action="dues_payment.void",
            obj=payment,
            request=request,
            reason=reason,
            changes={"member": payment.member_id, "month": f"{payment.month:%Y-%m}", "reason": reason},
        )
    return payment
