"""JSON API of a case's feedback (mounted with the cases at /api/v1/cases): the ratings and
follow-up calls of one case, and recording a follow-up call (回访). Out of scope: 404; a call
recorded too early or a rating on an unanswered call: 422 with the field."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Schema

from jiceng.party.api import unprocessable

from . import case_selectors as sel
from .api import router
from .feedback_models import CaseFeedback, Satisfaction
from .feedback_selectors import case_feedback
from .feedback_services import case_follow_up


class FeedbackOut(Schema):
    id: int
    source: str
    at: datetime
    reached: bool
    rating: str
    resolved: bool | None
    comment: str
    recorded_by: str = Field(..., description="The staff member who recorded a call; empty for a resident")


class FollowUpIn(Schema):
    reached: bool
    rating: Satisfaction | None = None
    resolved: bool | None = None
    comment: str = Field("", max_length=2000)


def _out(f: CaseFeedback) -> dict:
    return {"id": f.pk, "source": f.source, "at": f.at, "reached": f.reached, "rating": f.rating,
            "resolved": f.resolved, "comment": f.comment, "recorded_by": f.actor.username if f.actor else ""}


@router.get("/feedback/{number}", response=list[FeedbackOut],
            summary="A case's resident ratings and follow-up calls")
def feedback_list(request, number: str):
    case = sel.case_get(request.auth, number, request=request)
    return [_out(f) for f in case_feedback(case)]


@router.post("/feedback/{number}/follow-ups", response={201: FeedbackOut}, summary="Record a follow-up call")
def follow_up_create(request, number: str, payload: FollowUpIn):
    case = sel.case_get(request.auth, number, request=request)
    try:
        feedback = case_follow_up(actor=request.auth, case=case, reached=payload.reached,
                                  rating=payload.rating or "", resolved=payload.resolved,
                                  comment=payload.comment, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, _out(feedback)
