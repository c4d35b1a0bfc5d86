"""Residents' pages (no account): report a problem, follow it through a private link, rate it.

The report form is phone-first. Its place comes from the building's or compound's QR code
(/r/b/<code>/), from the phone's location (WGS-84 from the browser; GCJ-02 accepted from a map SDK),
or from a typed address. The receipt shows the case number and the private link once; only the
token's hash is stored. Too many reports from one address or phone: a clear page (429) with the
form as typed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.accounts.audit import client_ip
from jiceng.areas import geo
from jiceng.core.uploads import MAX_PHOTOS
from jiceng.web.forms import apply_service_errors

from . import photo_selectors
from . import resident_selectors as sel
from . import resident_services as svc
from .feedback_models import Satisfaction


class PhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ResidentReportForm(forms.Form):
    category = forms.ChoiceField(label=_("What is the problem?"))
    description = forms.CharField(label=_("Describe it"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("What, where exactly, since when."))
    photos = forms.Field(label=_("Photos"), required=False,
                         widget=PhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    crs = forms.ChoiceField(required=False, choices=[(c, c) for c in geo.CRS_CHOICES], widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Your phone number"), max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
                                     help_text=_("Only staff handling your report see it, masked."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.groups = sel.resident_categories()
        choices: list = [("", "—")]
        for label, major, minors in self.groups:
            if minors:
                choices.append((label, [(str(m.pk), m.name) for m in minors]))
            else:
                choices.append((str(major.pk), label))
        self.fields["category"].choices = choices
        self.fields["reporter_phone"].required = False  # the service says why it is needed

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            data["lat"] = data["lng"] = None
        data["crs"] = data.get("crs") or geo.WGS84
        return data


RECEIPT_COOKIE = "jiceng_receipt"
RECEIPT_SALT = "resident-receipt"
RECEIPT_SECONDS = 3600


def _to_receipt(request: HttpRequest, receipt: svc.ResidentReceipt) -> HttpResponse:
    """Post/redirect/get, so that reloading the receipt never sends the report twice. The token
    rides to the receipt page in a signed cookie on the resident's own phone (for an hour, only to
    that page): the server keeps nothing but the token's hash."""
    response = redirect("resident:receipt")
    response.set_signed_cookie(RECEIPT_COOKIE, receipt.token, salt=RECEIPT_SALT, max_age=RECEIPT_SECONDS,
                               path=reverse("resident:receipt"), httponly=True, samesite="Lax",
                               secure=request.is_secure())
    return response


def receipt(request: HttpRequest) -> HttpResponse:
    """The case number and the private link of the report just sent from this phone."""
    token = request.get_signed_cookie(RECEIPT_COOKIE, default=None, salt=RECEIPT_SALT, max_age=RECEIPT_SECONDS)
    link = sel.link_by_token(token) if token else None
    context = {"case": None, "link": "", "place": None}
    if link is not None:
        context = {"case": link.case, "place": sel.qr_place(link.case.building.code) if link.case.building else None,
                   "link": request.build_absolute_uri(reverse("resident:follow", args=[token]))}
    response = render(request, "cases/resident_receipt.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _report(request: HttpRequest, place) -> HttpResponse:
    form = ResidentReportForm(request.POST or None, request.FILES or None)
    status = 200
    limit_message = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            done = svc.resident_report(
                category=sel.resident_category(d["category"]), description=d["description"],
                photos=request.FILES.getlist("photos")[: MAX_PHOTOS + 1], reporter_phone=d["reporter_phone"],
                reporter_name=d["reporter_name"], lat=d["lat"], lng=d["lng"], crs=d["crs"], place=place,
                address=d["address"], client_ip=client_ip(request) or "", request=request,
            )
        except svc.RateLimited as exc:
            status, limit_message = 429, exc.message
        except ValidationError as exc:
            apply_service_errors(form, exc, aliases={"building": "address", "urgency": "category", "crs": "address"})
            status = 400
        else:
            return _to_receipt(request, done)
    elif request.method == "POST":
        status = 400
    per_address, per_phone = svc.limits()
    return render(request, "cases/resident_report.html", {
        "form": form, "place": place, "limit_message": limit_message, "max_photos": MAX_PHOTOS,
        "place_errors": form.errors.get("lat", []) + form.errors.get("lng", []),
        "per_address": per_address, "per_phone": per_phone,
    }, status=status)


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The report form without a QR code: the place from the phone's location or an address."""
    return _report(request, None)


@require_http_methods(["GET", "POST"])
def report_at(request: HttpRequest, code: str) -> HttpResponse:
    """The report form with the place filled in from the building's (or compound's) QR code."""
    place = sel.qr_place(code)
    if place is None:
        raise Http404
    return _report(request, place)


def _link_or_404(token: str):
    link = sel.link_by_token(token)
    if link is None:
        raise Http404
    return link


def _follow_page(request: HttpRequest, link, *, rating_error: str = "", status: int = 200) -> HttpResponse:
    view = sel.resident_view(link)
    response = render(request, "cases/resident_follow.html", {
        "v": view, "token": request.resolver_match.kwargs["token"], "ratings": Satisfaction.choices,
        "rating_error": rating_error, "comment": request.POST.get("comment", "")[:1000],
        "chosen": request.POST.get("rating", ""), "photos": list(photo_selectors.resident_photos(link)),
    }, status=status)
    # The token is the key to the page: keep it out of caches and out of other sites' logs
    # ("same-origin", not "no-referrer": the rating form's POST must still carry its Origin for CSRF).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def follow(request: HttpRequest, token: str) -> HttpResponse:
    """The private link: the case's progress (public-safe), and the rating form once work is done."""
    return _follow_page(request, _link_or_404(token))


@require_POST
def rate(request: HttpRequest, token: str) -> HttpResponse:
    link = _link_or_404(token)
    try:
        # "yes" / "no" / not answered: an unanswered question leaves the case out of the resolution rate.
        resolved = {"yes": True, "no": False}.get(request.POST.get("resolved", ""))
        result = svc.resident_rate(link=link, rating=request.POST.get("rating", ""), resolved=resolved,
                                   comment=request.POST.get("comment", ""), request=request)
    except ValidationError as exc:
        return _follow_page(request, link, rating_error=" ".join(exc.messages), status=400)
    if result.reopened:
        messages.success(request, _("Thank you. We are sorry the problem is not solved: the case is reopened."))
    elif result.feedback.rating == Satisfaction.UNSATISFIED:
        messages.success(request, _("Thank you. We are sorry the problem is not solved: the staff have been told."))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("resident:follow", token=token)
