"""The case page's suspension forms: the handler's request, the approver's decision. Each validates, calls
one service and goes back to the case page with a message; out of scope or not theirs reads as 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import case_selectors as sel

# The case page's forms share one way of answering: 404 for not theirs, the conflict or the field's
# problem as a message, back to the case page.
from .supervision_views import _run
from .suspension_models import SuspensionRequest
from .suspension_services import suspension_decide, suspension_request


@login_required
@require_POST
def request_suspension(request: HttpRequest, number: str) -> HttpResponse:
    case = sel.case_get(request.user, number, request=request)
    return _run(request, number, lambda: suspension_request(
        actor=request.user, case=case, reason=request.POST.get("reason", "")[:2000], request=request),
        _("Suspension requested; the subdistrict decides."))


@login_required
@require_POST
def decide_suspension(request: HttpRequest, number: str, request_id: int) -> HttpResponse:
    case = sel.case_get(request.user, number, request=request)
    item = SuspensionRequest.objects.filter(pk=request_id, case=case).first()
    if item is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    return _run(request, number, lambda: suspension_decide(
        actor=request.user, item=item, approve=approve, note=request.POST.get("note", "")[:2000], request=request),
        _("Suspension approved.") if approve else _("Suspension refused."))
