"""Reads of suspension requests: a case's requests (newest first), for its page and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from .case_models import Case
from .suspension_models import SuspensionRequest


def case_suspension_requests(case: Case) -> QuerySet[SuspensionRequest]:
    """The case's requests with who asked and who decided, in one query. The caller has already read the
    case through case_selectors.case_get, which applies the user's scope."""
    return SuspensionRequest.objects.filter(case=case).select_related("requested_by", "decided_by")
