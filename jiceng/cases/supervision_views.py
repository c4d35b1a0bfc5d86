"""Supervision pages: the workbench (overdue, near due, urging orders by level and state, with filters and
Excel export) and the actions of the urge panel on the case page (issue, reply, escalate).

Out of scope or lacking permission reads as not found.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import AuditKind
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.notify.services import can_manage_robots

from . import case_selectors, workflow
from . import supervision_selectors as sel
from . import supervision_services as svc
from .case_services import ConflictError
from .supervision_models import SupervisionLevel

TABS = ("overdue", "near_due", "orders")
EXPORT_MAX_ROWS = 50_000


def parse_local(value: str) -> datetime | None:
    """A datetime-local input (Asia/Shanghai wall time) as an aware datetime; None when empty or bad."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


def _local(dt):
    return timezone.localtime(dt).replace(tzinfo=None) if dt else None


def _export(request: HttpRequest, tab: str, qs) -> HttpResponse:
    if not scope_for(request.user).allows(roles.EXPORT):
        raise Http404
    rows = list(qs[:EXPORT_MAX_ROWS])
    audit_record(actor=request.user, kind=AuditKind.EXPORT, action="supervision.export", request=request,
                 changes={"rows": len(rows), "tab": tab})
    if tab == "orders":
        headers = [_("Case number"), _("Title"), _("Community"), _("Level"), _("Issued by"), _("Issued at"),
                   _("Note"), _("Reply due"), _("Late"), _("Reply"), _("Replied at"), _("Escalated")]
        data = [[o.case.number, o.case.title, o.case.community.name if o.case.community else "",
                 o.get_level_display(), o.issued_by.username, _local(o.issued_at), o.note, _local(o.reply_due),
                 _("Yes") if o.late else "", o.reply, _local(o.replied_at),
                 _("Yes") if svc.was_escalated(o) else ""] for o in rows]
    else:
        headers = [_("Case number"), _("Title"), _("Category"), _("State"), _("Community"), _("Assigned unit"),
                   _("Deadline"), _("Open orders")]
        data = [[c.number, c.title, f"{c.category.code} {c.category.name}", c.get_state_display(),
                 c.community.name if c.community else "", c.unit.name if c.unit else "", _local(c.current_due),
                 c.open_orders] for c in rows]
    return xlsx_response(f"supervision-{tab}", _("Supervision"), headers, data)


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    if not sel.can_view(request.user):
        raise Http404
    g = request.GET
    tab = g.get("tab") if g.get("tab") in TABS else "overdue"
    community = int(g["community"]) if g.get("community", "").isdigit() else None
    level = g.get("level", "") if g.get("level", "") in SupervisionLevel.values else ""
    state = g.get("state", "") if g.get("state", "") in sel.ORDER_STATES else "open"
    q = g.get("q", "").strip()[:50]
    if tab == "orders":
        qs = sel.orders(request.user, state=state, level=level, community=community)
    else:
        qs = sel.due_cases(request.user, kind=tab, community=community, q=q)
    if g.get("format") == "xlsx":
        return _export(request, tab, qs)
    scope = scope_for(request.user)
    summary = sel.summary(request.user)
    return render(request, "cases/supervision.html", {
        "tab": tab, "page": paginate(request, qs), "summary": summary,
        "level_counts": [(label, summary.open_by_level[code]) for code, label in SupervisionLevel.choices],
        "near_hours": workflow.NEAR_DUE_HOURS,
        "levels": SupervisionLevel.choices, "level": level, "state": state, "community": community, "q": q,
        "communities": case_selectors.communities_in_scope(request.user),
        "can_export": scope.allows(roles.EXPORT), "can_robots": can_manage_robots(request.user),
    })


def _back(number: str) -> HttpResponse:
    return redirect("cases:case", number=number)


def _run(request: HttpRequest, number: str, action, ok_message: str) -> HttpResponse:
    try:
        action()
    except PermissionDenied as exc:
        raise Http404 from exc
    except ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ok_message)
    return _back(number)


@login_required
@require_POST
def issue(request: HttpRequest, number: str) -> HttpResponse:
    case = case_selectors.case_get(request.user, number, request=request)
    p = request.POST
    due = parse_local(p.get("reply_due", "")) if p.get("reply_due") else None
    return _run(request, number, lambda: svc.supervision_issue(
        actor=request.user, case=case, note=p.get("note", "")[:2000], reply_due=due, request=request),
        _("Urging order issued; the handlers were told."))


@login_required
@require_POST
def reply(request: HttpRequest, order_id: int) -> HttpResponse:
    order = sel.order_get(request.user, order_id)
    return _run(request, order.case.number, lambda: svc.supervision_reply(
        actor=request.user, order=order, reply=request.POST.get("reply", "")[:2000], request=request),
        _("Reply sent."))


@login_required
@require_POST
def escalate(request: HttpRequest, order_id: int) -> HttpResponse:
    order = sel.order_get(request.user, order_id)
    p = request.POST
    due = parse_local(p.get("reply_due", "")) if p.get("reply_due") else None
    return _run(request, order.case.number, lambda: svc.supervision_escalate(
        actor=request.user, order=order, note=p.get("note", "")[:2000], reply_due=due, request=request),
        _("Escalated to the next level."))
