"""Check-in pages: the organizer's live QR code with who has checked in (renewed every few seconds while
open), and the page a member's phone opens from the code, where one tap records them present."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import checkin_selectors
from . import checkin_services as svc
from . import meeting_selectors as msel
from .board_views import qr_svg
from .checkin_models import CheckInKind

REFRESH_SECONDS = 20


@login_required
@require_GET
def meeting_checkin(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """For the organizer (who may change the organization): a fresh code on each load, and the list."""
    meeting = msel.meeting_get(request.user, meeting_id, request=request)
    if not msel.can_change(request.user, meeting.area_path):
        raise Http404
    try:
        minutes = int(request.GET.get("minutes") or svc.DEFAULT_MINUTES)
    except ValueError:
        minutes = svc.DEFAULT_MINUTES
    minutes = max(1, min(minutes, svc.MAX_MINUTES))
    token = svc.checkin_token_make(kind=CheckInKind.MEETING, object_id=meeting.pk, minutes=minutes)
    url = request.build_absolute_uri(reverse("party:checkin", args=[token]))
    context = {
        "meeting": meeting, "qr": qr_svg(url), "url": url, "minutes": minutes, "refresh": REFRESH_SECONDS,
        "check_ins": checkin_selectors.meeting_check_ins(meeting), "open": checkin_selectors.can_check_in(meeting),
    }
    template = "party/checkin/_live.html" if request.GET.get("part") == "live" else "party/checkin/meeting.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The member's side: GET shows what they are checking in to; POST records them present."""
    error = ""
    meeting = None
    try:
        ticket = svc.checkin_token_read(token)
        meeting = checkin_selectors.meeting_for_ticket(ticket)
    except ValidationError as exc:
        error = next(iter(exc.message_dict.values()))[0]
    done = False
    if request.method == "POST" and not error:
        try:
            svc.meeting_check_in(actor=request.user, token=token, request=request)
        except PermissionDenied:
            error = _("Only a Party member signed in with their own account can check in.")
        except ValidationError as exc:
            error = next(iter(exc.message_dict.values()))[0]
        else:
            messages.success(request, _("You are checked in."))
            return redirect(reverse("party:checkin", args=[token]) + "?done=1")
    if request.GET.get("done") and not error:
        done = True
    return render(request, "party/checkin/scan.html", {"meeting": meeting, "error": error, "done": done},
                  status=400 if error and request.method == "POST" else 200)
