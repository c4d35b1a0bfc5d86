"""Workbench pages: saved inbox views (save the current filters under a name, get them back in one
click) and 'my tasks', the phone page where a grid worker or handler accepts a case and reports it
handled with photos. Out of scope or not theirs reads as not found."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiceng.accounts.scope import scope_for
from jiceng.core.paging import paginate

from . import case_selectors as sel
from . import case_services as svc
from . import workbench_selectors as wsel
from . import workbench_services as wsvc
from . import workflow
from .case_models import CaseState
from .case_views import ACTION_LABELS, _require_view, filters_from


def filters_query(f: sel.InboxFilters) -> dict[str, str]:
    """The filters that are set, as the inbox's query-string values."""
    return {k: "1" if v is True else str(v) for k, v in vars(f).items() if v not in (None, "", False)}


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    filters = filters_query(filters_from(QueryDict(request.POST.get("query", "")[:1000])))
    try:
        view = wsvc.saved_view_save(actor=request.user, name=request.POST.get("name", ""), filters=filters,
                                    request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("cases:inbox") + ("?" + urlencode(filters) if filters else ""))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    _require_view(request)
    view = wsel.saved_view_get(request.user, view_id)
    if view is None:
        raise Http404
    wsvc.saved_view_delete(actor=request.user, view=view, request=request)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("cases:inbox")


@login_required
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if not wsel.has_tasks(request.user):
        raise Http404
    page = paginate(request, wsel.my_tasks(request.user), default_size=20)
    return render(request, "cases/case_tasks.html", {
        "page": page,
        "rows": [(c, sel.is_near_due(c)) for c in page.object_list],
        "labels": ACTION_LABELS,
        "DISPATCHED": CaseState.DISPATCHED,
        "ACCEPTED": CaseState.ACCEPTED,
        # Grid workers report from their patrol; department handlers only handle what is sent to them.
        "can_report": bool(scope_for(request.user).roles & workflow.REPORTERS),
    })


@login_required
@require_POST
def task_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Accept, or report handled with photos, from the task list; back to the list either way."""
    _require_view(request)
    if not wsel.has_tasks(request.user):
        raise Http404
    case = sel.case_get(request.user, number, request=request)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    note = request.POST.get("note", "")[:2000]
    try:
        if action == "handle":
            wsvc.case_handle_with_photos(actor=request.user, case=case, expected_version=version, note=note,
                                         photos=request.FILES.getlist("photos"), request=request)
        else:
            svc.case_act(actor=request.user, case=case, action=action, expected_version=version, note=note,
                         request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except svc.ConflictError as exc:
        messages.error(request, f"{case.number}: {exc}")
    except ValidationError as exc:
        messages.error(request, f"{case.number}: " + " ".join(exc.messages))
    else:
        messages.success(request, _("%(number)s — %(action)s: done.") % {"number": case.number,
                                                                        "action": ACTION_LABELS[action]})
    return redirect("cases:tasks")
