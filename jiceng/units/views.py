"""Units directory pages: the list, a unit, and the forms staff use to register units, add contacts
and record posts. Views validate, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.web.forms import apply_service_errors, submit_service_form

from . import selectors, services
from .forms import ContactForm, UnitCreateForm, UnitRoleEndForm, UnitRoleForm
from .models import Unit, UnitKind, UnitRole


def _require(request: HttpRequest, permission: str) -> None:
    """Lacking a permission reads as not found, like being out of scope."""
    if not scope_for(request.user).allows(permission):
        raise Http404


# The person is entered by ID number, so a service's errors about the person belong there.
PERSON_FIELD = {"person": "id_number"}


def _apply_errors(form, exc: ValidationError) -> None:
    apply_service_errors(form, exc, aliases=PERSON_FIELD)


def _can_change(request: HttpRequest, unit: Unit) -> bool:
    try:
        services.check_unit_change(request.user, unit)
    except PermissionDenied:
        return False
    return True


@login_required
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    _require(request, roles.VIEW_ORG)
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    qs = selectors.unit_list(request.user, kind=kind if kind in UnitKind.values else "", q=q)
    scope = scope_for(request.user)
    if request.GET.get("format") == "xlsx":
        _require(request, roles.EXPORT)
        rows = list(qs)
        audit_record(
            actor=request.user,
            kind=AuditKind.EXPORT,
            action="unit.export",
            request=request,
            changes={"rows": len(rows), "filters": {k: v for k, v in {"kind": kind, "q": q}.items() if v}},
        )
        return xlsx_response(
            "units",
            _("Units"),
            [
                _("Name"),
                _("Kind"),
                _("Code"),
                _("Home area code"),
                _("Home area"),
                _("Address"),
                _("Areas served"),
                _("Contacts"),
            ],
            (
                [
                    u.name,
                    u.get_kind_display(),
                    u.code,
                    u.home_area.code,
                    u.home_area.name,
                    u.address,
                    " ".join(a.code for a in u.areas_served.all()),
                    u.contact_count or 0,
                ]
                for u in rows
            ),
        )
    return render(
        request,
        "units/list.html",
        {
            "page": paginate(request, qs),
            "kind": kind,
            "q": q,
            "kinds": UnitKind.choices,
            "can_export": scope.allows(roles.EXPORT),
            "can_create": scope.allows(roles.CHANGE_ORG),
        },
    )


@login_required
@require_GET
def detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    info = selectors.unit_detail(request.user, unit_id, request=request)
    return render(
        request,
        "units/detail.html",
        {"d": info, "unit": info.unit, "can_change": _can_change(request, info.unit)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    _require(request, roles.CHANGE_ORG)
    form = UnitCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_create(
                actor=request.user,
                kind=data["kind"],
                name=data["name"],
                code=data["code"],
                home_area=data["home_area"],
                address=data["address"],
                areas_served=list(data["areas_served"]),
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Unit %(name)s registered.") % {"name": unit.name})
            return redirect("units:detail", unit_id=unit.pk)
    return render(request, "units/unit_form.html", {"form": form})


def _unit_for_change(request: HttpRequest, unit_id: int) -> Unit:
    unit = selectors.unit_get(request.user, unit_id, request=request)
    if not _can_change(request, unit):
        raise Http404
    return unit


@login_required
@require_http_methods(["GET", "POST"])
def contact_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit_for_change(request, unit_id)
    form = ContactForm(request.POST or None)
    if submit_service_form(
        request,
        form,
        lambda data: services.contact_add(
            actor=request.user,
            unit=unit,
            name=data["name"],
            title=data["title"],
            phone=data["phone"],
            request=request,
        ),
        aliases=PERSON_FIELD,
    ):
        messages.success(request, _("Contact added."))
        return redirect("units:detail", unit_id=unit.pk)
    return render(request, "units/contact_form.html", {"unit": unit, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def role_assign(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit_for_change(request, unit_id)
    form = UnitRoleForm(request.POST or None)
    if submit_service_form(
        request,
        form,
        lambda data: services.unit_role_assign(
            actor=request.user,
            unit=unit,
            person=data["id_number"],
            title=data["title"],
            started_on=data["started_on"],
            request=request,
        ),
        aliases=PERSON_FIELD,
    ):
        messages.success(request, _("Post recorded."))
        return redirect("units:detail", unit_id=unit.pk)
    return render(request, "units/role_form.html", {"unit": unit, "form": form})


@login_required
@require_POST
def role_end(request: HttpRequest, role_id: int) -> HttpResponse:
    role = UnitRole.objects.filter(pk=role_id).first()
    if role is None:
        raise Http404
    unit = _unit_for_change(request, role.unit_id)
    form = UnitRoleEndForm(request.POST)
    if form.is_valid():
        try:
            services.unit_role_end(
                actor=request.user, role=role, ended_on=form.cleaned_data["ended_on"], request=request
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
    return redirect("units:detail", unit_id=unit.pk)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit_for_change(request, unit_id)
    initial = {
        "kind": unit.kind,
        "name": unit.name,
        "code": unit.code,
        "home_area": unit.home_area_id,
        "address": unit.address,
        "areas_served": [a.pk for a in unit.areas_served.all()],
    }
    form = UnitCreateForm(request.POST or None, user=request.user, initial=initial)
    if submit_service_form(
        request,
        form,
        lambda data: services.unit_update(
            actor=request.user,
            unit=unit,
            kind=data["kind"],
            name=data["name"],
            code=data["code"],
            home_area=data["home_area"],
            address=data["address"],
            areas_served=list(data["areas_served"]),
            request=request,
        ),
        aliases=PERSON_FIELD,
    ):
        messages.success(request, _("Unit saved."))
        return redirect("units:detail", unit_id=unit.pk)
    return render(request, "units/unit_form.html", {"form": form, "unit": unit})
