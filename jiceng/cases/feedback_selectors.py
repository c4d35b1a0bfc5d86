"""Reads of a case's feedback: residents' ratings and staff's follow-up calls."""

from __future__ import annotations

from django.db.models import QuerySet

from .case_models import Case
from .feedback_models import CaseFeedback


def case_feedback(case: Case) -> QuerySet:
    """A case's ratings and follow-up calls, oldest first (the caller has read the case in scope)."""
    return CaseFeedback.objects.filter(case=case).select_related("actor").order_by("at", "id")
