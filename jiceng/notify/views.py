"""Pages of the notify app: the user's notices (mark read), and the group robots of an area (add, remove,
send a test message), managed by district and subdistrict staff in their area."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.scope import scope_q
from jiceng.areas.models import Area
from jiceng.core.paging import paginate

from . import selectors as sel
from . import services as svc
from .robot_models import RobotKind


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    return render(request, "notify/notices.html", {
        "page": paginate(request, sel.notice_list(request.user, unread=unread)), "unread": unread,
        "unread_total": sel.unread_count(request.user)})


@login_required
@require_GET
def notice_unread(request: HttpRequest) -> HttpResponse:
    """The navigation's link text with the unread count, fetched by htmx after the page loads (so no
    page pays a query for it)."""
    n = sel.unread_count(request.user)
    label = _("Notices")
    return HttpResponse(f"{label} ({n})" if n else label, content_type="text/plain; charset=utf-8")


@login_required
@require_POST
def notice_email(request: HttpRequest) -> HttpResponse:
    try:
        svc.notice_email_set(actor=request.user, email=request.POST.get("email", "")[:254], request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("notify:notices")


@login_required
@require_POST
def notice_read(request: HttpRequest) -> HttpResponse:
    """Mark one notice read (and follow its link), or all of them."""
    ids = [int(i) for i in request.POST.getlist("notice") if i.isdigit()]
    svc.notice_mark_read(actor=request.user, notice_ids=ids or None)
    if len(ids) == 1:
        notice = sel.notice_list(request.user).filter(pk=ids[0]).first()
        if notice is not None and notice.url.startswith("/"):
            return redirect(notice.url)
    return redirect("notify:notices")


class RobotForm(forms.Form):
    area = forms.ModelChoiceField(label=gettext_lazy("Area"), queryset=Area.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RobotKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.CharField(label=gettext_lazy("Webhook address"), max_length=500,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}))
    secret = forms.CharField(label=gettext_lazy("Signing secret (DingTalk, optional)"), max_length=200,
                             required=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(
            scope_q(user, "path"), kind__in=["district", "subdistrict", "community"]).order_by("path")


@login_required
@require_http_methods(["GET", "POST"])
def robot_list(request: HttpRequest) -> HttpResponse:
    robots = sel.robot_list(request.user)
    form = RobotForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.robot_create(actor=request.user, area=d["area"], kind=d["kind"], name=d["name"], url=d["url"],
                             secret=d["secret"], request=request)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Saved."))
            return redirect("notify:robots")
    return render(request, "notify/robots.html", {"robots": robots, "form": form})


@login_required
@require_POST
def robot_delete(request: HttpRequest, robot_id: int) -> HttpResponse:
    robot = sel.robot_get(request.user, robot_id)
    svc.robot_delete(actor=request.user, robot=robot, request=request)
    messages.success(request, _("Removed."))
    return redirect("notify:robots")


@login_required
@require_POST
def robot_test(request: HttpRequest, robot_id: int) -> HttpResponse:
    robot = sel.robot_get(request.user, robot_id)
    result = svc.robot_test(actor=request.user, robot=robot, request=request)
    if result.ok:
        messages.success(request, _("The robot accepted the test message."))
    else:
        messages.error(request, _("The robot refused the test message: %(error)s") % {"error": result.error})
    return redirect("notify:robots")
