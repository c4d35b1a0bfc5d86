"""Party dues pages: the roll-up of the user's scope, a branch ledger (members × months), one member's
history, and a member's own dues. Views validate, call one service or selector, render."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.excel import xlsx_response

from . import dues_selectors as sel
from . import dues_services
from .dues_models import DuesClass, DuesPayment
from .forms import DateInput
from .views import _apply_errors, _export, can_export

MIN_YEAR = 2008


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class MonthField(forms.DateField):
    """A month as "YYYY-MM" (the browser's month input), kept as its first day."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class PaymentForm(forms.Form):
    member = forms.TypedChoiceField(label=gettext_lazy("Member"), coerce=int)
    month = MonthField(label=gettext_lazy("Month"))
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=DateInput())
    amount_paid = forms.DecimalField(
        label=gettext_lazy("Amount paid (yuan)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=gettext_lazy("Leave empty to record the amount due."),
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, f"{m.person.name} · {m.org.name}") for m in members]


class BasisForm(forms.Form):
    dues_class = forms.ChoiceField(label=gettext_lazy("Class"), choices=DuesClass.choices)
    valid_from = MonthField(label=gettext_lazy("From month"))
    pay = forms.DecimalField(
        label=gettext_lazy("After-tax monthly pay (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("Only for in-service and retired members; stored encrypted, shown only as a bracket."),
        widget=forms.NumberInput(attrs={"autocomplete": "off", "step": "0.01"}),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


def _year(request: HttpRequest) -> int:
    """The year asked for (?year=), the current one when absent or not a sensible year."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        return this_year
    return year if MIN_YEAR <= year <= this_year + 1 else this_year


def _years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - 6, -1))


@login_required
@require_GET
def rollup(request: HttpRequest) -> HttpResponse:
    """Dues of the user's scope for a year: per community, then per branch."""
    if not sel.can_view_dues(request.user):
        raise Http404
    year = _year(request)
    communities = sel.dues_rollup(request.user, year)
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [
            [c.total.name, r.name, r.members, r.due, r.paid, r.unpaid_months, r.in_arrears]
            for c in communities
            for r in c.branches
        ]
        _export(request, action="dues.export_rollup", rows=len(rows), filters={"year": year})
        return xlsx_response(
            f"party-dues-{year}",
            _("Party dues %(year)s") % {"year": year},
            [_("Community"), _("Organization"), _("Members"), _("Due (recorded)"), _("Paid"), _("Unpaid months"),
             _("Members in arrears")],
            ([*r[:3], float(r[3]), float(r[4]), *r[5:]] for r in rows),
        )
    return render(
        request,
        "party/dues/rollup.html",
        {"communities": communities, "year": year, "years": _years(),
         "can_export": can_export(request)},
    )


def _ledger_export(request: HttpRequest, ledger: sel.Ledger) -> HttpResponse:
    headers = [_("Name"), _("Organization"), *[f"{m:%Y-%m}" for m in ledger.months], _("Paid"),
               _("Unpaid months (all years)"), _("Arrears (yuan)"), _("Lapsed 6 months")]
    rows = []
    for row in ledger.rows:
        cells = []
        for cell in row.cells:
            if isinstance(cell, DuesPayment):
                cells.append(float(cell.amount_paid))
            else:
                cells.append(_("Unpaid") if cell is None else "")
        rows.append([row.member.person.name, row.member.org.name, *cells, float(row.paid_sum),
                     row.facts.arrears_count, float(row.facts.arrears_sum), _("Yes") if row.facts.lapsed else ""])
    _export(request, action="dues.export_ledger", obj=ledger.org, rows=len(rows), filters={"year": ledger.year})
    return xlsx_response(f"party-dues-ledger-{ledger.year}", _("Dues ledger %(year)s") % {"year": ledger.year},
                         headers, rows)


@login_required
@require_http_methods(["GET", "POST"])
def org_ledger(request: HttpRequest, org_id: int) -> HttpResponse:
    """A branch's ledger for a year; those who may change the organization record payments here."""
    org = sel.dues_org_get(request.user, org_id, request=request)
    can_record = sel.can_record_for(request.user, org.area_path)
    year = _year(request)
    if request.method == "POST" and not can_record:
        raise Http404
    members = list(sel.ledger_members(request.user, org))
    form = PaymentForm(request.POST or None, members=members,
                       initial={"paid_on": timezone.localdate(), "month": date(year, timezone.localdate().month, 1)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = next(m for m in members if m.pk == data["member"])
        try:
            dues_services.dues_payment_record(
                actor=request.user,
                member=member,
                month=data["month"],
                paid_on=data["paid_on"],
                amount_paid=data["amount_paid"],
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(f"{request.path}?year={data['month'].year}")
    ledger = sel.org_ledger(request.user, org, year)
    if request.method == "GET" and request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        return _ledger_export(request, ledger)
    return render(
        request,
        "party/dues/ledger.html",
        {"org": org, "ledger": ledger, "form": form, "can_record": can_record, "years": _years(),
         "can_export": can_export(request)},
    )


def _history_context(history: sel.MemberHistory) -> dict:
    return {"h": history, "member": history.member}


@sensitive_post_parameters("pay")  # the pay figure never reaches an error report
@sensitive_variables("form", "data")
@login_required
@require_http_methods(["GET", "POST"])
def member_dues(request: HttpRequest, member_id: int) -> HttpResponse:
    """One member's bases, payments and arrears; those who may change the organization set the basis."""
    member = sel.dues_member_get(request.user, member_id, request=request)
    can_record = sel.can_record_for(request.user, member.area_path)
    if request.method == "POST" and not can_record:
        raise Http404
    form = BasisForm(request.POST or None, initial={"valid_from": sel.current_month()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dues_services.dues_basis_set(
                actor=request.user,
                member=member,
                dues_class=data["dues_class"],
                valid_from=data["valid_from"],
                pay=data["pay"],
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Dues basis set."))
            return redirect("party:dues_member", member_id=member.pk)
    context = _history_context(sel.member_history(member))
    context.update(form=form, can_record=can_record, void_form=VoidForm())
    return render(request, "party/dues/member.html", context)


@login_required
@require_POST
def payment_void(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = DuesPayment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    member = sel.dues_member_get(request.user, payment.member_id, request=request)
    if not sel.can_record_for(request.user, member.area_path):
        raise Http404
    payment.member = member
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            dues_services.dues_payment_void(
                actor=request.user, payment=payment, reason=form.cleaned_data["reason"], request=request
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    if not form.errors:
        messages.success(request, _("Payment voided."))
    return redirect("party:dues_member", member_id=member.pk)


@login_required
@require_GET
def my_dues(request: HttpRequest) -> HttpResponse:
    """A Party member's own dues: what they owe each month and what they have paid."""
    member = sel.dues_member_for_self(request.user)
    return render(request, "party/dues/me.html", _history_context(sel.member_history(member)))
