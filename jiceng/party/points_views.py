"""Points pages: the ranking of the user's scope (per branch and community, Excel export), one member's
ledger (with proposing an award or deduction), proposals waiting for a decision, the rulebook (edited by
the district administrator into a new version) and a member's own points on a phone.
Views validate, call one service or selector, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response

from . import points_selectors as sel
from . import points_services
from .forms import DateInput
from .models import MemberCategory
from .points_models import PointsUnit, SourceKind
from .views import _apply_errors, _export, can_export

MIN_YEAR = 2008
MEMBERS_SHOWN = 100  # the page lists the top members; the export has them all
BRANCHES_SHOWN = 200


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or sel.this_year())
    except ValueError:
        raise Http404 from None
    if not MIN_YEAR <= year <= 2100:
        raise Http404
    return year


def _years() -> list[int]:
    return list(range(sel.this_year() + 1, MIN_YEAR - 1, -1))


class AwardForm(forms.Form):
    item_code = forms.ChoiceField(label=gettext_lazy("Item"))
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), min_value=0, max_digits=8, decimal_places=2,
                                  initial=1)
    occurred_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_code"].choices = [(i.code, f"{i.category.name} · {i.name} ({i.points:+})") for i in items]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))])
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    """Members of the user's scope (or under one organization) ranked by their points of a year."""
    if not sel.can_view_points(request.user):
        raise Http404
    year = _year(request)
    root = None
    if request.GET.get("org"):
        try:
            root = sel.points_org_get(request.user, int(request.GET["org"]), request=request)
        except ValueError:
            raise Http404 from None
    data = sel.points_ranking(request.user, year, root=root)
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [(r.name, r.org_name, r.branch_name, r.community_name, float(r.total), r.rank_in_branch,
                 r.rank_in_community) for r in data.members]
        _export(request, action="points.export_ranking", obj=root, rows=len(rows), filters={"year": year})
        return xlsx_response(f"party-points-{year}", _("Points %(year)s") % {"year": year},
                             [_("Member"), _("Organization"), _("Branch"), _("Community"), _("Points"),
                              _("Rank in branch"), _("Rank in community")], rows)
    return render(request, "party/points/ranking.html", {
        "data": data, "year": year, "years": _years(), "root": root, "can_export": can_export(request),
        "members": data.members[:MEMBERS_SHOWN], "members_total": len(data.members),
        "branches": data.branches[:BRANCHES_SHOWN], "branches_total": len(data.branches),
        "can_decide": scope_for(request.user).allows(roles.CHANGE_ORG),
    })


def _ledger_export(request: HttpRequest, ledger: sel.MemberLedger) -> HttpResponse:
    rows = [(e.occurred_on, e.item.category.name, e.item.name, e.get_source_kind_display(), float(e.quantity),
             float(e.weight), float(e.requested), float(e.points), _("Yes") if e.capped else "", e.reason,
             e.approved_by.get_username() if e.approved_by else "") for e in ledger.entries]
    _export(request, action="points.export_ledger", obj=ledger.member, rows=len(rows), filters={"year": ledger.year})
    return xlsx_response(f"party-points-ledger-{ledger.year}", _("Points ledger %(year)s") % {"year": ledger.year},
                         [_("Date"), _("Category"), _("Item"), _("Source"), _("Quantity"), _("Weight"),
                          _("Before cap"), _("Points"), _("Capped"), _("Reason"), _("Approved by")], rows)


@login_required
@require_http_methods(["GET", "POST"])
def member_points(request: HttpRequest, member_id: int) -> HttpResponse:
    """One member's ledger for a year; those who may change the organization propose awards here."""
    member = sel.points_member_get(request.user, member_id, request=request)
    can_award = sel.can_award_for(request.user, member.area_path)
    if request.method == "POST" and not can_award:
        raise Http404
    year = _year(request)
    rules = sel.Rules.for_year(year)
    manual = [i for i in (rules.items if rules else []) if i.active and i.source_kind == SourceKind.MANUAL]
    form = AwardForm(request.POST or None, items=manual, initial={"occurred_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            points_services.points_award_propose(
                actor=request.user, member=member, item_code=d["item_code"], quantity=d["quantity"],
                occurred_on=d["occurred_on"], reason=d["reason"], request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Proposal recorded; someone else must approve it."))
            return redirect(f"{request.path}?year={year}")
    ledger = sel.member_ledger(member, year)
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        return _ledger_export(request, ledger)
    return render(request, "party/points/member.html", {
        "ledger": ledger, "member": member, "year": year, "years": _years(), "form": form, "can_award": can_award,
        "can_export": can_export(request),
    })


@login_required
@require_GET
def my_points(request: HttpRequest) -> HttpResponse:
    """A Party member's own points of a year, on a phone."""
    member = sel.points_member_for_self(request.user)
    year = _year(request)
    return render(request, "party/points/me.html", {"ledger": sel.member_ledger(member, year), "member": member,
                                                     "year": year, "years": _years()[:6]})


@login_required
@require_GET
def awards(request: HttpRequest) -> HttpResponse:
    """Proposed awards and deductions in the user's scope, waiting for someone to decide."""
    scope = scope_for(request.user)
    if not (scope.allows(roles.CHANGE_ORG) and scope.allows(roles.VIEW_PEOPLE)):
        raise Http404
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [(a.member.person.name, a.member.org.name, a.item.category.name, a.item.name, float(a.quantity),
                 a.occurred_on, a.reason, a.proposed_by.get_username() if a.proposed_by else "", a.proposed_at)
                for a in sel.pending_awards(request.user)]
        _export(request, action="points.export_awards", rows=len(rows), filters={})
        return xlsx_response("party-points-proposals", _("Awards to decide"),
                             [_("Member"), _("Organization"), _("Category"), _("Item"), _("Quantity"), _("Date"),
                              _("Reason"), _("Proposed by"), _("Proposed at")], rows)
    return render(request, "party/points/awards.html", {"awards": list(sel.pending_awards(request.user)[:500]),
                                                         "form": DecideForm(), "can_export": can_export(request)})


@login_required
@require_POST
def award_decide(request: HttpRequest, award_id: int) -> HttpResponse:
    award = sel.award_get(request.user, award_id, request=request)
    if not sel.can_award_for(request.user, award.area_path):
        raise Http404
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            points_services.points_award_decide(actor=request.user, award=award,
                                                approve=form.cleaned_data["decision"] == "approve",
                                                reason=form.cleaned_data["reason"], request=request)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, _("Choose approve or reject."))
    return redirect("party:points_awards")


def _specs_from_post(post) -> tuple[list[points_services.ItemSpec], list[points_services.ClassSpec]]:
    items = []
    i = 0
    while f"items-{i}-code" in post:
        p = f"items-{i}-"
        if post.get(p + "code", "").strip() or post.get(p + "name", "").strip():
            items.append(points_services.ItemSpec(
                code=post.get(p + "code", ""), name=post.get(p + "name", ""),
                category_code=post.get(p + "category_code", ""), points=post.get(p + "points", ""),
                yearly_cap=post.get(p + "yearly_cap") or None, unit=post.get(p + "unit", PointsUnit.EVENT),
                source_kind=post.get(p + "source_kind", SourceKind.MANUAL),
                source_detail=post.get(p + "source_detail", ""), active=bool(post.get(p + "active")),
            ))
        i += 1
    classes = []
    j = 0
    while f"classes-{j}-member_category" in post:
        p = f"classes-{j}-"
        weight, excluded = post.get(p + "weight", "1") or "1", bool(post.get(p + "excluded"))
        if excluded or weight.strip() not in ("1", "1.0", "1.00") or post.get(p + "item_code"):
            classes.append(points_services.ClassSpec(member_category=post.get(p + "member_category", ""),
                                                     weight=weight, excluded=excluded,
                                                     item_code=post.get(p + "item_code", "")))
        j += 1
    return items, classes


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    """The rulebook in force for a year and its versions; the district administrator saves a new version."""
    if not (sel.can_view_points(request.user) or sel.can_edit_rules(request.user)):
        raise Http404
    can_edit = sel.can_edit_rules(request.user)
    if request.method == "POST" and not can_edit:
        raise Http404
    year = _year(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        items, classes = _specs_from_post(request.POST)
        try:
            rulebook = points_services.points_rulebook_edit(actor=request.user, year=year, items=items,
                                                            class_rules=classes, note=request.POST.get("note", ""),
                                                            request=request)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            errors = exc.message_dict
            messages.error(request, _("The rulebook was not saved: correct the fields marked below."))
        else:
            messages.success(request, _("Version %(v)s of the %(year)s rulebook saved.")
                             % {"v": rulebook.version, "year": year})
            return redirect(f"{request.path}?year={year}")
    book = sel.Rules.for_year(year)
    rows = []
    if book is not None:
        for i, item in enumerate(book.items):
            rows.append({"i": i, "item": item, "errors": {k.split("-", 2)[2]: v for k, v in errors.items()
                                                          if k.startswith(f"items-{i}-")}})
    class_rows = []
    if book is not None:
        for j, (value, label) in enumerate(MemberCategory.choices):
            weight, excluded = book.class_rule(None, value) or (1, False)
            class_rows.append({"j": j, "value": value, "label": label, "weight": weight, "excluded": excluded})
        offset = len(class_rows)
        for k, rule in enumerate(r for r in book.rulebook.class_rules.all() if r.item_id):
            class_rows.append({"j": offset + k, "value": rule.member_category,
                               "label": rule.get_member_category_display(), "weight": rule.weight,
                               "excluded": rule.excluded,
                               "item_code": next((i.code for i in book.items if i.pk == rule.item_id), "")})
    return render(request, "party/points/rules.html", {
        "book": book, "rows": rows, "class_rows": class_rows, "year": year, "years": _years(), "can_edit": can_edit,
        "versions": sel.rulebook_versions(), "new_index": len(rows), "units": PointsUnit.choices,
        "sources": SourceKind.choices, "error_messages": [m for msgs in errors.values() for m in msgs],
        "new_errors": {k.split("-", 2)[2]: v for k, v in errors.items() if k.startswith(f"items-{len(rows)}-")},
    })
