"""The case page's follow-up call form (回访): validate, call case_follow_up, back to the case page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import case_selectors as sel
from .feedback_models import Satisfaction
from .feedback_services import case_follow_up


def _yes_no(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


class FollowUpForm(forms.Form):
    reached = forms.TypedChoiceField(label=gettext_lazy("Resident reached"), choices=[("1", "1"), ("0", "0")],
                                     coerce=lambda v: v == "1")
    rating = forms.ChoiceField(label=gettext_lazy("Rating"), choices=[("", "—"), *Satisfaction.choices],
                               required=False)
    resolved = forms.TypedChoiceField(label=gettext_lazy("Problem solved"), required=False, empty_value=None,
                                      choices=[("", "—"), ("1", "1"), ("0", "0")], coerce=_yes_no)
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=2000, required=False)


@login_required
@require_POST
def follow_up(request: HttpRequest, number: str) -> HttpResponse:
    case = sel.case_get(request.user, number, request=request)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("cases:case", number=number)
    d = form.cleaned_data
    try:
        case_follow_up(actor=request.user, case=case, reached=d["reached"], rating=d["rating"],
                       resolved=d["resolved"], comment=d["comment"], request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Follow-up call recorded."))
    return redirect("cases:case", number=number)
