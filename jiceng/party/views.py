"""Party organization pages: the tree, an organization, its members, re-elections due, and the
forms staff use to grow the tree and fill posts. Views validate, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.units.selectors import visible_units
from jiceng.web.forms import apply_service_errors, submit_service_form

from . import selectors, services
from .forms import (
    MemberCreateForm,
    MemberFilterForm,
    OrgCreateForm,
    OrgEditForm,
    PositionAssignForm,
    PositionEndForm,
    default_term_end,
)
from .models import OrgKind, PartyOrg, Position


def _require(request: HttpRequest, permission: str) -> None:
    """Lacking a permission reads as not found, like being out of scope."""
    if not scope_for(request.user).allows(permission):
        raise Http404


# The person is entered by ID number, so a service's errors about the person belong there.
PERSON_FIELD = {"person": "id_number"}


def _apply_errors(form, exc: ValidationError) -> None:
    apply_service_errors(form, exc, aliases=PERSON_FIELD)


def can_export(request: HttpRequest) -> bool:
    """Whether the user may take a list out as Excel (the page shows the button only then)."""
    return scope_for(request.user).allows(roles.EXPORT)


def _export(request: HttpRequest, *, action: str, obj=None, rows: int, filters: dict) -> None:
    audit_record(
        actor=request.user,
        kind=AuditKind.EXPORT,
        action=action,
        obj=obj,
        request=request,
        changes={"rows": rows, "filters": {k: v for k, v in filters.items() if v}},
    )


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    """The tree from the user's visible tops, children loaded on demand; or a flat search."""
    _require(request, roles.VIEW_ORG)
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    if request.GET.get("format") == "xlsx":
        _require(request, roles.EXPORT)
        orgs = list(selectors.org_search(request.user, kind=kind, q=q).select_related("unit"))
        _export(request, action="party_org.export", rows=len(orgs), filters={"kind": kind, "q": q})
        parents = {o.path: o.code for o in orgs}
        steplen = PartyOrg.steplen
        return xlsx_response(
            "party-orgs",
            _("Party organizations"),
            [_("Code"), _("Name"), _("Kind"), _("Parent code"), _("Area code"), _("Area"), _("Unit"), _("Founded on")],
            (
                [
                    o.code,
                    o.name,
                    o.get_kind_display(),
                    parents.get(o.path[:-steplen], ""),
                    o.area.code,
                    o.area.name,
                    o.unit.name if o.unit else "",
                    o.founded_on,
                ]
                for o in orgs
            ),
        )
    searching = bool(kind or q)
    context = {
        "kinds": OrgKind.choices,
        "kind": kind,
        "q": q,
        "searching": searching,
        "can_export": can_export(request),
    }
    if searching:
        context["page"] = paginate(request, selectors.org_search(request.user, kind=kind, q=q))
    else:
        context["roots"] = list(selectors.org_roots(request.user))
    return render(request, "party/tree.html", context)


@login_required
@require_GET
def children(request: HttpRequest, org_id: int) -> HttpResponse:
    """htmx partial: the visible children of one organization."""
    org = selectors.org_get(request.user, org_id, request=request)
    return render(request, "party/_children.html", {"children": selectors.org_children(request.user, org)})


@login_required
@require_GET
def detail(request: HttpRequest, org_id: int) -> HttpResponse:
    info = selectors.org_detail(request.user, org_id, request=request)
    scope = scope_for(request.user)
    can_change = scope.allows(roles.CHANGE_ORG) and scope.covers_path(info.org.area_path)
    return render(
        request,
        "party/detail.html",
        {
            "d": info,
            "org": info.org,
            "can_change": can_change,
            "end_form": PositionEndForm(),
        },
    )


@login_required
@require_GET
def members(request: HttpRequest, org_id: int) -> HttpResponse:
    org = selectors.org_get(request.user, org_id, request=request)
    form = MemberFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.org_members(
        request.user,
        org,
        category=filters.get("category", ""),
        status=filters.get("status", ""),
        q=filters.get("q", ""),
    )
    if request.GET.get("format") == "xlsx":
        _require(request, roles.EXPORT)
        rows = list(qs)
        _export(request, action="party_member.export", obj=org, rows=len(rows), filters=filters)
        return xlsx_response(
            "party-members",
            _("Party members"),
            [
                _("Full name"),
                _("Phone"),
                _("Organization"),
                _("Category"),
                _("Status"),
                _("Joined on"),
                _("Full membership on"),
            ],
            (
                [
                    m.person.name,
                    m.person.phone_masked,
                    m.org.name,
                    m.get_category_display(),
                    m.get_status_display(),
                    m.joined_on,
                    m.full_on,
                ]
                for m in rows
            ),
        )
    return render(
        request,
        "party/members.html",
        {
            "org": org,
            "form": form,
            "page": paginate(request, qs),
            "can_export": can_export(request),
            "can_change": scope_for(request.user).allows(roles.CHANGE_ORG)
            and scope_for(request.user).covers_path(org.area_path),
        },
    )


@login_required
@require_GET
def due(request: HttpRequest) -> HttpResponse:
    """Posts whose re-election is overdue or due within 90 days."""
    _require(request, roles.VIEW_ORG)
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    qs = selectors.positions_due(request.user, state=state, kind=kind)
    if request.GET.get("format") == "xlsx":
        _require(request, roles.EXPORT)
        rows = list(qs)
        _export(request, action="position.export_due", rows=len(rows), filters={"state": state, "kind": kind})
        labels = {selectors.DueState.OVERDUE: _("Overdue"), selectors.DueState.DUE_SOON: _("Due within 90 days")}
        return xlsx_response(
            "reelection-due",
            _("Re-elections due"),
            [
                _("Organization"),
                _("Code"),
                _("Title"),
                _("Full name"),
                _("Part-time member"),
                _("From unit"),
                _("Term start"),
                _("Re-election due"),
                _("State"),
            ],
            (
                [
                    p.org.name,
                    p.org.code,
                    p.get_title_display(),
                    p.person.name,
                    _("Yes") if p.is_part_time else "",
                    p.source_unit.name if p.source_unit else "",
                    p.term_start,
                    p.term_end,
                    labels.get(p.due_state, ""),
                ]
                for p in rows
            ),
        )
    return render(
        request,
        "party/due.html",
        {
            "page": paginate(request, qs),
            "state": state,
            "kind": kind,
            "kinds": OrgKind.choices,
            "can_export": can_export(request),
            "states": [
                (selectors.DueState.OVERDUE, _("Overdue")),
                (selectors.DueState.DUE_SOON, _("Due within 90 days")),
            ],
        },
    )


def _org_for_change(request: HttpRequest, org_id: int):
    """A visible organization the user may change, else 404."""
    org = selectors.org_get(request.user, org_id, request=request)
    scope = scope_for(request.user)
    if not scope.allows(roles.CHANGE_ORG) or not scope.covers_path(org.area_path):
        raise Http404
    return org


@login_required
@require_http_methods(["GET", "POST"])
def create_child(request: HttpRequest, org_id: int) -> HttpResponse:
    parent = _org_for_change(request, org_id)
    units = visible_units(request.user).order_by("kind", "name")
    form = OrgCreateForm(request.POST or None, user=request.user, parent=parent, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.party_org_create(
                actor=request.user,
                parent=parent,
                kind=data["kind"],
                code=data["code"],
                name=data["name"],
                area=data["area"],
                unit=data["unit"],
                founded_on=data["founded_on"],
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Organization %(name)s created.") % {"name": org.name})
            return redirect("party:detail", org_id=org.pk)
    return render(request, "party/org_form.html", {"parent": parent, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def position_assign(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _org_for_change(request, org_id)
    units = visible_units(request.user).order_by("kind", "name")
    initial = {"term_end": default_term_end(org.kind)}
    form = PositionAssignForm(request.POST or None, units=units, initial=initial)
    if submit_service_form(
        request,
        form,
        lambda data: services.position_assign(
            actor=request.user,
            org=org,
            person=data["id_number"],
            title=data["title"],
            term_start=data["term_start"],
            term_end=data["term_end"],
            is_part_time=data["is_part_time"],
            source_unit=data["source_unit"],
            request=request,
        ),
        aliases=PERSON_FIELD,
    ):
        messages.success(request, _("Post assigned."))
        return redirect("party:detail", org_id=org.pk)
    return render(request, "party/position_form.html", {"org": org, "form": form})


@login_required
@require_POST
def position_end(request: HttpRequest, position_id: int) -> HttpResponse:
    position = get_object_or_404(Position.objects.select_related("org"), pk=position_id)
    org = _org_for_change(request, position.org_id)
    form = PositionEndForm(request.POST)
    if form.is_valid():
        try:
            services.position_end(
                actor=request.user, position=position, ended_on=form.cleaned_data["ended_on"], request=request
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("Post ended."))
    return redirect("party:detail", org_id=org.pk)


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _org_for_change(request, org_id)
    form = MemberCreateForm(request.POST or None)
    if submit_service_form(
        request,
        form,
        lambda data: services.member_create(
            actor=request.user,
            person=data["id_number"],
            org=org,
            category=data["category"],
            status=data["status"],
            joined_on=data["joined_on"],
            full_on=data["full_on"],
            request=request,
        ),
        aliases=PERSON_FIELD,
    ):
        messages.success(request, _("Member registered."))
        return redirect("party:members", org_id=org.pk)
    return render(request, "party/member_form.html", {"org": org, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _org_for_change(request, org_id)
    units = visible_units(request.user).order_by("kind", "name")
    initial = {"name": org.name, "unit": org.unit_id, "founded_on": org.founded_on}
    form = OrgEditForm(request.POST or None, units=units, initial=initial)
    if submit_service_form(
        request,
        form,
        lambda data: services.party_org_update(
            actor=request.user,
            org=org,
            name=data["name"],
            unit=data["unit"],
            founded_on=data["founded_on"],
            request=request,
        ),
        aliases=PERSON_FIELD,
    ):
        messages.success(request, _("Organization saved."))
        return redirect("party:detail", org_id=org.pk)
    return render(request, "party/org_edit.html", {"org": org, "form": form})
