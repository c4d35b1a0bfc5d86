"""Dual registration pages. The member's (phone-first): register where they live, claim items, pledge,
record service and see their records. The community's: confirm or return registrations and records,
manage the service list, watch the building-by-building view. The workplace organization's: its
members' registrations and the yearly dual report. Views validate, call one service or selector, render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.web.forms import submit_service_form

from . import dualreg_selectors as sel
from . import dualreg_services as svc
from .dualreg_models import ClaimState, RegistrationKind, RegistrationState, ServiceCategory
from .forms import DateInput
from .views import _export, can_export

MIN_YEAR = 2008


def _member(request) -> object:
    try:
        return svc.member_for_actor(request.user)
    except PermissionDenied:
        raise Http404 from None


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or sel.today_local().year)
    except ValueError:
        raise Http404 from None
    if not MIN_YEAR <= year <= 2100:
        raise Http404
    return year


def _choice(value: str, choices) -> str:
    return value if value in choices else ""


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _xlsx(request, *, action: str, filename: str, title: str, headers, rows, filters: dict) -> HttpResponse:
    if not can_export(request):
        raise Http404
    _export(request, action=action, rows=len(rows), filters={k: str(v) for k, v in filters.items()})
    return xlsx_response(filename, title, headers, rows)


def _run(request, call, back: str, done: str) -> HttpResponse:
    """Run one state move from a button: success or the service's message, then back to the list."""
    try:
        call()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(back)


# The filters of each list a button sits on, kept across the button's redirect.
REGISTRATION_FILTERS = ("state", "kind", "community", "org", "q", "page")
RECORD_FILTERS = ("state", "community", "org", "year", "q", "page")


def _back(request, name: str, keys: tuple[str, ...]) -> str:
    """The list the button was pressed on, with its filters (the form's `back` field carries the list's
    query string; only the list's own filter names are kept, so it cannot send anyone elsewhere)."""
    given = QueryDict(request.POST.get("back", ""))
    kept = QueryDict(mutable=True)
    for key in keys:
        if given.get(key):
            kept[key] = given[key][:50]
    url = reverse(name)
    return f"{url}?{kept.urlencode()}" if kept else url


def _version(request) -> int | None:
    return _int(request.POST.get("version"))


# --- forms -------------------------------------------------------------------------------------------


class RecordForm(forms.Form):
    served_on = forms.DateField(label=gettext_lazy("Served on"), widget=DateInput())
    hours = forms.DecimalField(label=gettext_lazy("Hours"), min_value=0.1, max_value=24, decimal_places=1)
    beneficiary = forms.CharField(label=gettext_lazy("Who benefited"), max_length=200)
    note = forms.CharField(label=pgettext_lazy("service record", "What was done"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=gettext_lazy("Photo"), widget=forms.ClearableFileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}))
    version = forms.IntegerField(widget=forms.HiddenInput())


class PledgeForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Pledge"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=DateInput())


class FulfilForm(forms.Form):
    fulfilment = forms.CharField(label=gettext_lazy("How it was kept"), max_length=500)
    fulfilled_on = forms.DateField(label=gettext_lazy("Fulfilled on"), widget=DateInput())


class ItemForm(forms.Form):
    community = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    title = forms.CharField(label=pgettext_lazy("service item", "Title"), max_length=200)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=ServiceCategory.choices)
    capacity = forms.IntegerField(label=gettext_lazy("Capacity"), min_value=1, max_value=10000)
    starts_on = forms.DateField(label=gettext_lazy("Period start"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Period end"), widget=DateInput())
    description = forms.CharField(label=pgettext_lazy("service item", "Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]


class OrgRegistrationForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("Workplace organization"), coerce=int)
    community = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)

    def __init__(self, *args, orgs=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, o.name) for o in orgs]
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]


# --- the member's pages ----------------------------------------------------------------------------


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """The member's phone page: where they are registered, items to claim, their claims and records,
    their pledges."""
    home = sel.member_home(_member(request))
    return render(request, "party/dualreg/me.html", {
        "home": home, "pledge_form": PledgeForm(), "fulfil_form": FulfilForm(),
    })


@login_required
@require_POST
def me_register(request: HttpRequest) -> HttpResponse:
    _member(request)
    return _run(request, lambda: svc.registration_request_member(actor=request.user, request=request),
                "party:dualreg_me", _("Your registration request was sent to the community."))


@login_required
@require_POST
def me_claim(request: HttpRequest, item_id: int) -> HttpResponse:
    item = sel.item_for_member(_member(request), item_id)
    return _run(request, lambda: svc.service_claim_create(actor=request.user, item=item, request=request),
                "party:dualreg_me", _("Item claimed."))


@login_required
@require_POST
def me_withdraw(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = sel.own_claim(_member(request), claim_id)
    return _run(request, lambda: svc.service_claim_withdraw(actor=request.user, claim=claim,
                                                            version=_version(request), request=request),
                "party:dualreg_me", _("Claim withdrawn."))


@login_required
@require_http_methods(["GET", "POST"])
def me_record(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = sel.own_claim(_member(request), claim_id)
    form = RecordForm(request.POST or None, request.FILES or None,
                      initial={"version": claim.version, "served_on": claim.served_on, "hours": claim.hours,
                               "beneficiary": claim.beneficiary, "note": claim.note})
    if submit_service_form(request, form, lambda d: svc.service_record_submit(
            actor=request.user, claim=claim, served_on=d["served_on"], hours=d["hours"],
            beneficiary=d["beneficiary"], note=d["note"], photo=d["photo"], version=d["version"],
            request=request)):
        messages.success(request, _("Service recorded; the community will confirm it."))
        return redirect("party:dualreg_me")
    return render(request, "party/dualreg/record.html", {"form": form, "claim": claim})


@login_required
@require_POST
def me_registration_move(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The member asks again after a return, or ends their registration."""
    reg = sel.own_registration(_member(request), registration_id)
    action = request.POST.get("action")
    if action == "resubmit":
        call = lambda: svc.registration_resubmit(actor=request.user, registration=reg,  # noqa: E731
                                                 version=_version(request), request=request)
    elif action == "revoke":
        call = lambda: svc.registration_revoke(actor=request.user, registration=reg,  # noqa: E731
                                               version=_version(request), request=request)
    else:
        raise Http404
    return _run(request, call, "party:dualreg_me", _("Done."))


@login_required
@require_POST
def me_pledge(request: HttpRequest) -> HttpResponse:
    _member(request)
    form = PledgeForm(request.POST)
    if submit_service_form(request, form, lambda d: svc.pledge_make(actor=request.user, text=d["text"],
                                                                    due_on=d["due_on"], request=request)):
        messages.success(request, _("Pledge made."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("party:dualreg_me")


@login_required
@require_POST
def me_fulfil(request: HttpRequest, pledge_id: int) -> HttpResponse:
    pledge = sel.own_pledge(_member(request), pledge_id)
    form = FulfilForm(request.POST)
    if submit_service_form(request, form, lambda d: svc.pledge_fulfil(
            actor=request.user, pledge=pledge, fulfilment=d["fulfilment"], fulfilled_on=d["fulfilled_on"],
            request=request)):
        messages.success(request, _("Fulfilment recorded."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("party:dualreg_me")


# --- the community's and the workplace organization's pages -------------------------------------------


@login_required
@require_GET
def registrations(request: HttpRequest) -> HttpResponse:
    """Registrations in scope (both sides), filterable, with counts per community and per workplace
    organization."""
    if not sel.can_view(request.user):
        raise Http404
    g = request.GET
    filters = {"state": _choice(g.get("state", ""), RegistrationState.values),
               "kind": _choice(g.get("kind", ""), RegistrationKind.values),
               "community_id": _int(g.get("community")), "org_id": _int(g.get("org")),
               "q": g.get("q", "").strip()[:50]}
    qs = sel.registration_list(request.user, **filters)
    if g.get("format") == "xlsx" and g.get("table") == "community":
        rows = [(c.name, c.members_confirmed, c.orgs_confirmed, c.requested, c.returned)
                for c in sel.counts_by_community(request.user)]
        return _xlsx(request, action="registration.counts_export", filename="registrations-per-community",
                     title=_("Per community"), headers=[_("Community"), _("Members confirmed"),
                                                        _("Organizations confirmed"), _("Waiting"), _("Returned")],
                     rows=rows, filters={"table": "community"})
    if g.get("format") == "xlsx" and g.get("table") == "org":
        rows = [(o.name, o.in_service, o.confirmed, o.requested, o.not_registered)
                for o in sel.counts_by_org(request.user)]
        return _xlsx(request, action="registration.counts_export", filename="registrations-per-workplace",
                     title=_("Per workplace organization"),
                     headers=[_("Organization"), _("In-service members"), _("Registered"), _("Waiting"),
                              _("Not registered")], rows=rows, filters={"table": "org"})
    if g.get("format") == "xlsx":
        rows = [(r.get_kind_display(), r.org.name, r.member.person.name if r.member else "", r.community.name,
                 r.get_state_display(), r.requested_at, r.decided_at, r.reason) for r in qs]
        return _xlsx(request, action="registration.export", filename="registrations", title=_("Dual registrations"),
                     headers=[_("Kind"), _("Workplace organization"), _("Member"), _("Community"), _("State"),
                              _("Requested at"), _("Decided at"), _("Reason")], rows=rows, filters=filters)
    return render(request, "party/dualreg/registrations.html", {
        "page": paginate(request, qs), "filters": filters, "states": RegistrationState.choices,
        "kinds": RegistrationKind.choices, "communities": sel.communities_in_scope(request.user),
        "by_community": sel.counts_by_community(request.user), "by_org": sel.counts_by_org(request.user),
        "can_export": can_export(request), "user": request.user,
    })


@login_required
@require_http_methods(["GET", "POST"])
def registration_org_new(request: HttpRequest) -> HttpResponse:
    """A workplace organization's staff register it with a community."""
    if not sel.can_view(request.user):
        raise Http404
    orgs = [o for o in sel.workplace_orgs_in_scope(request.user) if sel.can_change(request.user, o.area_path)]
    if not orgs:
        raise Http404
    from jiceng.areas.models import Area

    communities = list(Area.objects.filter(kind="community").only("id", "name").order_by("path"))
    form = OrgRegistrationForm(request.POST or None, orgs=orgs, communities=communities)
    by_id = {o.pk: o for o in orgs}
    by_community = {c.pk: c for c in communities}
    if submit_service_form(request, form, lambda d: svc.registration_request_org(
            actor=request.user, org=by_id[d["org"]], community=by_community[d["community"]], request=request)):
        messages.success(request, _("Registration request sent to the community."))
        return redirect("party:dualreg_registrations")
    return render(request, "party/dualreg/org_new.html", {"form": form})


@login_required
@require_POST
def registration_move(request: HttpRequest, registration_id: int) -> HttpResponse:
    """Confirm, return (with a reason), revoke, or ask again: one button each on the list."""
    reg = sel.registration_get(request.user, registration_id)
    if not sel.can_view(request.user):
        raise Http404
    version, reason = _version(request), request.POST.get("reason", "")
    moves = {
        "confirm": lambda: svc.registration_confirm(actor=request.user, registration=reg, version=version,
                                                    request=request),
        "return": lambda: svc.registration_return(actor=request.user, registration=reg, reason=reason,
                                                  version=version, request=request),
        "revoke": lambda: svc.registration_revoke(actor=request.user, registration=reg, reason=reason,
                                                  version=version, request=request),
        "resubmit": lambda: svc.registration_resubmit(actor=request.user, registration=reg, version=version,
                                                      request=request),
    }
    call = moves.get(request.POST.get("action", ""))
    if call is None:
        raise Http404
    return _run(request, call, _back(request, "party:dualreg_registrations", REGISTRATION_FILTERS), _("Done."))


@login_required
@require_GET
def buildings(request: HttpRequest) -> HttpResponse:
    """Who lives in the community and has registered, and who has not, building by building."""
    if not sel.can_view(request.user):
        raise Http404
    communities = list(sel.communities_in_scope(request.user))
    if not communities:
        raise Http404
    community_id = _int(request.GET.get("community")) or communities[0].pk
    community = sel.community_get(request.user, community_id)
    state = request.GET.get("state", "")
    state = state if state in ("none", *RegistrationState.values) else ""
    rows = sel.building_view(request.user, community, state=state)
    if request.GET.get("format") == "xlsx":
        labels = dict(RegistrationState.choices)
        data = [(r.building.name if r.building else "", m.person.name, m.org.name,
                 str(labels.get(m.reg_state, _("Not registered")))) for r in rows for m in r.members]
        return _xlsx(request, action="registration.buildings_export", filename="registrations-by-building",
                     title=_("By building"), headers=[_("Building"), _("Member"), _("Workplace organization"),
                                                      _("State")], rows=data,
                     filters={"community": community.pk, "state": state})
    return render(request, "party/dualreg/buildings.html", {
        "rows": rows, "community": community, "communities": communities, "state": state,
        "states": RegistrationState.choices, "can_export": can_export(request),
    })


@login_required
@require_http_methods(["GET", "POST"])
def items(request: HttpRequest) -> HttpResponse:
    """The service list in scope; the community publishes items here."""
    if not sel.can_view(request.user):
        raise Http404
    g = request.GET
    filters = {"community_id": _int(g.get("community")), "category": _choice(g.get("category", ""),
                                                                             ServiceCategory.values),
               "current": g.get("current") == "1", "q": g.get("q", "").strip()[:50]}
    qs = sel.item_list(request.user, **filters)
    if g.get("format") == "xlsx":
        rows = [(i.community.name, i.title, i.get_category_display(), i.capacity, i.claimed, i.starts_on,
                 i.ends_on, i.description) for i in qs]
        return _xlsx(request, action="service_item.export", filename="service-list", title=_("Service list"),
                     headers=[_("Community"), pgettext("service item", "Title"), _("Category"), _("Capacity"),
                              _("Claimed"), _("Period start"), _("Period end"),
                              pgettext("service item", "Description")], rows=rows, filters=filters)
    communities = [c for c in sel.communities_in_scope(request.user) if sel.can_change(request.user, c.path)]
    form = ItemForm(request.POST or None, communities=communities) if communities else None
    if request.method == "POST":
        if form is None:
            raise Http404
        by_id = {c.pk: c for c in communities}
        if submit_service_form(request, form, lambda d: svc.service_item_create(
                actor=request.user, community=by_id[d["community"]], title=d["title"], category=d["category"],
                capacity=d["capacity"], starts_on=d["starts_on"], ends_on=d["ends_on"],
                description=d["description"], request=request)):
            messages.success(request, _("Item published."))
            return redirect("party:dualreg_items")
    return render(request, "party/dualreg/items.html", {
        "page": paginate(request, qs), "filters": filters, "categories": ServiceCategory.choices,
        "communities": sel.communities_in_scope(request.user), "form": form, "can_export": can_export(request),
    })


@login_required
@require_GET
def records(request: HttpRequest) -> HttpResponse:
    """Claims and service records in scope; the community confirms or returns the recorded ones."""
    if not sel.can_view(request.user):
        raise Http404
    g = request.GET
    year = _int(g.get("year"))
    filters = {"state": _choice(g.get("state", ""), ClaimState.values), "community_id": _int(g.get("community")),
               "org_id": _int(g.get("org")), "year": year if year and MIN_YEAR <= year <= 2100 else None,
               "q": g.get("q", "").strip()[:50]}
    qs = sel.claim_list(request.user, **filters)
    if g.get("format") == "xlsx":
        rows = [(c.member.person.name, c.member.org.name, c.item.community.name, c.item.title,
                 c.get_state_display(), c.served_on, c.hours, c.beneficiary, c.reason) for c in qs]
        return _xlsx(request, action="service_record.export", filename="service-records",
                     title=_("Service records"),
                     headers=[_("Member"), _("Workplace organization"), _("Community"),
                              pgettext("service item", "Item"), _("State"), _("Served on"), _("Hours"),
                              _("Who benefited"), _("Reason for return")],
                     rows=rows, filters=filters)
    return render(request, "party/dualreg/records.html", {
        "page": paginate(request, qs), "filters": filters, "states": ClaimState.choices,
        "communities": sel.communities_in_scope(request.user), "can_export": can_export(request),
    })


@login_required
@require_POST
def record_move(request: HttpRequest, claim_id: int) -> HttpResponse:
    """The community confirms a recorded service, or returns it with a reason."""
    if not sel.can_view(request.user):
        raise Http404
    claim = sel.claim_get(request.user, claim_id)
    version, action = _version(request), request.POST.get("action")
    if action == "confirm":
        call = lambda: svc.service_claim_confirm(actor=request.user, claim=claim, version=version,  # noqa: E731
                                                 request=request)
    elif action == "return":
        call = lambda: svc.service_claim_return(actor=request.user, claim=claim,  # noqa: E731
                                                reason=request.POST.get("reason", ""), version=version,
                                                request=request)
    else:
        raise Http404
    return _run(request, call, _back(request, "party:dualreg_records", RECORD_FILTERS), _("Done."))


@login_required
@require_GET
def record_photo(request: HttpRequest, claim_id: int) -> HttpResponse:
    """A service record's photo, served only to those who may see the record."""
    claim = sel.claim_get(request.user, claim_id)
    if not claim.photo:
        raise Http404
    return FileResponse(claim.photo.open("rb"), content_type=claim.photo_type or "application/octet-stream")


@login_required
@require_GET
def pledges(request: HttpRequest) -> HttpResponse:
    """Members' public pledges in scope: open, overdue (derived) or kept."""
    if not sel.can_view(request.user):
        raise Http404
    g = request.GET
    filters = {"community_id": _int(g.get("community")),
               "state": _choice(g.get("state", ""), ("open", "overdue", "fulfilled")), "q": g.get("q", "")[:50]}
    qs = sel.pledge_list(request.user, **filters)
    if g.get("format") == "xlsx":
        rows = [(p.member.person.name, p.member.org.name, p.community.name, p.text, p.due_on, p.fulfilled_on,
                 p.fulfilment) for p in qs]
        return _xlsx(request, action="pledge.export", filename="pledges", title=_("Pledges"),
                     headers=[_("Member"), _("Workplace organization"), _("Community"), _("Pledge"), _("Due on"),
                              _("Fulfilled on"), _("Fulfilment")], rows=rows, filters=filters)
    return render(request, "party/dualreg/pledges.html", {
        "page": paginate(request, qs), "filters": filters, "communities": sel.communities_in_scope(request.user),
        "can_export": can_export(request), "today": sel.today_local(),
    })


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """The yearly dual report (双报告) to the workplace organizations in scope; exports to Excel."""
    if not sel.can_view(request.user):
        raise Http404
    year = _year(request)
    org_id = _int(request.GET.get("org"))
    data = sel.dual_report(request.user, year=year, org_id=org_id)
    if request.GET.get("format") == "xlsx":
        rows = [(c.member.org.name, c.member.person.name, c.item.community.name, c.item.title, c.served_on,
                 c.hours, c.beneficiary) for c in data.records]
        return _xlsx(request, action="dual_report.export", filename=f"dual-report-{year}",
                     title=_("Dual report %(year)s") % {"year": year},
                     headers=[_("Workplace organization"), _("Member"), _("Community"),
                              pgettext("service item", "Item"), _("Served on"), _("Hours"), _("Who benefited")],
                     rows=rows, filters={"year": year, "org": org_id})
    return render(request, "party/dualreg/report.html", {
        "data": data, "year": year, "org_id": org_id, "orgs": sel.orgs_in_scope(request.user),
        "years": list(range(sel.today_local().year, MIN_YEAR - 1, -1)), "can_export": can_export(request),
    })

